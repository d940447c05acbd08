import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { createPubSub } from '@graphql-yoga/subscription';
import { buildSchema } from 'type-graphql';
import { AnalyticsResolver } from './analytics/analytics.resolver';
import { EventConnectionResolver, EventPageResolver, EventResolver, PageInfoResolver } from './events/event.resolver';
import { HealthResolver } from './health/health.resolver';
import { LifecycleResolver } from './lifecycle/lifecycle.resolver';
import { LiveResolver } from './live/live.resolver';
import { DateTimeISO } from './scalars';

/** Every resolver class of the API. */
export const RESOLVERS = [
  EventResolver,
  EventConnectionResolver,
  EventPageResolver,
  PageInfoResolver,
  HealthResolver,
  LiveResolver,
  LifecycleResolver,
  AnalyticsResolver,
] as const;

/** Builds the one schema that Apollo (HTTP) and graphql-ws (WebSocket) share. */
export function createSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: RESOLVERS,
    scalarsMap: [{ type: Date, scalar: DateTimeISO }],
    validate: false,
    // type-graphql requires a PubSub once there are subscriptions; ours bring their own
    // `subscribe` (src/live), so this one carries nothing.
    pubSub: createPubSub(),
  });
}
