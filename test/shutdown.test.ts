import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/core/logger';
import { createStore } from '../src/store/create-store';
import { startIngestClients, storedIds, until } from './support/ingest-clients';
import { startServerProcess } from './support/server-process';
import { storeEnv, testConfig, STORE_KINDS } from './support/stores';
import { RawLiveSocket } from './support/ws-client';

const SUBSCRIPTION = 'subscription($after: String) { eventLogged(after: $after) { id } }';

/** A live subscriber on a raw graphql-ws socket: the ids it received, in order, and its close code. */
async function subscriber(url: string, after: string | null = null) {
  const socket = new RawLiveSocket(url);
  await socket.init();
  const ids: string[] = [];
  const errors: unknown[] = [];
  socket.socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as {
      type: string;
      payload?: { data?: { eventLogged?: { id: string } }; errors?: unknown[] };
    };
    if (message.type === 'next' && message.payload?.data?.eventLogged) ids.push(message.payload.data.eventLogged.id);
    if (message.type === 'error' || message.payload?.errors) errors.push(message.payload);
  });
  socket.subscribe('live', SUBSCRIPTION, { after });
  return { socket, ids, errors };
}

describe.each(STORE_KINDS)('graceful shutdown on %s', (kind) => {
  let cleanup: (() => Promise<void>) | null = null;
  afterEach(async () => cleanup?.());

  it('finishes an in-flight batch on SIGTERM, exits 0, and keeps every acknowledged event', async () => {
    const { env, cleanup: dispose } = storeEnv(kind);
    cleanup = dispose;
    const { child, url, exited } = await startServerProcess(env);
    const events = Array.from({ length: 5000 }, (_, i) => ({ id: `sigterm-${i}`, eventData: { i } }));
    const payload = Buffer.from(
      JSON.stringify({
        query: 'mutation($e: [EventInput!]!) { logEvents(events: $e) { insertedCount } }',
        variables: { e: events },
      }),
    );
    // Send the headers and half the body, signal while the request is in flight, then finish it.
    const request = http.request(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': payload.length },
    });
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      request.on('response', (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      request.on('error', reject);
    });
    request.write(payload.subarray(0, payload.length / 2));
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // New connections are refused while the in-flight request is still open.
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    request.end(payload.subarray(payload.length / 2));
    const { status, body } = await response;
    expect(status).toBe(200);
    expect(JSON.parse(body)).toEqual({ data: { logEvents: { insertedCount: 5000 } } });
    expect(await exited).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();

    // Reopen the store the process used: everything it acknowledged is there.
    const config = testConfig(env);
    const store = createStore(config, createLogger('silent'));
    await store.init();
    try {
      expect(await store.count({ _id: { $regex: '^sigterm-' } })).toBe(5000);
    } finally {
      await store.close();
    }
  });

  it('under load: in-flight calls finish, new ones are refused, subscribers get a proper close and can resume without a gap', async () => {
    const { env, cleanup: dispose } = storeEnv(kind);
    cleanup = dispose;
    const first = await startServerProcess(env);
    const subscribers = await Promise.all(Array.from({ length: 4 }, () => subscriber(first.url)));

    // Ten clients ingest; the subscribers see it live.
    let stop = false;
    const { record, done } = startIngestClients({
      url: () => first.url,
      prefix: `term-${kind}`,
      clients: 10,
      batchSize: 10,
      stop: () => stop,
    });
    let exitCode: number | null;
    try {
      await until(() => record.acknowledged.size >= 300 && subscribers.every((s) => s.ids.length >= 100), 120_000);
      first.child.kill('SIGTERM');
      exitCode = await first.exited;
      // The clients keep calling a server that is gone: refused, and they see it.
      const callsAtExit = record.calls;
      await until(() => record.calls >= callsAtExit + 20, 30_000);
    } finally {
      stop = true;
      await done;
    }
    expect(exitCode).toBe(0);

    // Every call was either acknowledged or failed at the connection: none was answered with an
    // error (in-flight calls finished), and none got an answer that was neither.
    expect(record.silent).toEqual([]);
    expect(record.failed.filter((call) => call.status !== null)).toEqual([]);
    expect(record.failed.length).toBeGreaterThanOrEqual(20);
    // Each subscription was closed properly (1001 Going Away), not cut off.
    expect(await Promise.all(subscribers.map((s) => s.socket.closed))).toEqual(subscribers.map(() => 1001));
    expect(subscribers.flatMap((s) => s.errors)).toEqual([]);

    // Restarted on the same store: every acknowledged event is there...
    const second = await startServerProcess(env);
    try {
      const acknowledged = [...record.acknowledged];
      const found = await storedIds(second.url, acknowledged);
      expect(acknowledged.filter((id) => !found.has(id))).toEqual([]);
      // ...and each subscriber, resuming after the last event it saw, receives the rest of them:
      // together, every acknowledged event exactly once.
      for (const before of subscribers) {
        const resumed = await subscriber(second.url, before.ids.at(-1)!);
        try {
          await until(() => acknowledged.every((id) => before.ids.includes(id) || resumed.ids.includes(id)), 120_000);
          const all = [...before.ids, ...resumed.ids];
          expect(new Set(all).size).toBe(all.length);
          expect(resumed.errors).toEqual([]);
        } finally {
          resumed.socket.close();
        }
      }
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  }, 300_000);
});
