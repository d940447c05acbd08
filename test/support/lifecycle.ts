/** Helpers of the lifecycle tests (backups): comparing whole stores document by document, reading dumps. */
import fs from 'node:fs';
import zlib from 'node:zlib';
import { BSON } from 'bson';
import { expect } from 'vitest';
import type { EventDocument } from '../../src/store/event-document';
import type { EventStore } from '../../src/store/event-store';
import { makeDoc, NODES, USER, variedDocs, WORKCELL } from './fixtures';

/** A document as canonical text: keys sorted at every level, dates as `{"$date": iso}`. */
export function canonical(value: unknown): string {
  const visit = (v: unknown): unknown => {
    if (v instanceof Date) return { $date: v.toISOString() };
    if (Array.isArray(v)) return v.map(visit);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((key) => [key, visit((v as Record<string, unknown>)[key])]),
      );
    }
    return v;
  };
  return JSON.stringify(visit(value));
}

/** Every stored document (archived included, every field), oldest first, as canonical text. */
export async function snapshot(store: EventStore): Promise<string[]> {
  const out: string[] = [];
  for await (const doc of store.stream({}, { order: { field: 'event_timestamp', direction: 1 }, chunkSize: 5000 }))
    out.push(canonical(doc));
  return out;
}

/** Fails on the first document that differs (not with a diff of 100 000 documents). */
export function expectSameDocuments(actual: readonly string[], expected: readonly string[]): void {
  const differing = expected.findIndex((doc, i) => actual[i] !== doc);
  if (differing >= 0)
    expect({ index: differing, doc: actual[differing] }).toEqual({ index: differing, doc: expected[differing] });
  expect(actual.length).toBe(expected.length);
}

/**
 * `count` varied documents (see {@link variedDocs}) plus a few with every field set and unusual
 * payloads: unicode, deep nesting, nulls, big and fractional numbers, empty values. (No arrays
 * directly inside arrays: FerretDB v1 refuses them, though MongoDB stores them.)
 */
export function backupFixture(count: number): EventDocument[] {
  const odd: EventDocument[] = [
    makeDoc({
      event_type: 'workflow_abort',
      log_level: 50,
      alert: true,
      source: {
        user_id: USER,
        experiment_id: NODES[0]!,
        campaign_id: NODES[1]!,
        project_id: NODES[2]!,
        node_id: NODES[0]!,
        workcell_id: WORKCELL,
        lab_id: NODES[1]!,
        step_id: NODES[2]!,
        workflow_id: NODES[0]!,
        manager_id: WORKCELL,
      },
      event_data: {
        message: 'Ünïcødé ✓ 🧪 “quotes” \\ back\\slash\nnew line',
        nested: { deep: { deeper: [1, { two: [2, { three: 3, x: null }] }] } },
        empty: {},
        list: [],
        blank: '',
      },
      trace_id: 'a'.repeat(32),
      span_id: 'b'.repeat(16),
      archived: true,
      archived_at: new Date(Date.UTC(2025, 5, 1, 0, 0, 0, 123)),
    }),
    makeDoc({
      event_data: {
        big: 2 ** 53 - 1,
        negative: -(2 ** 40),
        fraction: 0.1 + 0.2,
        tiny: 5e-324,
        huge: 1.7976931348623157e308,
        int32edge: 2 ** 31,
      },
    }),
    makeDoc({ event_data: 'a plain string payload' }),
    makeDoc({ event_data: [1, 'two', { three: 3 }, null, true] }),
    makeDoc({
      event_data: {},
      event_timestamp: new Date(Date.UTC(1999, 11, 31, 23, 59, 59, 999)),
      received_at: new Date(Date.UTC(2030, 0, 1)),
    }),
  ];
  return [...variedDocs(count - odd.length, 11), ...odd];
}

/** Inserts documents in batches; returns how many were stored. */
export async function fill(store: EventStore, docs: readonly EventDocument[], batch = 5000): Promise<number> {
  let inserted = 0;
  for (let i = 0; i < docs.length; i += batch)
    inserted += (await store.insertMany(docs.slice(i, i + batch))).insertedIds.length;
  return inserted;
}

/** The documents of a `.bson.gz` file, read without any of the server's code. */
export function readDump(file: string): Record<string, unknown>[] {
  const bytes = zlib.gunzipSync(fs.readFileSync(file));
  const docs: Record<string, unknown>[] = [];
  for (let offset = 0; offset < bytes.length;) {
    const size = bytes.readInt32LE(offset);
    docs.push(BSON.deserialize(bytes.subarray(offset, offset + size)));
    offset += size;
  }
  return docs;
}
