import 'reflect-metadata';
import { Field, Int, ObjectType } from 'type-graphql';
import type { Selector } from '../../../store/event-store';
import { Event } from './event.type';

@ObjectType('EventEdge')
export class EventEdge {
  @Field(() => String) cursor!: string;
  @Field(() => Event) node!: Event;
}

/** Relay page info; `hasPreviousPage` is worked out only when selected (see the resolver). */
@ObjectType('PageInfo')
export class PageInfo {
  @Field(() => Boolean) hasNextPage!: boolean;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
  @Field(() => String, { nullable: true }) startCursor!: string | null;
  /** Not a GraphQL field: answers `hasPreviousPage`. */
  hasPreviousPage!: () => Promise<boolean>;
}

/** Relay connection; `totalCount` is counted only when selected (see the resolver). */
@ObjectType('EventConnection')
export class EventConnection {
  @Field(() => [EventEdge]) edges!: EventEdge[];
  @Field(() => [Event]) nodes!: Event[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  /** Not a GraphQL field: what `totalCount` counts. */
  selector!: Selector;
}

/** Offset page; `totalCount` is counted only when selected. */
@ObjectType('EventPage')
export class EventPage {
  @Field(() => [Event]) items!: Event[];
  @Field(() => Int) limit!: number;
  @Field(() => Int) offset!: number;
  /** Not a GraphQL field: what `totalCount` counts. */
  selector!: Selector;
}

@ObjectType('LogEventsResult')
export class LogEventsResult {
  @Field(() => Int, { description: 'Events stored by this call.' }) insertedCount!: number;
  @Field(() => Int, { description: 'Events skipped because their id was already stored (or repeated in the batch).' })
  duplicateCount!: number;
  @Field(() => [Event], { description: 'In the order sent; a duplicate yields the event stored earlier.' })
  events!: Event[];
}
