/**
 * Starting and stopping as a user or a process manager does: `npm start` (the README's command)
 * stops when SIGTERM or SIGINT reaches the npm process alone, `.env` in the working directory is
 * read (real environment variables win), and HOST=0.0.0.0 without API keys refuses to start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './support/ferretdb';

const ROOT = path.resolve(__dirname, '..');
const MAIN_TS = path.join(ROOT, 'src', 'main.ts');
/** tsx as an absolute URL, so a server started from another working directory still loads it. */
const TSX = pathToFileURL(createRequire(path.join(ROOT, 'package.json')).resolve('tsx')).href;

/** A started process, what it printed, and its exit. */
interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A temporary directory, removed after the test. */
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-start-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Spawns a command as the leader of its own process group (so the test can see whatever it
 * leaves behind, and kill it all if the test fails).
 */
function launch(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Started {
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  cleanups.push(() => {
    if (groupAlive(child.pid!)) process.kill(-child.pid!, 'SIGKILL');
  });
  return { child, output: () => output, exited };
}

/** Whether any process of the group led by `pid` is still there. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `/healthz` until it answers 200; fails if the process exits first. */
async function healthy(port: number, started: Started, timeoutMs: number): Promise<void> {
  let exited = false;
  void started.exited.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`exited before it was healthy:\n${started.output()}`);
    const status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`not healthy within ${timeoutMs} ms:\n${started.output()}`);
}

/** The promise's value, or a failure with `message()` after `ms`. */
function within<T>(ms: number, promise: Promise<T>, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message())), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves once the group led by `pid` is gone (or rejects after `timeoutMs`). */
async function groupGone(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`processes of group ${pid} still running after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The environment of a server under test: this one, without what the test sets itself (and tsx
 * told where the project's tsconfig is, for a working directory outside the project).
 */
function baseEnv(...unset: string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    TSX_TSCONFIG_PATH: path.join(ROOT, 'tsconfig.json'),
  };
  for (const name of ['PORT', 'DATA_DIR', 'API_KEYS', 'INSECURE_BIND', 'MONGODB_URI', ...unset]) delete env[name];
  return env;
}

describe.each(['SIGTERM', 'SIGINT'] as const)('npm start and %s to the npm process', (signal) => {
  it('stops the server: npm exits, the port closes and no process of the group remains', async () => {
    const port = await freePort();
    // `npm start` builds first when dist/ is older than its sources (scripts/build-if-stale.mjs).
    const started = launch('npm', ['start'], {
      cwd: ROOT,
      env: { ...baseEnv(), PORT: String(port), DATA_DIR: tempDir() },
    });
    await healthy(port, started, 240_000);

    process.kill(started.child.pid!, signal); // the npm process alone, not its group
    const exit = await within(30_000, started.exited, () => `npm still running 30 s after ${signal}`);
    await groupGone(started.child.pid!, 15_000);
    expect(exit, started.output()).toEqual({ code: 0, signal: null });
    expect(started.output()).toContain(`"signal":"${signal}","msg":"shutting down"`);
    expect(started.output()).toContain('lab-events stopped');
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  }, 300_000);
});

describe('.env in the working directory', () => {
  it('configures the server, and a variable set in the environment wins over the file', async () => {
    const cwd = tempDir();
    const port = await freePort();
    fs.writeFileSync(
      path.join(cwd, '.env'),
      `# as .env.example\nPORT=${port}\nDATA_DIR=${tempDir()}\nMAX_PAGE_SIZE=7\nMAX_BATCH_SIZE=11\n`,
    );
    const started = launch(process.execPath, ['--import', TSX, MAIN_TS], {
      cwd,
      env: { ...baseEnv('MAX_PAGE_SIZE'), MAX_BATCH_SIZE: '13' },
    });
    await healthy(port, started, 60_000);
    const { settings } = (await (await fetch(`http://127.0.0.1:${port}/settings`)).json()) as {
      settings: Record<string, unknown>;
    };
    expect(settings).toMatchObject({ port, max_page_size: 7, max_batch_size: 13 });
    process.kill(started.child.pid!, 'SIGTERM');
    expect(await started.exited).toEqual({ code: 0, signal: null });
  }, 120_000);
});

describe('listening on every interface', () => {
  it('refuses HOST=0.0.0.0 without API_KEYS: exit code 2 and a message naming HOST, API_KEYS and INSECURE_BIND', async () => {
    const started = launch(process.execPath, ['--import', TSX, MAIN_TS], {
      cwd: tempDir(),
      env: { ...baseEnv(), HOST: '0.0.0.0', PORT: String(await freePort()), DATA_DIR: tempDir() },
    });
    expect(await started.exited).toEqual({ code: 2, signal: null });
    expect(started.output()).toMatch(/Refusing to listen on HOST=0\.0\.0\.0 without API_KEYS/);
    expect(started.output()).toContain('INSECURE_BIND=true');
    expect(started.output()).not.toContain('lab-events listening');
  }, 60_000);
});
