import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { MongoClient, type Document } from 'mongodb';
import { monotonicFactory } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createProgressReporter } from '../src/app/cli/progress';
import { SqliteEventStore } from '../src/store/sqlite/sqlite-event-store';
import { NODES, USER, WORKCELL } from './support/fixtures';
import { run } from './support/python';
import { uniqueName } from './support/stores';

const CLI = path.join(__dirname, '..', 'src', 'app', 'cli', 'main.ts');
const TYPES = ['log_info', 'workcell_start', 'workflow_complete', 'node_error', 'experiment_start', 'workcell_stop'];
const LEVELS = [0, 10, 20, 30, 40, 50];
const BASE = Date.UTC(2025, 0, 6, 8, 0, 0);

/** What the import must reproduce for one document. */
interface Expected {
  at: number;
  archivedAt: number | null;
}

/**
 * Documents in MADSci's storage format (docs/madsci-compatibility.md#d20-madsci-documents-and-the-import): `_id` strings, `event_timestamp` as the text
 * pydantic writes (naive, with or without microseconds, `Z`, or an offset), `archived_at` a BSON
 * Date, source members omitted (or null, as older clients stored them), every kind of payload,
 * and older documents without the trace/archive keys.
 */
function madsciDocs(count: number, start: number, nextId: () => string, expected: Map<string, Expected>): Document[] {
  const docs: Document[] = [];
  for (let i = start; i < start + count; i++) {
    const id = nextId();
    const at = BASE + i * 1537 + (i % 1000);
    const iso = new Date(at).toISOString(); // ...T08:00:00.123Z
    let text: string;
    switch (i % 4) {
      case 0:
        text = `${iso.slice(0, 23)}${String(i % 1000).padStart(3, '0')}`;
        break; // naive, microseconds below the ms
      case 1:
        text = iso.replace('Z', '000Z');
        break; // UTC with Z
      case 2:
        text = `${new Date(at + 2 * 3600_000).toISOString().slice(0, 23)}000+02:00`;
        break; // an offset
      default:
        text = iso.endsWith('.000Z') ? iso.slice(0, 19) : iso.slice(0, 23).concat('000'); // naive, pydantic style
    }
    const archived = i % 10 === 0;
    const archivedAt = archived ? new Date(BASE + 90 * 86_400_000 + i) : null;
    expected.set(id, { at, archivedAt: archivedAt?.getTime() ?? null });
    const source: Document =
      i % 7 === 0 ? { user_id: USER, node_id: null, workcell_id: WORKCELL } : { node_id: NODES[i % 3] };
    const eventData: unknown =
      i % 5 === 0 ? `plain text ${i}` : { message: `event ${i}`, n: i, nested: { ok: i % 2 === 0 } };
    const doc: Document = {
      _id: id,
      event_type: TYPES[i % TYPES.length],
      log_level: LEVELS[i % LEVELS.length],
      alert: i % 97 === 0,
      event_timestamp: text,
      source,
      event_data: eventData,
    };
    if (i % 11 !== 0) Object.assign(doc, { trace_id: null, span_id: null, archived, archived_at: archivedAt });
    else if (archived) Object.assign(doc, { archived, archived_at: archivedAt });
    docs.push(doc);
  }
  return docs;
}

/** Seeds a MADSci database directly through the driver, in batches. */
async function seed(
  client: MongoClient,
  database: string,
  count: number,
  expected: Map<string, Expected>,
): Promise<void> {
  const collection = client.db(database).collection('events');
  const nextId = monotonicFactory();
  const batch = 10_000;
  for (let start = 0; start < count; start += batch) {
    await collection.insertMany(
      madsciDocs(Math.min(batch, count - start), start, () => nextId(BASE), expected),
      { ordered: false },
    );
  }
}

