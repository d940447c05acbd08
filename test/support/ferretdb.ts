/**
 * A real MongoDB-compatible server for the tests: FerretDB v1.24.2 (MongoDB wire protocol over
 * SQLite), built once from the Go module proxy into a cache outside the repository, started on a
 * free loopback port with its own data directory, stopped and removed afterwards.
 *
 * The binary is `tools/ferretdb` (a few lines embedding FerretDB's public package): a plain
 * `go install .../cmd/ferretdb@v1.24.2` builds, but panics at start for want of the version
 * files FerretDB's release tooling writes.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';

export const FERRETDB_VERSION = 'v1.24.2';

/** Where the built binary is cached (`$LAB_EVENTS_CACHE` or `~/.cache/lab-events`). */
export function cacheDir(): string {
  return (
    process.env.LAB_EVENTS_CACHE ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'lab-events')
  );
}

const TOOL_DIR = path.resolve(__dirname, '..', '..', 'tools', 'ferretdb');

/**
 * Builds `tools/ferretdb` with `go build` unless a binary of the same sources is cached; returns
 * its path. The first build downloads modules and takes a few minutes.
 */
export function ensureFerretDb(log: (line: string) => void = console.log): string {
  const hash = crypto.createHash('sha256');
  for (const file of ['go.mod', 'go.sum', 'main.go']) hash.update(fs.readFileSync(path.join(TOOL_DIR, file)));
  const binDir = path.join(cacheDir(), 'bin');
  const binary = path.join(binDir, `ferretdb-${FERRETDB_VERSION}-${hash.digest('hex').slice(0, 12)}`);
  if (fs.existsSync(binary)) return binary;
  log(`building FerretDB ${FERRETDB_VERSION} into ${binary} (first run only; takes a few minutes)`);
  fs.mkdirSync(binDir, { recursive: true });
  const partial = `${binary}.partial-${process.pid}`;
  execFileSync('go', ['build', '-o', partial, '.'], {
    cwd: TOOL_DIR,
    env: { ...process.env, CGO_ENABLED: '0' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  fs.renameSync(partial, binary);
  return binary;
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A running FerretDB. */
export interface FerretDbHandle {
  uri: string;
  port: number;
  /** Its SQLite data directory. */
  dataDir: string;
  /** Stops the process and removes its data directory. */
  stop(): Promise<void>;
  /** Kills the process with SIGKILL (a crash) and keeps its data directory, for a restart. */
  kill(): Promise<void>;
  /** Whether its process still runs. */
  alive(): boolean;
}

/**
 * Starts FerretDB and waits until it answers a ping: on a free port with a new data directory, or
 * on the given port and directory (to restart one after {@link FerretDbHandle.kill}).
 */
export async function startFerretDb(options: { port?: number; dataDir?: string } = {}): Promise<FerretDbHandle> {
  const binary = ensureFerretDb();
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-ferretdb-'));
  const port = options.port ?? (await freePort());
  const child: ChildProcess = spawn(binary, [`-listen-addr=127.0.0.1:${port}`, `-sqlite-dir=${dataDir}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const uri = `mongodb://127.0.0.1:${port}/`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`FerretDB exited with ${child.exitCode}: ${stderr}`);
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 500 });
    try {
      await client.db('admin').command({ ping: 1 });
      // The ping may have reached another process that took the port (a restart on a port freed
      // by a kill): ours must still run once its own bind would have failed.
      await new Promise((r) => setTimeout(r, 200));
      if (child.exitCode !== null) throw new Error(`FerretDB exited with ${child.exitCode}: ${stderr}`);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`FerretDB did not answer on ${uri}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await client.close();
    }
  }
  return {
    uri,
    port,
    dataDir,
    alive: () => child.exitCode === null && child.signalCode === null,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
