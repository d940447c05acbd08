import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { EventConnectionResolver, EventPageResolver, EventResolver, PageInfoResolver } from '../events/event.resolver';
import { HealthResolver } from '../health/health.resolver';
import { DateTimeISO } from './scalars';

/** Every resolver class of the API. */
export const RESOLVERS = [EventResolver, EventConnectionResolver, EventPageResolver, PageInfoResolver, HealthResolver] as const;

/** Builds the one schema that Apollo (HTTP) and graphql-ws (WebSocket) share. */
export function createSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: RESOLVERS,
    scalarsMap: [{ type: Date, scalar: DateTimeISO }],
    validate: false,
  });
}
