import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type ServerHandle } from '../src/app/server';
import { hashApiKey } from '../src/core/api-keys';
import { createLogger } from '../src/core/logger';
import { Role } from '../src/core/roles';
import { SqliteEventStore } from '../src/store/sqlite/sqlite-event-store';
import { RawLiveSocket } from './support/ws-client';
import { testConfig } from './support/stores';

/**
 * A server without API keys gives every caller the admin role, but not a web page of another site
 * (docs/errors.md#cross-site-writes): such a page may read (CORS allows every origin by default)
 * and is refused every change, on every door, unless CORS_ORIGINS names its origin.
 */

const EVIL = 'https://evil.example';
const LOG = 'mutation { logEvent(event: { eventType: TEST, eventData: { n: 1 } }) { id } }';
const COUNT = '{ events(first: 1) { totalCount } }';

async function start(env: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-cross-site-'));
  const store = new SqliteEventStore(path.join(dir, 'events.db'));
  const handle: ServerHandle = await startServer({
    config: testConfig({ DATA_DIR: dir, ...env }),
    store,
    logger: createLogger('silent'),
  });
  const graphql = async (query: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${handle.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query }),
    });
    const body = (await response.json()) as {
      data?: Record<string, unknown> | null;
      errors?: { message: string; extensions: { code: string } }[];
    };
    return { status: response.status, code: body.errors?.[0]?.extensions.code, body };
  };
  const stored = async () => ((await graphql(COUNT)).body.data as { events: { totalCount: number } }).events.totalCount;
  return {
    handle,
    graphql,
    stored,
    dispose: async () => {
      await handle.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('writes from web pages of other sites to a server without API keys', () => {
  let running: Awaited<ReturnType<typeof start>> | null = null;
  afterEach(async () => {
    await running?.dispose();
    running = null;
  });

  it('refuses a mutation from another origin with 403 FORBIDDEN, stores nothing, and still answers its queries', async () => {
    running = await start();
    const refused = await running.graphql(LOG, { origin: EVIL });
    expect(refused).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(refused.body.errors![0]!.message).toMatch(/evil\.example.*CORS_ORIGINS.*API_KEYS/s);
    // Sec-Fetch-Site alone (no Origin) says the same.
    expect(await running.graphql(LOG, { 'sec-fetch-site': 'cross-site' })).toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
    });
    expect(await running.stored()).toBe(0);
    const read = await running.graphql(COUNT, { origin: EVIL });
    expect(read).toMatchObject({ status: 200, body: { data: { events: { totalCount: 0 } } } });
  });

  it("accepts the server's own pages, clients without Origin, and an origin that CORS_ORIGINS lists", async () => {
    running = await start();
    const host = new URL(running.handle.url).host;
    expect(await running.graphql(LOG)).toMatchObject({ status: 200 });
    expect(await running.graphql(LOG, { origin: `http://${host}` })).toMatchObject({ status: 200 });
    expect(await running.graphql(LOG, { origin: EVIL, 'sec-fetch-site': 'same-origin' })).toMatchObject({
      status: 200,
    });
    expect(await running.stored()).toBe(3);
    await running.dispose();

    running = await start({ CORS_ORIGINS: `https://lab.example,${EVIL}` });
    expect(await running.graphql(LOG, { origin: EVIL })).toMatchObject({ status: 200 });
    expect(await running.graphql(LOG, { origin: 'https://other.example' })).toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
    });
    expect(await running.stored()).toBe(1);
  });

  it("refuses MADSci's REST writes and OTLP logs from another origin (403), and a mutation over a WebSocket it opened", async () => {
    running = await start();
    const url = running.handle.url;
    const rest = await fetch(`${url}/event`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: EVIL },
      body: JSON.stringify({ event_type: 'test', event_data: {} }),
    });
    expect(rest.status).toBe(403);
    expect(((await rest.json()) as { detail: string }).detail).toMatch(/evil\.example/);
    const otlp = await fetch(`${url}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: EVIL },
      body: JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }] }] }] }),
    });
    expect(otlp.status).toBe(403);
    expect(((await otlp.json()) as { code: number }).code).toBe(7); // gRPC PERMISSION_DENIED, as OTLP/JSON says

    const socket = new RawLiveSocket(url, { headers: { origin: EVIL } });
    try {
      await socket.init();
      const reply = socket.next((m) => m.id === 'w1' && (m.type === 'error' || m.type === 'next'));
      socket.subscribe('w1', LOG);
      const message = (await reply) as { type: string; payload: { extensions?: { code?: string } }[] };
      expect(message.type).toBe('error');
      expect(message.payload[0]!.extensions?.code).toBe('FORBIDDEN');
    } finally {
      socket.close();
    }
    expect(await running.stored()).toBe(0);
  });

  it('leaves servers with API keys as they were: a writer key works from any origin', async () => {
    const key = 'w'.repeat(64);
    running = await start({ API_KEYS: hashApiKey(Role.WRITER, key), ANONYMOUS_ROLE: 'reader' });
    expect(await running.graphql(LOG, { origin: EVIL, authorization: `Bearer ${key}` })).toMatchObject({
      status: 200,
    });
    expect(await running.graphql(LOG, { origin: EVIL })).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });
});
