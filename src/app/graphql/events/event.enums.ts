import { registerEnumType } from 'type-graphql';
import { ArchiveState, EventLogLevel, EventOrder, EventType } from '../../../events/event.enums';

/*
 * The events service's plain enums as GraphQL enums. The GraphQL type files import the enums from
 * here, so the registration has run before the schema is built.
 */

registerEnumType(EventType, { name: 'EventType', description: "MADSci's event types; stored as the lower-case name." });
registerEnumType(EventLogLevel, {
  name: 'EventLogLevel',
  description: 'Log levels; stored as the numbers 0, 10, 20, 30, 40, 50.',
});
registerEnumType(ArchiveState, {
  name: 'ArchiveState',
  description: 'ACTIVE: not archived (default); ARCHIVED: archived only; ALL: both.',
});
registerEnumType(EventOrder, { name: 'EventOrder', description: 'Order by event timestamp, then id.' });

export { ArchiveState, EventLogLevel, EventOrder, EventType };