/** Runs `lab-events import` as a user would (a child process; stdout and stderr are pipes, not a terminal). */
function importCli(args: string[], env: Record<string, string>) {
  return run(process.execPath, ['--import', 'tsx', CLI, 'import', ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...env },
    timeoutMs: 600_000,
  });
}

describe('lab-events import from a MADSci database', () => {
  const uri = inject('mongoUri');
  let client: MongoClient;
  const dropAfter: string[] = [];
  const tmpDirs: string[] = [];

  beforeAll(async () => {
    client = new MongoClient(uri);
    await client.connect();
  });
  afterAll(async () => {
    for (const database of dropAfter) await client.db(database).dropDatabase();
    await client?.close();
    for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('copies 100 000 documents into SQLite with the same ids, instants, archive state and data; a second run adds nothing', async () => {
    const source = uniqueName('madsci_src');
    dropAfter.push(source);
    const expected = new Map<string, Expected>();
    const seeding = Date.now();
    await seed(client, source, 100_000, expected);
    console.log(`seeded 100000 MADSci documents into FerretDB in ${((Date.now() - seeding) / 1000).toFixed(1)} s`);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-import-'));
    tmpDirs.push(dataDir);

    const first = await importCli(['--from', uri, '--database', source], { DATA_DIR: dataDir });
    expect(first.stderr).not.toMatch(/failed/);
    expect(first.code).toBe(0);
    console.log(`first run: ${first.stdout.trim()}`);
    expect(first.stdout).toMatch(/^imported 100000 events: 100000 new, 0 already present, in [\d.]+ s \(\d+\/s\)\n$/);
    // Not a terminal: plain progress lines, no escape sequences.
    const lines = first.stderr.trim().split('\n');
    expect(lines[0]).toBe(`importing ${source}.events into SQLite under ${dataDir}`);
    expect(lines.slice(1).length).toBeGreaterThanOrEqual(1);
    for (const line of lines.slice(1))
      expect(line).toMatch(/^read \d+\/100000 \(\d+%\), \d+ new, \d+ already present, \d+\/s$/);
    expect(lines.at(-1)).toMatch(/^read 100000\/100000 \(100%\), 100000 new, 0 already present/);
    expect(first.stderr).not.toMatch(/\x1b\[/);

    const store = new SqliteEventStore(path.join(dataDir, 'events.db'));
    await store.init();
    try {
      expect(await store.count({})).toBe(100_000);
      expect(await store.count({ archived: true })).toBe(
        [...expected.values()].filter((e) => e.archivedAt !== null).length,
      );
      let seen = 0;
      for await (const doc of store.stream({}, { order: { field: 'event_timestamp', direction: 1 } })) {
        const want = expected.get(doc._id);
        if (!want) throw new Error(`unexpected id ${doc._id}`);
        if (doc.event_timestamp.getTime() !== want.at)
          throw new Error(`${doc._id}: ${doc.event_timestamp.toISOString()} != ${new Date(want.at).toISOString()}`);
        if ((doc.archived_at?.getTime() ?? null) !== want.archivedAt || doc.archived !== (want.archivedAt !== null))
          throw new Error(`${doc._id}: archive state differs`);
        seen++;
      }
      expect(seen).toBe(100_000);

      // Payloads and sources as MADSci stored them (null members dropped).
      const sample = await client.db(source).collection('events').find({}).limit(20).toArray();
      const imported = new Map((await store.findByIds(sample.map((d) => String(d._id)))).map((d) => [d._id, d]));
      for (const raw of sample) {
        const doc = imported.get(String(raw._id))!;
        expect(doc.event_data).toEqual(raw.event_data);
        expect(doc.source).toEqual(
          Object.fromEntries(Object.entries(raw.source as object).filter(([, v]) => v !== null)),
        );
        expect({ type: doc.event_type, level: doc.log_level, alert: doc.alert }).toEqual({
          type: raw.event_type,
          level: raw.log_level,
          alert: raw.alert,
        });
      }
    } finally {
      await store.close();
    }

    const second = await importCli(['--from', uri, '--database', source, '--collection', 'events'], {
      DATA_DIR: dataDir,
    });
    expect(second.code).toBe(0);
    console.log(`second run: ${second.stdout.trim()}`);
    expect(second.stdout).toMatch(/^imported 100000 events: 0 new, 100000 already present/);
    const again = new SqliteEventStore(path.join(dataDir, 'events.db'));
    await again.init();
    try {
      expect(await again.count({})).toBe(100_000);
    } finally {
      await again.close();
    }
  }, 900_000);

  it('imports into the MongoDB store as real dates, keeping ids, archive state and data; a second run adds nothing', async () => {
    const source = uniqueName('madsci_src');
    const target = uniqueName('lab_events_target');
    dropAfter.push(source, target);
    const expected = new Map<string, Expected>();
    await seed(client, source, 300, expected);
    const env = { MONGODB_URI: uri, MONGODB_DATABASE: target };

    const first = await importCli(['--from', uri, '--database', source, '--batch-size', '64'], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^imported 300 events: 300 new, 0 already present/);
    const stored = await client.db(target).collection('events').find({}).toArray();
    expect(stored).toHaveLength(300);
    for (const doc of stored) {
      const want = expected.get(String(doc._id))!;
      expect(doc.event_timestamp).toBeInstanceOf(Date);
      expect((doc.event_timestamp as Date).getTime()).toBe(want.at);
      // Stored without the members that hold their default (docs/performance.md#stored-shape-on-mongodb).
      expect(doc.archived ?? false).toBe(want.archivedAt !== null);
      expect((doc.archived_at as Date | null)?.getTime() ?? null).toBe(want.archivedAt);
    }

    const second = await importCli(['--from', uri, '--database', source], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^imported 300 events: 0 new, 300 already present/);
    expect(await client.db(target).collection('events').countDocuments()).toBe(300);
  }, 300_000);

  it('refuses bad usage with exit code 2 and the usage text', async () => {
    const missing = await importCli([], {});
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Usage: lab-events import --from <mongodb-uri>/);
    const unknown = await importCli(['--from', uri, '--colection', 'x'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/colection/);
  });

  it('fails with exit code 1 and a message when the source cannot be reached', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-import-'));
    tmpDirs.push(dataDir);
    const result = await importCli(['--from', 'mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500'], {
      DATA_DIR: dataDir,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/import failed: .*ECONNREFUSED|import failed: .*connect/i);
  });
});

describe('import progress display', () => {
  it('draws a bar with counts and rate on a terminal', () => {
    const terminal = Object.assign(new PassThrough(), { isTTY: true, columns: 160 });
    let output = '';
    terminal.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const reporter = createProgressReporter(terminal);
    reporter.update({ read: 0, inserted: 0, skipped: 0, total: 1000, elapsedMs: 0 });
    reporter.update({ read: 1000, inserted: 600, skipped: 400, total: 1000, elapsedMs: 500 });
    reporter.stop();
    expect(output).toMatch(/importing \|[█░]+\| 100% \| 1000\/1000 read \| 600 new \| 400 already present \| 2000\/s/);
  });

  it('prints plain lines, at most one per interval plus the last, when not a terminal', () => {
    const pipe = new PassThrough();
    let output = '';
    pipe.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const reporter = createProgressReporter(pipe, 60_000);
    reporter.update({ read: 0, inserted: 0, skipped: 0, total: 3000, elapsedMs: 0 });
    reporter.update({ read: 1000, inserted: 1000, skipped: 0, total: 3000, elapsedMs: 1000 });
    reporter.update({ read: 3000, inserted: 2000, skipped: 1000, total: 3000, elapsedMs: 1500 });
    reporter.stop();
    expect(output).toBe(
      'read 0/3000 (0%), 0 new, 0 already present, 0/s\nread 3000/3000 (100%), 2000 new, 1000 already present, 2000/s\n',
    );
  });
});
