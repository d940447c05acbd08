import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../src/store/sqlite/sqlite-event-store';
import { BACKSTOP_AUTOCHECKPOINT_PAGES } from '../src/store/sqlite/checkpoint-worker';
import { makeDoc } from './support/fixtures';

/* WAL checkpoints run on a worker thread, not in the committing connection (docs/performance.md#wal-checkpoints). */

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-checkpoint-'));
  dirs.push(dir);
  return dir;
}

/** Events in a copy of the database file alone (no -wal): those some checkpoint has copied into it (-1: not even the table). */
function eventsInMainFile(file: string): number {
  const copy = path.join(tempDir(), 'copy.db');
  fs.copyFileSync(file, copy);
  const db = new Database(copy, { readonly: true });
  try {
    if (!db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'events'`).get()) return -1;
    return (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('SQLite WAL checkpoints', () => {
  it('copy a few commits into the database file soon, though far below the backstop', async () => {
    const file = path.join(tempDir(), 'events.db');
    const store = new SqliteEventStore(file);
    await store.init();
    try {
      const docs = Array.from({ length: 20 }, () => makeDoc());
      for (const doc of docs) await store.insertMany([doc]);
      // 20 small commits are a few dozen WAL pages: SQLite's own checkpoint (1 000 pages) would not copy them.
      const deadline = Date.now() + 10_000;
      let copied = eventsInMainFile(file);
      while (copied < docs.length && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        copied = eventsInMainFile(file);
      }
      expect(copied).toBe(docs.length);
      expect((await store.findByIds(docs.map((d) => d._id))).length).toBe(docs.length);
    } finally {
      await store.close();
    }
  });

  it('leave the committing connection only the backstop', async () => {
    const file = path.join(tempDir(), 'events.db');
    const store = new SqliteEventStore(file);
    await store.init();
    try {
      const conn = (store as unknown as { db: Database.Database }).db;
      expect(conn.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_AUTOCHECKPOINT_PAGES);
      expect(conn.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(conn.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    } finally {
      await store.close();
    }
  });
});
