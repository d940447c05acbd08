import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerHandle } from '../src/app/server';
import { createLogger } from '../src/core/logger';
import { SqliteEventStore } from '../src/store/sqlite/sqlite-event-store';
import { RawLiveSocket } from './support/ws-client';
import { testConfig } from './support/stores';
import { ensureWebBundle } from './support/web-bundle';

/** A server on a fresh SQLite file, with the store at hand so a test can break it underneath. */
async function start(env: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-posture-'));
  const config = testConfig({ DATA_DIR: dir, ...env });
  const file = path.join(dir, 'events.db');
  const store = new SqliteEventStore(file);
  const handle: ServerHandle = await startServer({ config, store, logger: createLogger('silent') });
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${handle.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  return {
    handle,
    store,
    file,
    post,
    dispose: async () => {
      await handle.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

type Running = Awaited<ReturnType<typeof start>>;
const INTROSPECT = '{ __schema { queryType { name } } }';

describe('production posture', () => {
  let running: Running | null = null;
  afterEach(async () => {
    await running?.dispose();
    running = null;
  });
  beforeAll(async () => ensureWebBundle(), 300_000);

  it('sends security headers on the API, and the pages keep their own Content-Security-Policy', async () => {
    running = await start({ IDE_ENABLED: 'true' });
    const api = await running.post({ query: '{ __typename }' });
    expect(api.status).toBe(200);
    expect(api.headers.get('x-content-type-options')).toBe('nosniff');
    expect(api.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(api.headers.get('strict-transport-security')).toMatch(/max-age=/);
    expect(api.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(api.headers.get('x-powered-by')).toBeNull();
    const health = await fetch(`${running.handle.url}/healthz`);
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');

    for (const page of ['/', '/graphql']) {
      const response = await fetch(`${running.handle.url}${page}`, { headers: { accept: 'text/html' } });
      expect(response.status).toBe(200);
      const csp = response.headers.get('content-security-policy')!;
      // The page's own policy (scripts, workers and sockets from this origin), not the API's.
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("worker-src 'self'");
      expect(csp).not.toContain("default-src 'none'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it("keeps idle keep-alive connections for KEEP_ALIVE_TIMEOUT_MS (65 s by default), not Node's 5 s", async () => {
    running = await start();
    const keepAlive = await new Promise<string | undefined>((resolve, reject) => {
      const agent = new http.Agent({ keepAlive: true });
      http
        .get(`${running!.handle.url}/healthz`, { agent }, (res) => {
          res.resume();
          res.on('end', () => {
            agent.destroy();
            resolve(res.headers['keep-alive'] as string | undefined);
          });
        })
        .on('error', reject);
    });
    expect(keepAlive).toBe('timeout=65');
  });

  it('applies the configured CORS policy to /graphql and /export', async () => {
    running = await start({ CORS_ORIGINS: 'https://lab.example' });
    const allowed = await running.post({ query: '{ __typename }' }, { origin: 'https://lab.example' });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://lab.example');
    expect(allowed.headers.get('vary')).toMatch(/Origin/);
    const other = await running.post({ query: '{ __typename }' }, { origin: 'https://evil.example' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();

    const preflight = (pathname: string, origin: string) =>
      fetch(`${running!.handle.url}${pathname}`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-api-key',
        },
      });
    const ok = await preflight('/graphql', 'https://lab.example');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://lab.example');
    expect(ok.headers.get('access-control-allow-headers')).toBe('content-type,x-api-key');
    expect((await preflight('/graphql', 'https://evil.example')).status).toBe(400);

    const exported = await fetch(`${running.handle.url}/export/events.csv`, {
      headers: { origin: 'https://lab.example' },
    });
    expect(exported.status).toBe(200);
    expect(exported.headers.get('access-control-allow-origin')).toBe('https://lab.example');
    expect((await preflight('/export/events.csv', 'https://lab.example')).status).toBe(200);
  });

  it('allows any origin by default (CORS_ORIGINS=*)', async () => {
    running = await start();
    const response = await running.post({ query: '{ __typename }' }, { origin: 'https://anywhere.example' });
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('refuses introspection over HTTP and WebSocket when INTROSPECTION is off, and by default in production', async () => {
    const settings: Record<string, string>[] = [{ INTROSPECTION: 'false' }, { NODE_ENV: 'production' }];
    for (const env of settings) {
      running = await start(env);
      const response = await running.post({ query: INTROSPECT });
      expect(response.status).toBe(400);
      const body = (await response.json()) as {
        data?: unknown;
        errors: { message: string; extensions: { code: string } }[];
      };
      expect(body.data).toBeUndefined();
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0]!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(body.errors[0]!.message).toMatch(/introspection/i);
      // Ordinary queries still work.
      expect(await (await running.post({ query: '{ events(first: 1) { totalCount } }' })).json()).toEqual({
        data: { events: { totalCount: 0 } },
      });

      const socket = new RawLiveSocket(running.handle.url);
      try {
        await socket.init();
        const reply = socket.next((m) => m.id === 'i1');
        socket.subscribe('i1', INTROSPECT);
        const message = await reply;
        expect(message.type).toBe('error');
        const errors = message.payload as { message: string; extensions: { code: string } }[];
        expect(errors[0]!.message).toMatch(/introspection/i);
        expect(errors[0]!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      } finally {
        socket.close();
      }
      await running.dispose();
      running = null;
    }
  });

  it('answers introspection over HTTP and WebSocket when it is on (the default outside production)', async () => {
    running = await start();
    expect(await (await running.post({ query: INTROSPECT })).json()).toEqual({
      data: { __schema: { queryType: { name: 'Query' } } },
    });
    const socket = new RawLiveSocket(running.handle.url);
    try {
      await socket.init();
      const reply = socket.next((m) => m.id === 'i1' && m.type === 'next');
      socket.subscribe('i1', INTROSPECT);
      expect((await reply).payload).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    } finally {
      socket.close();
    }
  });

  it('in production, hides the message of an internal error and reports a closed database as SERVICE_UNAVAILABLE', async () => {
    running = await start({ NODE_ENV: 'production' });
    const query = { query: '{ events(first: 5) { totalCount nodes { id } } }' };
    expect((await running.post(query)).status).toBe(200);

    // A broken database (the table gone under the server): an internal error, its text hidden.
    const db = new Database(running.file);
    db.exec('DROP TABLE events');
    db.close();
    const broken = await running.post(query);
    const brokenText = await broken.text();
    expect(brokenText).not.toMatch(/no such table|sqlite|events\.db|at .*\.ts/i);
    const brokenBody = JSON.parse(brokenText) as { errors: { message: string; extensions: { code: string } }[] };
    expect(brokenBody.errors[0]).toMatchObject({
      message: 'Internal server error',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });

    // The store closed under the running server: the database is unavailable, not a bug.
    await running.store.close();
    const closed = await running.post(query);
    const closedText = await closed.text();
    expect(closed.status).toBe(503);
    expect(closedText).not.toMatch(/closed|sqlite|Mongo/i);
    const closedBody = JSON.parse(closedText) as { errors: { message: string; extensions: { code: string } }[] };
    expect(closedBody.errors[0]!.extensions.code).toBe('SERVICE_UNAVAILABLE');
    const logged = await running.post({ query: 'mutation { logEvent(event: { eventData: {} }) { id } }' });
    expect(((await logged.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      'SERVICE_UNAVAILABLE',
    );
  });
});
