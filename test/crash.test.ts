import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startIngestClients, storedIds, until } from './support/ingest-clients';
import { startServerProcess, type ServerProcess } from './support/server-process';

describe('server crash (SIGKILL) during ingest on SQLite', () => {
  const processes: ServerProcess[] = [];
  let dataDir: string | null = null;
  afterEach(async () => {
    for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    processes.length = 0;
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged event and an intact file after a restart on the same DATA_DIR', async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-crash-'));
    const env = { DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    const first = await startServerProcess({ ...env, LOG_LEVEL: 'info' });
    processes.push(first);

    let killed = false;
    const { record, done } = startIngestClients({
      url: () => first.url,
      prefix: 'crash',
      clients: 10,
      batchSize: 20,
      stop: () => killed,
    });
    // Kill mid-ingest: once a good number of batches are acknowledged, with ten more in flight.
    await until(() => record.acknowledged.size >= 4000, 120_000);
    first.child.kill('SIGKILL');
    killed = true;
    expect(await first.exited).toBeNull();
    await done;
    expect(record.silent).toEqual([]);
    // The calls cut off by the kill failed visibly (connection reset), never as a 200.
    expect(record.failed.length).toBeGreaterThan(0);
    for (const call of record.failed) expect(call.status).toBeNull();

    const second = await startServerProcess({ ...env, LOG_LEVEL: 'info' });
    processes.push(second);
    const acknowledged = [...record.acknowledged];
    const found = await storedIds(second.url, acknowledged);
    expect(acknowledged.filter((id) => !found.has(id))).toEqual([]);
    // Batches are transactions: a call cut off by the kill stored all of its events or none.
    for (const call of record.failed) {
      const stored = await storedIds(second.url, call.ids);
      expect([0, call.ids.length]).toContain(stored.size);
    }

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const db = new Database(path.join(dataDir, 'events.db'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const count = db.prepare("SELECT count(*) AS n FROM events WHERE id LIKE 'crash-%'").get() as { n: number };
      expect(count.n).toBeGreaterThanOrEqual(acknowledged.length);
    } finally {
      db.close();
    }
  }, 180_000);
});
