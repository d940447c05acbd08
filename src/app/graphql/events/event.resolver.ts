import 'reflect-metadata';
import { GraphQLJSON } from 'graphql-scalars';
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../context';
import type { EventDocument } from '../../../store/event-document';
import { EventConnection, EventPage, LogEventsResult, PageInfo } from './event.connection';
import { Event } from './event.type';
import { EventOrder } from './event.enums';
import { EventFilter, EventInput } from './event.inputs';

/** The `limit` argument of `totalCount` (docs/performance.md#capped-counts). */
const TOTAL_COUNT_LIMIT =
  'Stop counting at this many (a positive integer): a result equal to it means "at least this many". Bounds the work of a count over a broad or unindexed filter (a `text` search on MongoDB).';

/** Thin adapter from GraphQL to {@link EventService}. */
@Resolver(() => Event)
export class EventResolver {
  @Query(() => Event, { nullable: true, description: 'The event with this id (archived included), or null.' })
  event(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<EventDocument | null> {
    return ctx.loaders.eventById.load(id);
  }

  @Query(() => [Event], {
    nullable: 'items',
    description: 'Events in the order of `ids`, null for missing ones; one database round trip.',
  })
  async eventsByIds(
    @Arg('ids', () => [ID]) ids: string[],
    @Ctx() ctx: GraphQLContext,
  ): Promise<(EventDocument | null)[]> {
    ctx.services.events.checkIdCount(ids);
    const loaded = await ctx.loaders.eventById.loadMany(ids);
    return loaded.map((item) => {
      if (item instanceof Error) throw item;
      return item;
    });
  }

  @Query(() => EventConnection, {
    description: 'Cursor pagination by (eventTimestamp, id); stable while others insert.',
  })
  events(
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => EventFilter, { nullable: true }) filter?: EventFilter,
    @Arg('first', () => Int, { nullable: true, defaultValue: 100 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('orderBy', () => EventOrder, { nullable: true, defaultValue: EventOrder.NEWEST_FIRST }) orderBy?: EventOrder,
  ): Promise<EventConnection> {
    return ctx.services.events
      .connection({ filter, first, after, orderBy })
      .then((slice) => ({ ...slice, nodes: slice.edges.map((edge) => edge.node) }) as EventConnection);
  }

  @Query(() => EventPage, { description: 'Offset pagination, newest first.' })
  eventPage(
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => EventFilter, { nullable: true }) filter?: EventFilter,
    @Arg('limit', () => Int, { nullable: true, defaultValue: 100 }) limit?: number,
    @Arg('offset', () => Int, { nullable: true, defaultValue: 0 }) offset?: number,
  ): Promise<EventPage> {
    return ctx.services.events.page({ filter, limit, offset }) as Promise<EventPage>;
  }

  @Query(() => [Event], {
    description:
      'MADSci\'s raw MongoDB selector over the stored document (snake_case keys, e.g. {"source.node_id": "..", "log_level": {"$gte": 30}}), archived events included, newest first. Only allow-listed query operators.',
  })
  queryEvents(
    @Arg('selector', () => GraphQLJSON) selector: unknown,
    @Ctx() ctx: GraphQLContext,
    @Arg('limit', () => Int, { nullable: true, defaultValue: 100 }) limit?: number,
    @Arg('offset', () => Int, { nullable: true, defaultValue: 0 }) offset?: number,
  ): Promise<EventDocument[]> {
    return ctx.services.events.query({ selector, limit, offset });
  }

  @Mutation(() => Event, {
    description: 'Logs one event. Idempotent on id: an id that exists returns the stored event unchanged.',
  })
  logEvent(@Arg('event', () => EventInput) event: EventInput, @Ctx() ctx: GraphQLContext): Promise<EventDocument> {
    return ctx.services.events.logEvent(event);
  }

  @Mutation(() => LogEventsResult, {
    description: 'Logs a batch of at most 10 000 events; duplicate ids are counted, not fatal.',
  })
  logEvents(
    @Arg('events', () => [EventInput]) events: EventInput[],
    @Ctx() ctx: GraphQLContext,
  ): Promise<LogEventsResult> {
    return ctx.services.events.logEvents(events) as Promise<LogEventsResult>;
  }

  @FieldResolver(() => Int, { description: 'The level as a number (0..50).' })
  logLevelValue(@Root() event: EventDocument): number {
    return event.log_level;
  }
}

/** `totalCount` of a connection, counted only when selected. */
@Resolver(() => EventConnection)
export class EventConnectionResolver {
  @FieldResolver(() => Int, { description: 'Number of events matching the filter; counted only when selected.' })
  totalCount(
    @Root() connection: EventConnection,
    @Ctx() ctx: GraphQLContext,
    @Arg('limit', () => Int, { nullable: true, description: TOTAL_COUNT_LIMIT }) limit?: number | null,
  ): Promise<number> {
    return ctx.services.events.count(connection.selector, limit);
  }
}

/** `totalCount` of an offset page, counted only when selected. */
@Resolver(() => EventPage)
export class EventPageResolver {
  @FieldResolver(() => Int, { description: 'Number of events matching the filter; counted only when selected.' })
  totalCount(
    @Root() page: EventPage,
    @Ctx() ctx: GraphQLContext,
    @Arg('limit', () => Int, { nullable: true, description: TOTAL_COUNT_LIMIT }) limit?: number | null,
  ): Promise<number> {
    return ctx.services.events.count(page.selector, limit);
  }
}

/** `hasPreviousPage`: whether a matching event sorts at or before `after`; queried only when selected. */
@Resolver(() => PageInfo)
export class PageInfoResolver {
  @FieldResolver(() => Boolean)
  hasPreviousPage(@Root() pageInfo: PageInfo): Promise<boolean> {
    return pageInfo.hasPreviousPage();
  }
}
