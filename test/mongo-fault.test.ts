import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type ServerHandle } from '../src/app/server';
import { createLogger } from '../src/core/logger';
import { createStore } from '../src/store/create-store';
import { startFerretDb, type FerretDbHandle } from './support/ferretdb';
import { startIngestClients, storedIds, until } from './support/ingest-clients';
import { testConfig, uniqueName } from './support/stores';

describe('MongoDB (FerretDB) killed and restarted during ingest', () => {
  const ferrets: FerretDbHandle[] = [];
  let server: ServerHandle | null = null;
  afterEach(async () => {
    await server?.stop();
    server = null;
    // The restarted instance owns the data directory; the killed one's stop() removes it too.
    for (const ferret of ferrets.reverse()) await ferret.stop();
    ferrets.length = 0;
  });

  it('reports SERVICE_UNAVAILABLE for what was not stored, reconnects by itself and keeps every acknowledged event', async () => {
    const ferret = await startFerretDb();
    ferrets.push(ferret);
    const config = testConfig({
      NODE_ENV: 'production',
      MONGODB_URI: ferret.uri,
      MONGODB_DATABASE: uniqueName('fault'),
      MONGODB_SERVER_SELECTION_TIMEOUT_MS: '1500',
    });
    const logger = createLogger('silent');
    server = await startServer({ config, store: createStore(config, logger), logger });
    const url = server.url;

    let stop = false;
    const { record, done } = startIngestClients({
      url: () => url,
      prefix: 'fault',
      clients: 10,
      batchSize: 10,
      stop: () => stop,
    });
    try {
      await until(() => record.acknowledged.size >= 300, 120_000);
      await ferret.kill();
      // Every client runs into the outage; each failed call says so.
      await until(() => record.failed.length >= 10, 120_000);
      const restarted = await startFerretDb({ port: ferret.port, dataDir: ferret.dataDir });
      ferrets.push(restarted);
      // The server reconnects on its own: acknowledgements resume.
      const before = record.acknowledged.size;
      const failedBefore = record.failed.length;
      await until(
        () => record.acknowledged.size >= before + 300,
        120_000,
        20,
        () =>
          `${record.acknowledged.size - before} acknowledged and ${record.failed.length - failedBefore} failed since ` +
          `the restart (FerretDB on port ${restarted.port} alive: ${restarted.alive()}); last failure: ` +
          JSON.stringify(record.failed.at(-1) ?? null).slice(0, 300),
      );
    } finally {
      stop = true;
      await done;
    }

    expect(record.silent).toEqual([]);
    expect(record.failed.length).toBeGreaterThanOrEqual(10);
    // Every call that was not acknowledged got an error naming the outage (not a 500 with internals).
    const reasons = new Set(record.failed.map((call) => `${call.status} ${call.code} ${call.message}`));
    expect([...reasons]).toEqual(['503 SERVICE_UNAVAILABLE The event database is unavailable; try again shortly']);
    const acknowledged = [...record.acknowledged];
    const found = await storedIds(url, acknowledged);
    expect(acknowledged.filter((id) => !found.has(id))).toEqual([]);

    // A failed call may be retried as it was: ids make it idempotent (stored ones count as duplicates).
    for (const call of record.failed) {
      const retry = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: 'mutation($e: [EventInput!]!) { logEvents(events: $e) { insertedCount duplicateCount } }',
          variables: { e: call.ids.map((id) => ({ id, eventType: 'LOG_INFO', eventData: {} })) },
        }),
      });
      const body = (await retry.json()) as { data: { logEvents: { insertedCount: number; duplicateCount: number } } };
      expect(body.data.logEvents.insertedCount + body.data.logEvents.duplicateCount).toBe(call.ids.length);
    }
    const retried = record.failed.flatMap((call) => call.ids);
    expect((await storedIds(url, retried)).size).toBe(retried.length);
  }, 300_000);
});
