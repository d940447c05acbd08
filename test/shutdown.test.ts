import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/server/logger';
import { createStore } from '../src/store/create-store';
import { startServerProcess } from './support/server-process';
import { storeEnv, testConfig, STORE_KINDS } from './support/stores';

describe.each(STORE_KINDS)('graceful shutdown on %s', (kind) => {
  let cleanup: (() => Promise<void>) | null = null;
  afterEach(async () => cleanup?.());

  it('finishes an in-flight batch on SIGTERM, exits 0, and keeps every acknowledged event', async () => {
    const { env, cleanup: dispose } = storeEnv(kind);
    cleanup = dispose;
    const { child, url, exited } = await startServerProcess(env);
    const events = Array.from({ length: 5000 }, (_, i) => ({ id: `sigterm-${i}`, eventData: { i } }));
    const payload = Buffer.from(JSON.stringify({ query: 'mutation($e: [EventInput!]!) { logEvents(events: $e) { insertedCount } }', variables: { e: events } }));
    // Send the headers and half the body, signal while the request is in flight, then finish it.
    const request = http.request(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': payload.length } });
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
});
