/**
 * A real Redis for the multi-instance tests (and the fan-out benchmark), started on a free loopback
 * port with its own temporary directory and no persistence, stopped afterwards. Nothing is
 * installed on the host: without a `redis-server` on PATH, Debian's packages are downloaded
 * (`apt-get download`, no root needed) and unpacked (`dpkg -x`) into the cache, and run from there.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cacheDir, freePort } from './ferretdb';

/**
 * Debian's packages holding the server and the libraries it needs beyond a base system with a C++
 * compiler (which better-sqlite3's build needs anyway): `redis-server` is a symlink to
 * `redis-check-rdb` from `redis-tools`.
 */
const REDIS_PACKAGES = ['redis-server', 'redis-tools', 'libjemalloc2', 'liblzf1'];

/** The `redis-server` binary on PATH, or null. */
function redisOnPath(): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'redis-server');
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return null;
}

/** How to run a `redis-server`: its path, and the environment it needs (libraries beside it). */
export interface RedisBinary {
  path: string;
  env: Record<string, string>;
}

/** Where {@link fetchRedisServer} unpacks Debian's packages. */
function unpackedRoot(): string {
  return path.join(cacheDir(), 'redis');
}

/** Runs the unpacked server with its own libraries first. */
function unpacked(root: string): RedisBinary {
  const libs = [path.join(root, 'usr', 'lib', 'x86_64-linux-gnu'), path.join(root, 'usr', 'lib')];
  const inherited = process.env.LD_LIBRARY_PATH ? [process.env.LD_LIBRARY_PATH] : [];
  return {
    path: path.join(root, 'usr', 'bin', 'redis-server'),
    env: { LD_LIBRARY_PATH: [...libs, ...inherited].join(path.delimiter) },
  };
}

/**
 * Debian's `redis-server` unpacked into `<cache>/redis` (downloaded on first use with
 * `apt-get download`, under `flock` so parallel test workers do not race), checked with `ldd`.
 * Root only for `apt-get update` when the package lists are missing; nothing is installed.
 * @throws Error naming what is missing when it cannot be had.
 */
export function fetchRedisServer(log: (line: string) => void = console.log): RedisBinary {
  const root = unpackedRoot();
  const binary = unpacked(root);
  if (!fs.existsSync(binary.path)) {
    log(`downloading Debian's redis-server into ${root} (first run only; nothing is installed)`);
    fs.mkdirSync(cacheDir(), { recursive: true });
    const download = [
      'set -e',
      `[ -x "$ROOT/usr/bin/redis-server" ] && exit 0`,
      'work="$(mktemp -d "$ROOT.XXXXXX")"',
      'trap \'rm -rf "$work"\' EXIT',
      'cd "$work"',
      // Fresh machines may have no package lists yet; `apt-get update` fetches them (root only).
      `apt-get download -qq ${REDIS_PACKAGES.join(' ')} 2>/dev/null || { [ "$(id -u)" = 0 ] && apt-get update -qq && apt-get download -qq ${REDIS_PACKAGES.join(' ')}; }`,
      'mkdir unpacked',
      'for deb in *.deb; do dpkg -x "$deb" unpacked; done',
      'rm -rf "$ROOT" && mv unpacked "$ROOT"',
    ].join('\n');
    execFileSync('flock', [`${root}.lock`, 'sh', '-c', download], {
      env: { ...process.env, ROOT: root },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
  const ldd = spawnSync('ldd', [binary.path], { env: { ...process.env, ...binary.env }, encoding: 'utf8' });
  const missing = ldd.stdout.split('\n').filter((line) => line.includes('not found'));
  if (ldd.status !== 0 || missing.length > 0) {
    throw new Error(
      `${binary.path} cannot run: ${missing.map((line) => line.trim()).join('; ') || ldd.stderr}; remove ${root} to download again`,
    );
  }
  return binary;
}

/**
 * The `redis-server` to run: `$REDIS_SERVER_BIN` when it names one, else one on PATH, else
 * Debian's unpacked into the cache ({@link fetchRedisServer}); `REDIS_SERVER_BIN=debian` takes
 * that last path even when PATH has one (as on a fresh machine).
 */
export function ensureRedisServer(log: (line: string) => void = console.log): RedisBinary {
  const wanted = process.env.REDIS_SERVER_BIN;
  if (wanted === 'debian') return fetchRedisServer(log);
  const chosen = wanted || redisOnPath();
  return chosen ? { path: chosen, env: {} } : fetchRedisServer(log);
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
    binary.path,
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
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...binary.env } },
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
