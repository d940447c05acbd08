import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/server/logger';
import { createStore } from '../src/store/create-store';
import { storeEnv, testConfig, STORE_KINDS } from './support/stores';

const ROOT = path.resolve(__dirname, '..');

/**
 * Starts `src/main.ts` as its own process and resolves with its URL once it listens. tsx is
 * loaded in the same process (`--import`), so signals reach the server itself.
 */
function startProcess(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'main.ts')], {
    cwd: ROOT,
    // NODE_ENV as in production: Apollo installs its own signal handlers unless it is 'test'.
    env: { ...process.env, NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (match) resolve({ child, url: match[1]!, exited });
    });
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

describe.each(STORE_KINDS)('graceful shutdown on %s', (kind) => {
  let cleanup: (() => Promise<void>) | null = null;
  afterEach(async () => cleanup?.());

  it('finishes an in-flight batch on SIGTERM, exits 0, and keeps every acknowledged event', async () => {
    const { env, cleanup: dispose } = storeEnv(kind);
    cleanup = dispose;
    const { child, url, exited } = await startProcess(env);
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
