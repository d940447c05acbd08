/**
 * A real Redis for the multi-instance tests (and the fan-out benchmark): Debian's `redis-server`,
 * installed with apt-get when it is missing (as root, or through passwordless sudo), started on a
 * free loopback port with its own temporary directory and no persistence, stopped afterwards.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ferretdb';

/** The `redis-server` binary on PATH, or null. */
function findRedisServer(): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin']) {
    const candidate = path.join(dir, 'redis-server');
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return null;
}

/**
 * Returns the path of `redis-server`, installing Debian's package first if needed. The install
 * runs under `flock`, so parallel test workers do not race for dpkg's lock, and with a
 * `policy-rc.d` that forbids the package from starting a system-wide Redis.
 * @throws Error with instructions when it cannot be installed (not root, no sudo, no apt-get).
 */
export function ensureRedisServer(log: (line: string) => void = console.log): string {
  const found = findRedisServer();
  if (found) return found;
  const root = process.getuid?.() === 0;
  const sudo = !root && spawnSync('sudo', ['-n', 'true']).status === 0;
  if (!root && !sudo) {
    throw new Error(
      'redis-server is not installed and cannot be installed here (not root, no passwordless sudo): run `apt-get install -y redis-server`',
    );
  }
  log('installing redis-server with apt-get (first run only)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-redis-install-'));
  const policy = path.join(dir, 'policy-rc.d');
  fs.writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const script = `command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends redis-server; }`;
    const command = ['flock', path.join(os.tmpdir(), 'lab-events-redis-install.lock'), 'sh', '-c', script];
    execFileSync(
      sudo ? 'sudo' : command[0]!,
      sudo ? ['-n', 'env', `POLICYRCD=${policy}`, 'DEBIAN_FRONTEND=noninteractive', ...command] : command.slice(1),
      {
        env: { ...process.env, POLICYRCD: policy, DEBIAN_FRONTEND: 'noninteractive' },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const installed = findRedisServer();
  if (!installed) throw new Error('apt-get install redis-server finished, but redis-server is not on PATH');
  return installed;
}

/** A running Redis. */
export interface RedisHandle {
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** Stops the process and removes its directory. */
  stop(): Promise<void>;
}

/** Starts `redis-server` on a free loopback port and waits until it accepts connections. */
export async function startRedis(): Promise<RedisHandle> {
  const binary = ensureRedisServer();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-redis-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--logfile',
      '',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  child.stdout?.removeAllListeners('data');
  child.stderr?.removeAllListeners('data');
  child.stdout?.resume();
  child.stderr?.resume();
  let stopped: Promise<void> | null = null;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }).then(() => fs.rmSync(dir, { recursive: true, force: true }))),
  };
}
