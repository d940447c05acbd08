import { Query } from 'mingo';
import { describe, expect, it } from 'vitest';
import { filterToSelector } from '../../src/events/event-filter';
import { ArchiveState } from '../../src/events/event.enums';
import { normalizeStoredEvent } from '../../src/store/normalize-event';
import { forStoredShape, toStoredDocument } from '../../src/store/mongo/stored-shape';
import { variedDocs } from '../support/fixtures';

const docs = variedDocs(200, 5);

/** Conditions on the members the MongoDB store leaves out when they hold their default. */
const CONDITIONS: Record<string, unknown[]> = {
  alert: [true, false, null, { $ne: false }, { $ne: true }, { $in: [false] }, { $nin: [false] }, { $lte: false }],
  archived: [true, false, { $ne: true }, { $exists: true }, { $exists: false }, { $not: { $eq: false } }],
  trace_id: [null, 'trace1', { $ne: null }, { $exists: true }, { $exists: false }, { $in: [null, 'trace2'] }],
  span_id: [null, { $exists: 1 }, { $exists: 0 }, { $nin: [null] }],
  archived_at: [null, { $exists: true }, { $lt: new Date(Date.UTC(2030, 0, 1)) }, { $not: { $exists: true } }],
};

describe('the MongoDB stored shape', () => {
  it('leaves out exactly the members that hold their default, and reads back the same event', () => {
    for (const doc of docs) {
      const stored = toStoredDocument(doc) as unknown as Record<string, unknown>;
      expect(stored).not.toBe(doc);
      expect('alert' in stored).toBe(doc.alert);
      expect('archived' in stored).toBe(doc.archived);
      expect('archived_at' in stored).toBe(doc.archived_at !== null);
      expect('trace_id' in stored).toBe(doc.trace_id !== null);
      expect('span_id' in stored).toBe(false);
      expect(Object.keys(stored)[0]).toBe('_id');
      expect(normalizeStoredEvent(stored)).toEqual(doc);
    }
  });

  it('rewrites selectors so both shapes match as the event with every member does', () => {
    const selectors: Record<string, unknown>[] = [];
    for (const [field, conditions] of Object.entries(CONDITIONS))
      for (const condition of conditions) selectors.push({ [field]: condition });
    selectors.push(
      { $or: [{ alert: false, log_level: 50 }, { archived: false }] },
      { $nor: [{ trace_id: { $exists: true } }, { alert: true }] },
      { $and: [{ archived: false }], alert: false, log_level: { $gte: 20 } },
    );
    for (const selector of selectors) {
      const rewritten = forStoredShape(selector);
      const want = new Query(selector);
      const got = new Query(rewritten);
      for (const doc of docs) {
        const full = doc as unknown as Record<string, unknown>;
        const label = `${JSON.stringify(selector)} on ${doc._id}`;
        expect(got.test(toStoredDocument(doc) as unknown as Record<string, unknown>), label).toBe(want.test(full));
        expect(got.test(full), label).toBe(want.test(full));
      }
    }
  });

  it('sends the filters of the events service unchanged (no $or added to hot reads)', () => {
    for (const archived of [ArchiveState.ACTIVE, ArchiveState.ARCHIVED, ArchiveState.ALL]) {
      const selector = filterToSelector({ archived, minLevel: 20, text: 'pump', eventTypes: ['node_start'] as never });
      expect(forStoredShape(selector)).toBe(selector);
    }
    const purge = { archived: true, archived_at: { $lt: new Date() } };
    expect(forStoredShape(purge)).toBe(purge);
    expect(forStoredShape({ archived: false })).toEqual({
      $or: [{ archived: { $exists: false } }, { archived: false }],
    });
  });
});
