/**
 * `filterToSelector`: what each member of a GraphQL `EventFilter` means as a MongoDB selector
 * over the stored document (the one definition both stores and the live bus use).
 */
import { describe, expect, it } from 'vitest';
import { filterToSelector } from '../../src/events/event-filter';
import { ArchiveState, EventType } from '../../src/events/event.enums';
import { badInput, thrown } from './thrown';

const ACTIVE = { archived: { $ne: true } };

describe('filterToSelector', () => {
  it('sees active events only when there is no filter, or an empty one', () => {
    expect(filterToSelector(undefined)).toEqual(ACTIVE);
    expect(filterToSelector(null)).toEqual(ACTIVE);
    expect(filterToSelector({})).toEqual(ACTIVE);
  });

  it('maps the archive states', () => {
    expect(filterToSelector({ archived: ArchiveState.ALL })).toEqual({});
    expect(filterToSelector({ archived: ArchiveState.ARCHIVED })).toEqual({ archived: true });
    expect(filterToSelector({ archived: ArchiveState.ACTIVE })).toEqual(ACTIVE);
    expect(filterToSelector({ archived: null })).toEqual(ACTIVE);
  });

  it('returns a single condition bare, without $and', () => {
    expect(filterToSelector({ minLevel: 30, archived: ArchiveState.ALL })).toEqual({ log_level: { $gte: 30 } });
    expect(filterToSelector({ alert: false, archived: ArchiveState.ALL })).toEqual({ alert: false });
  });

  it('joins every member with $and, in a fixed order; sources in MADSci key order, ULIDs upper-cased', () => {
    const selector = filterToSelector({
      text: 'Robot.Arm (1)',
      alert: false,
      source: { nodeId: ['01arz3ndektsv4rrffq69g5fav', 'not-a-ulid'], userId: [] },
      to: new Date('2024-02-01T00:00:00.000Z'),
      from: new Date('2024-01-01T00:00:00.000Z'),
      eventTypes: [EventType.LOG_INFO, EventType.NODE_ERROR],
      levels: [40, 50],
      minLevel: 20,
    });
    expect(selector).toEqual({
      $and: [
        { log_level: { $gte: 20 } },
        { log_level: { $in: [40, 50] } },
        { event_type: { $in: ['log_info', 'node_error'] } },
        { event_timestamp: { $gte: new Date('2024-01-01T00:00:00.000Z') } },
        { event_timestamp: { $lt: new Date('2024-02-01T00:00:00.000Z') } },
        { 'source.user_id': { $in: [] } },
        { 'source.node_id': { $in: ['01ARZ3NDEKTSV4RRFFQ69G5FAV', 'not-a-ulid'] } },
        { alert: false },
        ACTIVE,
        { search_text: { $regex: 'robot\\.arm \\(1\\)' } },
      ],
    });
  });

  it('searches text lower-cased with every regular-expression character escaped; empty text is no condition', () => {
    expect(filterToSelector({ text: 'A-b/c$^*+?{}[]|\\', archived: ArchiveState.ALL })).toEqual({
      search_text: { $regex: 'a\\-b\\/c\\$\\^\\*\\+\\?\\{\\}\\[\\]\\|\\\\' },
    });
    expect(filterToSelector({ text: '', archived: ArchiveState.ALL })).toEqual({});
    expect(filterToSelector({ text: 'x'.repeat(1000), archived: ArchiveState.ALL })).toEqual({
      search_text: { $regex: 'x'.repeat(1000) },
    });
  });

  it('compiles and/or recursively; each nested filter sees active events unless it says otherwise', () => {
    expect(
      filterToSelector({
        archived: ArchiveState.ALL,
        or: [{ alert: true }, { minLevel: 40, archived: ArchiveState.ALL }],
      }),
    ).toEqual({
      $or: [{ $and: [{ alert: true }, ACTIVE] }, { log_level: { $gte: 40 } }],
    });
    expect(filterToSelector({ and: [{ alert: true, archived: ArchiveState.ALL }] })).toEqual({
      $and: [ACTIVE, { alert: true }],
    });
  });

  it('says an empty or (true of no event) without an empty $or, which MongoDB refuses', () => {
    expect(filterToSelector({ archived: ArchiveState.ALL, or: [] })).toEqual({ _id: { $in: [] } });
    // An empty `and` holds for every event.
    expect(filterToSelector({ archived: ArchiveState.ALL, and: [] })).toEqual({});
  });

  describe('bad input', () => {
    it('refuses text over 1000 characters, naming the path', () => {
      expect(thrown(() => filterToSelector({ text: 'x'.repeat(1001) }))).toEqual(
        badInput('text may be at most 1000 characters', 'filter.text'),
      );
      expect(thrown(() => filterToSelector({ and: [{}, { or: [{ text: 'y'.repeat(5000) }] }] }))).toEqual(
        badInput('text may be at most 1000 characters', 'filter.and[1].or[0].text'),
      );
    });

    it('refuses nesting deeper than maxDepth (10 by default), naming the first filter too deep', () => {
      // Ten levels, each seeing archived events too (else each level adds its own ACTIVE).
      let ten: object = { archived: ArchiveState.ALL, alert: true };
      for (let i = 1; i < 10; i++) ten = { archived: ArchiveState.ALL, and: [ten] };
      expect(filterToSelector(ten)).toEqual({ alert: true });
      expect(thrown(() => filterToSelector({ or: [ten] }))).toEqual(
        badInput('Filters may nest at most 10 levels', `filter.or[0]${'.and[0]'.repeat(9)}`),
      );
      expect(filterToSelector({ and: [{}] }, 2)).toEqual({ $and: [ACTIVE, ACTIVE] });
      expect(thrown(() => filterToSelector({ and: [{ or: [{}, {}] }] }, 2))).toEqual(
        badInput('Filters may nest at most 2 levels', 'filter.and[0].or[0]'),
      );
    });
  });
});
