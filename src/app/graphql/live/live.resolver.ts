import 'reflect-metadata';
import { Arg, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { Event } from '../events/event.type';
import { EventFilter } from '../events/event.inputs';
import type { GraphQLContext } from '../context';
import type { EventDocument } from '../../../store/event-document';

/** The raw arguments of `eventLogged`, as graphql-js coerced them. */
interface EventLoggedArgs {
  filter?: EventFilter | null;
  after?: string | null;
}

/** Thin adapter from graphql-ws subscriptions to {@link LiveService}. */
@Resolver()
export class LiveResolver {
  @Subscription(() => Event, {
    description:
      'Live events matching `filter` (the same semantics as the `events` query), in the order the server received them. With `after` (the id of the last event received), first every stored match received after that event, in receipt order (receivedAt, then id), then live ones: no gap, no duplicate. A subscriber that falls too far behind is ended with SLOW_CONSUMER; subscribing again with `after` resumes it.',
    subscribe: ({ args, context }: SubscribeResolverData<unknown, EventLoggedArgs, GraphQLContext>) =>
      context.services.live.eventLogged(args, context.connection),
  })
  eventLogged(
    @Root() event: EventDocument,
    // Declared for the schema; the subscribe function above reads them.
    @Arg('filter', () => EventFilter, { nullable: true }) _filter?: EventFilter,
    @Arg('after', () => String, { nullable: true }) _after?: string,
  ): EventDocument {
    return event;
  }

  @Subscription(() => Event, {
    description:
      'Live alerts: events with `alert: true` or a level at or above the configured alert level (ALERT_LEVEL, default ERROR).',
    subscribe: ({ context }: SubscribeResolverData<unknown, Record<string, never>, GraphQLContext>) =>
      context.services.live.alertRaised(context.connection),
  })
  alertRaised(@Root() event: EventDocument): EventDocument {
    return event;
  }
}
