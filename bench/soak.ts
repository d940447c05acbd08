/**
 * Soak: the real server (`src/main.ts`, its own process, so its memory is the server's alone) on
 * a fresh SQLite store (or MongoDB with `SOAK_STORE=mongodb`), with no API keys, on loopback,
 * under a mixed, open-loop load for a set time: `logEvents` batches over GraphQL and MADSci's
 * `POST /event`, cursor walks through `events` and offset pages of `eventPage` with filters,
 * reports (`eventCounts`, utilization), and 200 graphql-ws `eventLogged` subscribers, most of
 * them filtered. Requests arrive at fixed rates whatever the latency (open loop: a slow server
 * builds a queue instead of slowing the load down), so the latencies are the ones a lab's clients
 * would see at that load.
 *
 * Every window (30 s) it prints, per operation kind, throughput, p50/p99/max latency and errors,
 * and the server's memory (RSS from /proc, heap from `GET /metrics`) and CPU. At the end every
 * subscriber checks that it received every acknowledged event matching its filter, once, and
 * nothing else; the subscribers disconnect and the server must release their connections; the
 * server stops on SIGTERM and must exit 0.
 *
 * Targets: zero errors of any kind; memory growth under 10 % after warm-up: the server's RSS
 * ((mean of the last window − mean of the first window after warm-up) / the first), and its live
 * heap (heap used right after a full GC, end of run against end of warm-up). The full GC is forced
 * through the server's inspector at the end of every window (SOAK_FORCE_GC=0: only at the end of
 * warm-up and at the end): left alone, V8 lets the heap climb for a minute or two (to about 4
 * times the live heap here) before a full collection, and window means then follow that
 * sawtooth, not the memory the server keeps.
 *
 * Knobs (environment): SOAK_SECONDS (600; quick 60), SOAK_WARMUP_SECONDS (60; quick 10),
 * SOAK_WINDOW_SECONDS, SOAK_MEMORY_INTERVAL_SECONDS, SOAK_INGEST_BATCHES_PER_S, SOAK_BATCH_SIZE,
 * SOAK_REST_EVENTS_PER_S, SOAK_WALKS_PER_S, SOAK_WALK_PAGES, SOAK_PAGE_SIZE,
 * SOAK_OFFSET_PAGES_PER_S, SOAK_REPORTS_PER_S, SOAK_SUBSCRIBERS, SOAK_UNFILTERED_SUBSCRIBERS,
 * SOAK_SEED_EVENTS, SOAK_DRAIN_SECONDS, SOAK_FORCE_GC, SOAK_STORE. For diagnosis: SOAK_SERVER_NODE_ARGS (extra node
 * flags for the server, e.g. `--trace-gc`, or `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=/tmp`)
 * and SOAK_SERVER_LOG (a file that receives everything the server prints).
 */
import './support/production-env';
import 'reflect-metadata';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import type { EventInput } from '../src/events/event.types';
import { seededRandom } from '../test/support/fixtures';
import {
  checkQuiet,
  printTable,
  printTargets,
  progress,
  QUICK,
  quantile,
  round,
  target,
  tempDir,
  type Target,
  writeResult,
} from './support/harness';
import { LAB_WORKLOAD_VERSION, LabGenerator } from './support/lab-workload';
import { freshStore, mongoServer, type MongoServer, type StoreLocation } from './support/stores';
import { EventGenerator, FAILURE_TYPES, NODE_IDS, toGraphQLInput, WORKCELL_IDS } from './support/workload';

const ROOT = path.resolve(__dirname, '..');
/** Epoch milliseconds with sub-millisecond resolution, comparable across processes. */
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));
const MB = 2 ** 20;
const REQUEST_TIMEOUT_MS = 30_000;
const MEMORY_GROWTH_PERCENT = 10;
const BASELINE_GC = 'end of warm-up';
const FINAL_GC = 'end of run';
/** Largest value, NaN for none (Math.max gives -Infinity). */
const maxOf = (values: readonly number[]) => values.reduce((m, x) => (x > m || Number.isNaN(m) ? x : m), Number.NaN);
/** A figure that crossed IPC: JSON turns NaN into null. */
const num = (value: number | null | undefined) => (typeof value === 'number' ? value : Number.NaN);

// ---------------------------------------------------------------- parameters

function envNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name} must be a non-negative number, not ${JSON.stringify(text)}`);
  return value;
}

/** The run's parameters, from the environment (defaults: a 2-core machine keeps up comfortably). */
function soakParameters() {
  const store = process.env.SOAK_STORE ?? 'sqlite';
  if (store !== 'sqlite' && store !== 'mongodb') throw new Error(`SOAK_STORE must be sqlite or mongodb, not ${store}`);
  return {
    store: store as 'sqlite' | 'mongodb',
    seconds: envNumber('SOAK_SECONDS', QUICK ? 60 : 600),
    warmupSeconds: envNumber('SOAK_WARMUP_SECONDS', QUICK ? 10 : 60),
    windowSeconds: Math.max(1, envNumber('SOAK_WINDOW_SECONDS', QUICK ? 10 : 30)),
    memoryIntervalSeconds: Math.max(0.5, envNumber('SOAK_MEMORY_INTERVAL_SECONDS', QUICK ? 2 : 5)),
    ingestBatchesPerSecond: envNumber('SOAK_INGEST_BATCHES_PER_S', 2),
    batchSize: Math.max(1, Math.round(envNumber('SOAK_BATCH_SIZE', 25))),
    restEventsPerSecond: envNumber('SOAK_REST_EVENTS_PER_S', 5),
    walksPerSecond: envNumber('SOAK_WALKS_PER_S', 1),
    walkPages: Math.max(1, Math.round(envNumber('SOAK_WALK_PAGES', 5))),
    pageSize: Math.max(1, Math.round(envNumber('SOAK_PAGE_SIZE', 50))),
    offsetPagesPerSecond: envNumber('SOAK_OFFSET_PAGES_PER_S', 3),
    reportsPerSecond: envNumber('SOAK_REPORTS_PER_S', 0.2),
    subscribers: Math.round(envNumber('SOAK_SUBSCRIBERS', 200)),
    unfilteredSubscribers: Math.round(envNumber('SOAK_UNFILTERED_SUBSCRIBERS', 10)),
    seedEvents: Math.round(envNumber('SOAK_SEED_EVENTS', QUICK ? 20_000 : 100_000)),
    drainSeconds: envNumber('SOAK_DRAIN_SECONDS', 15),
    /** A full GC forced at every window's end (0: only at the end of warm-up and at the end). */
    forceGc: envNumber('SOAK_FORCE_GC', 1) !== 0,
    serverNodeArgs: (process.env.SOAK_SERVER_NODE_ARGS ?? '').split(/\s+/).filter((arg) => arg !== ''),
    serverLog: process.env.SOAK_SERVER_LOG || null,
  };
}
type Parameters = ReturnType<typeof soakParameters>;

// ---------------------------------------------------------------- events and filters (both processes)

/** The GraphQL enum name of an event type value (`node_error` -> `NODE_ERROR`). */
const typeName = (type: EventInput['eventType']) => toGraphQLInput({ eventType: type }).eventType as string;
const FAILURE_NAMES = FAILURE_TYPES.map(typeName);
const NODE_INDEX = new Map(NODE_IDS.map((id, i) => [id, i]));
const WARNING = 30;

/** What a subscriber needs to know of an acknowledged event: `[seq, node index, type name, level]`. */
type Acked = [number, number, string, number];

/** A subscriber's filter; most are narrow, as a dashboard per instrument is. */
type SubscriberFilter =
  | { kind: 'all' }
  | { kind: 'node'; node: number }
  | { kind: 'workcell'; workcell: number }
  | { kind: 'minLevel' }
  | { kind: 'failures' };

function graphqlFilter(filter: SubscriberFilter): Record<string, unknown> | null {
  switch (filter.kind) {
    case 'all':
      return null;
    case 'node':
      return { source: { nodeId: [NODE_IDS[filter.node]] } };
    case 'workcell':
      return { source: { workcellId: [WORKCELL_IDS[filter.workcell]] } };
    case 'minLevel':
      return { minLevel: 'WARNING' };
    case 'failures':
      return { eventTypes: FAILURE_NAMES };
  }
}

/** The filter's semantics on what a subscriber sees (the workload puts node n in workcell n / 5). */
function matches(filter: SubscriberFilter, node: number, type: string, level: number): boolean {
  switch (filter.kind) {
    case 'all':
      return true;
    case 'node':
      return node === filter.node;
    case 'workcell':
      return Math.floor(node / 5) === filter.workcell;
    case 'minLevel':
      return level >= WARNING;
    case 'failures':
      return FAILURE_NAMES.includes(type);
  }
}

/** `unfiltered` subscribers with no filter, then, in turn, 14 by node, 2 by level, 2 by failure types, 1 by workcell. */
function subscriberFilters(count: number, unfiltered: number): SubscriberFilter[] {
  const filters: SubscriberFilter[] = [];
  let node = 0;
  let workcell = 0;
  for (let i = 0; i < count; i++) {
    if (i < unfiltered) {
      filters.push({ kind: 'all' });
      continue;
    }
    const r = (i - unfiltered) % 19;
    if (r < 14) filters.push({ kind: 'node', node: node++ % NODE_IDS.length });
    else if (r < 16) filters.push({ kind: 'minLevel' });
    else if (r < 18) filters.push({ kind: 'failures' });
    else filters.push({ kind: 'workcell', workcell: workcell++ % WORKCELL_IDS.length });
  }
  return filters;
}

const SUBSCRIPTION =
  'subscription Soak($filter: EventFilter) { eventLogged(filter: $filter) { id eventType logLevelValue source { nodeId } eventData } }';

// ---------------------------------------------------------------- subscriber process

/** Delivery figures since the previous window, and the cumulative errors. */
interface SubscriberWindow {
  deliveries: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: Record<string, number>;
  examples: Record<string, string>;
  open: number;
  cpuUtilization: number;
}

/** What the end-of-run check found. */
interface Verification {
  expected: number;
  delivered: number;
  missing: number;
  /** Missing deliveries by filter kind. */
  missingByFilter: Record<string, number>;
  /** Subscribers that missed at least one event. */
  subscribersMissing: number;
  /** Received events that were never acknowledged (a failed call whose event was stored anyway). */
  unacknowledged: number;
}

type SubscriberMessage =
  | { type: 'connect'; url: string; filters: SubscriberFilter[] }
  | { type: 'window' }
  | { type: 'received' }
  | { type: 'verify'; acked: Acked[] }
  | { type: 'close' }
  | { type: 'exit' };

function subscriberProcess(): void {
  interface Subscriber {
    filter: SubscriberFilter;
    socket: WebSocket;
    seqs: Set<number>;
  }
  const subscribers: Subscriber[] = [];
  const errors: Record<string, number> = {};
  const examples: Record<string, string> = {};
  let latencies: number[] = [];
  let deliveries = 0;
  let received = 0;
  let closing = false;
  let cpuBefore = process.cpuUsage();
  let wallBefore = performance.now();
  const fail = (kind: string, detail: string) => {
    errors[kind] = (errors[kind] ?? 0) + 1;
    examples[kind] ??= detail.slice(0, 400);
  };

  const onMessage = (subscriber: Subscriber, data: WebSocket.RawData) => {
    const at = now();
    let message: { type?: string; payload?: unknown };
    try {
      message = JSON.parse(String(data)) as typeof message;
    } catch {
      fail('subscription: unparsable message', String(data));
      return;
    }
    if (message.type === 'next') {
      const payload = message.payload as {
        data?: {
          eventLogged?: {
            eventType: string;
            logLevelValue: number;
            source: { nodeId: string | null };
            eventData?: { seq?: unknown; sent?: unknown };
          };
        };
        errors?: unknown[];
      };
      if (payload.errors !== undefined) fail('subscription: next with errors', JSON.stringify(payload.errors));
      const event = payload.data?.eventLogged;
      const seq = event?.eventData?.seq;
      const sent = event?.eventData?.sent;
      if (!event || typeof seq !== 'number' || typeof sent !== 'number') {
        fail('subscription: event without seq', JSON.stringify(payload));
        return;
      }
      if (subscriber.seqs.has(seq))
        fail('subscription: duplicate delivery', `seq ${seq} twice to a ${subscriber.filter.kind} subscriber`);
      else {
        subscriber.seqs.add(seq);
        received++;
      }
      if (
        !matches(
          subscriber.filter,
          NODE_INDEX.get(event.source.nodeId ?? '') ?? -1,
          event.eventType,
          event.logLevelValue,
        )
      ) {
        fail(
          'subscription: event outside the filter',
          `${JSON.stringify(event)} to ${JSON.stringify(subscriber.filter)}`,
        );
      }
      deliveries++;
      latencies.push(at - sent);
    } else if (message.type === 'error') {
      fail('subscription: error message', JSON.stringify(message.payload));
    } else if (message.type === 'complete') {
      if (!closing) fail('subscription: completed by the server', JSON.stringify(subscriber.filter));
    } else if (message.type === 'ping') {
      subscriber.socket.send(JSON.stringify({ type: 'pong' }));
    }
  };

  const connectOne = (url: string, filter: SubscriberFilter) =>
    new Promise<void>((resolve, reject) => {
      const socket = new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate: false });
      const subscriber: Subscriber = { filter, socket, seqs: new Set() };
      subscribers.push(subscriber);
      const timer = setTimeout(() => reject(new Error('no connection_ack within 10 s')), 10_000);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
      const onAck = (data: WebSocket.RawData) => {
        if (!String(data).includes('"connection_ack"')) return;
        clearTimeout(timer);
        socket.off('message', onAck);
        socket.on('message', (message) => onMessage(subscriber, message));
        socket.on('error', (error) => fail('subscription: socket error', String(error)));
        socket.on('close', (code, reason) => {
          if (!closing) fail('subscription: socket closed', `${code} ${String(reason)}`);
        });
        socket.send(
          JSON.stringify({
            id: '1',
            type: 'subscribe',
            payload: { query: SUBSCRIPTION, variables: { filter: graphqlFilter(filter) } },
          }),
        );
        resolve();
      };
      socket.on('message', onAck);
    });

  const reply = (message: object) => process.send!(message);
  // The parent gone (crash, kill): nothing left to do.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message: SubscriberMessage) => {
    switch (message.type) {
      case 'connect':
        void (async () => {
          // In waves, so the server's accept queue and its connection-init timeout are not strained.
          for (let i = 0; i < message.filters.length; i += 50) {
            await Promise.all(message.filters.slice(i, i + 50).map((filter) => connectOne(message.url, filter)));
          }
          reply({ type: 'connected', count: subscribers.length });
        })().catch((error: unknown) => reply({ type: 'connected', count: -1, error: String(error) }));
        return;
      case 'window': {
        const cpu = process.cpuUsage(cpuBefore);
        const wall = performance.now() - wallBefore;
        const open = subscribers.filter((s) => s.socket.readyState === WebSocket.OPEN).length;
        reply({
          type: 'window',
          window: {
            deliveries,
            p50Ms: quantile(latencies, 0.5),
            p99Ms: quantile(latencies, 0.99),
            maxMs: maxOf(latencies),
            errors: { ...errors },
            examples: { ...examples },
            open,
            cpuUtilization: (cpu.user + cpu.system) / 1000 / wall,
          } satisfies SubscriberWindow,
        });
        latencies = [];
        deliveries = 0;
        cpuBefore = process.cpuUsage();
        wallBefore = performance.now();
        return;
      }
      case 'received':
        reply({ type: 'received', count: received });
        return;
      case 'verify': {
        const ackedSeqs = new Set(message.acked.map((a) => a[0]));
        const result: Verification = {
          expected: 0,
          delivered: 0,
          missing: 0,
          missingByFilter: {},
          subscribersMissing: 0,
          unacknowledged: 0,
        };
        for (const subscriber of subscribers) {
          let missing = 0;
          for (const [seq, node, type, level] of message.acked) {
            if (!matches(subscriber.filter, node, type, level)) continue;
            result.expected++;
            if (subscriber.seqs.has(seq)) result.delivered++;
            else missing++;
          }
          for (const seq of subscriber.seqs) if (!ackedSeqs.has(seq)) result.unacknowledged++;
          if (missing > 0) {
            result.subscribersMissing++;
            result.missing += missing;
            result.missingByFilter[subscriber.filter.kind] =
              (result.missingByFilter[subscriber.filter.kind] ?? 0) + missing;
          }
        }
        reply({ type: 'verified', result });
        return;
      }
      case 'close':
        closing = true;
        void (async () => {
          await Promise.all(
            subscribers.map(
              ({ socket }) =>
                new Promise<void>((resolve) => {
                  if (socket.readyState !== WebSocket.OPEN) return resolve();
                  const timer = setTimeout(() => (socket.terminate(), resolve()), 5000);
                  socket.once('close', () => (clearTimeout(timer), resolve()));
                  socket.send(JSON.stringify({ id: '1', type: 'complete' }));
                  socket.close(1000, 'soak over');
                }),
            ),
          );
          reply({ type: 'closed' });
        })();
        return;
      case 'exit':
        for (const { socket } of subscribers) socket.terminate();
        process.disconnect();
        return;
    }
  });
}

/** The subscriber process, driven from the benchmark. */
interface SubscriberFleet {
  child: ChildProcess;
  request<T>(message: SubscriberMessage, replyType: string, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

function startSubscriberFleet(): SubscriberFleet {
  const child = fork(__filename, ['--soak-subscribers'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  return {
    child,
    request: <T>(message: SubscriberMessage, replyType: string, timeoutMs = 60_000) =>
      new Promise<T>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
        };
        const timer = setTimeout(
          () => (done(), reject(new Error(`subscriber process: no ${replyType} reply within ${timeoutMs} ms`))),
          timeoutMs,
        );
        const onExit = (code: number | null) => (done(), reject(new Error(`subscriber process exited with ${code}`)));
        const onMessage = (reply: { type?: string }) => {
          if (reply.type !== replyType) return;
          done();
          resolve(reply as T);
        };
        child.once('exit', onExit);
        child.on('message', onMessage);
        child.send(message);
      }),
    close: async () => {
      if (!exited && child.connected) child.send({ type: 'exit' } satisfies SubscriberMessage);
      await Promise.race([exitedPromise, sleep(5000)]);
      if (!exited) child.kill('SIGKILL');
    },
  };
}

// ---------------------------------------------------------------- the server process

/**
 * Loaded into the server before it starts: exits when its parent (this benchmark) is gone, so a
 * benchmark killed outright (SIGKILL, where no handler runs) leaves no server behind.
 */
const ORPHAN_WATCH = `data:text/javascript,${encodeURIComponent('const parent = process.ppid; setInterval(() => { if (process.ppid !== parent) process.exit(1); }, 1000).unref();')}`;

/** `src/main.ts` in its own process. */
interface ServerChild {
  child: ChildProcess;
  pid: number;
  url: string;
  exited: Promise<number | null>;
  exitCode(): number | null | undefined;
  /** The server's inspector (`--inspect=127.0.0.1:0`), for forcing a full GC. */
  inspectorUrl(): string | null;
  /** Log lines at warn (40) or above, lines that are not the logger's (a crash trace, node's own output), and the first few of them. */
  log: { warnings: number; errors: number; other: number; examples: string[] };
}

/**
 * Starts `src/main.ts` as test/support/server-process.ts does (tsx loaded with `--import`, so the
 * pid is the server's own and signals reach it), but hands the child over at once, so it can
 * be killed even when it never listens.
 */
function spawnServer(
  env: Record<string, string>,
  nodeArgs: string[],
  logFile: string | null,
  onChild: (child: ChildProcess) => void,
): Promise<ServerChild> {
  const child = spawn(
    process.execPath,
    [
      '--inspect=127.0.0.1:0',
      ...nodeArgs,
      '--import',
      ORPHAN_WATCH,
      '--import',
      'tsx',
      path.join(ROOT, 'src', 'main.ts'),
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: process.env.NODE_ENV ?? 'production',
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  onChild(child);
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => ((code = c), resolve(c))));
  const log = { warnings: 0, errors: 0, other: 0, examples: [] as string[] };
  const tee = logFile === null ? null : fs.createWriteStream(logFile);
  if (tee) void exited.then(() => tee.end());
  let pending = '';
  let url: string | null = null;
  let inspector: string | null = null;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not listen within 60 s: ${pending.slice(0, 1000)}`)),
      60_000,
    );
    const onLine = (line: string) => {
      const level = Number(/"level":(\d+)/.exec(line)?.[1] ?? 0);
      if (url === null) {
        const match = /"url":"(http:\/\/[^"]+)"/.exec(line);
        if (match) {
          url = match[1]!;
          clearTimeout(timer);
          resolve({ child, pid: child.pid!, url, exited, exitCode: () => code, inspectorUrl: () => inspector, log });
        }
      }
      const debug = /^Debugger listening on (ws:\/\/\S+)/.exec(line);
      if (debug) inspector = debug[1]!;
      // The inspector's own notices.
      if (debug || /^(For help, see|Debugger attached|Debugger ending|Waiting for the debugger)/.test(line)) return;
      if (level >= 50) log.errors++;
      else if (level >= 40) log.warnings++;
      else if (!line.startsWith('{"level":') && line.trim() !== '') log.other++;
      else return;
      if (log.examples.length < 10) log.examples.push(line.slice(0, 1000));
    };
    const onData = (chunk: Buffer) => {
      tee?.write(chunk);
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) onLine(line);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (c) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${c}: ${pending.slice(0, 1000)}`));
    });
  });
}

/**
 * A full, blocking garbage collection in the server (through its inspector): what is still on the
 * heap afterwards is live, so comparing it over time shows a leak that V8's lazy collection
 * would hide (before its first full collection, a minute or two in, the heap only grows).
 */
async function collectGarbage(inspectorUrl: string): Promise<void> {
  const socket = new WebSocket(inspectorUrl, { perMessageDeflate: false });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('inspector: no answer within 30 s')), 30_000);
      socket.once('error', (error) => (clearTimeout(timer), reject(error)));
      socket.once('open', () => socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' })));
      socket.on('message', (data) => {
        const reply = JSON.parse(String(data)) as { id?: number; error?: { message: string } };
        if (reply.id !== 1) return;
        clearTimeout(timer);
        if (reply.error) reject(new Error(`inspector: ${reply.error.message}`));
        else resolve();
      });
    });
  } finally {
    socket.close();
  }
}

/** RSS and its peak from /proc/<pid>/status (Linux), in MB. */
function procMemory(pid: number): { rssMb: number; peakRssMb: number } | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
    return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** Sum of a metric's samples (all label sets) in Prometheus text; null when absent. */
function metricValue(text: string, name: string): number | null {
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) {
      sum += value;
      found = true;
    }
  }
  return found ? sum : null;
}

/** One look at the server. */
interface MemorySample {
  /** Seconds since the load started (negative before). */
  t: number;
  rssMb: number | null;
  heapUsedMb: number | null;
  heapTotalMb: number | null;
  externalMb: number | null;
  cpuSeconds: number | null;
  eventLoopLagP99Ms: number | null;
  wsConnections: number | null;
  subscriptionsActive: number | null;
  subscribersDropped: number | null;
  graphqlErrors: number | null;
}

// ---------------------------------------------------------------- HTTP client

class HttpClient {
  /**
   * Idle sockets are closed after 4 s, before the server's keep-alive timeout (Node's default,
   * 5 s, announced as `Keep-Alive: timeout=5`) closes them, as undici (fetch) does; Node 20's
   * agent ignores the hint and would now and then send a request on a socket the server is
   * closing at that moment (ECONNRESET): a race of the transport, not a fault of the server.
   */
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64, timeout: 4000 });
  private readonly base: URL;

  constructor(url: string) {
    this.base = new URL(url);
  }

  request(method: 'GET' | 'POST', requestPath: string, body?: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.base.hostname,
          port: this.base.port,
          method,
          path: requestPath,
          agent: this.agent,
          headers:
            body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.setTimeout(REQUEST_TIMEOUT_MS, () =>
        req.destroy(Object.assign(new Error(`no response within ${REQUEST_TIMEOUT_MS} ms`), { code: 'TIMEOUT' })),
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

// ---------------------------------------------------------------- recording

const KINDS = [
  'logEvents',
  'POST /event',
  'events (cursor)',
  'eventPage (offset)',
  'eventCounts',
  'utilization',
] as const;
type Kind = (typeof KINDS)[number];
const DELIVERY = 'delivery';

interface KindWindow {
  latencies: number[];
  errors: number;
}

/** Latencies and errors per kind, per window and in total. */
class Recorder {
  current = new Map<Kind, KindWindow>();
  /** Latencies after warm-up, per kind. */
  readonly measured = new Map<Kind, number[]>();
  readonly errorsByKind = new Map<string, number>();
  readonly examples = new Map<string, string>();
  measuring = false;

  record(kind: Kind, ms: number, error?: string, detail?: string): void {
    const w = this.current.get(kind) ?? { latencies: [], errors: 0 };
    this.current.set(kind, w);
    w.latencies.push(ms);
    if (this.measuring) {
      const all = this.measured.get(kind) ?? [];
      this.measured.set(kind, all);
      all.push(ms);
    }
    if (error !== undefined) {
      w.errors++;
      this.error(`${kind}: ${error}`, detail ?? '');
    }
  }

  error(kind: string, detail: string): void {
    this.errorsByKind.set(kind, (this.errorsByKind.get(kind) ?? 0) + 1);
    if (!this.examples.has(kind)) this.examples.set(kind, detail.slice(0, 400));
  }

  /** This window's figures; starts the next. */
  swap(): Map<Kind, KindWindow> {
    const done = this.current;
    this.current = new Map();
    return done;
  }
}

/** What one window measured. */
interface WindowFigures {
  index: number;
  phase: 'warm-up' | 'measured';
  fromSeconds: number;
  toSeconds: number;
  kinds: Record<string, { opsPerSecond: number; p50Ms: number; p99Ms: number; maxMs: number; errors: number }>;
  server: {
    rssMb: number;
    heapUsedMb: number;
    heapTotalMb: number;
    cpuCores: number;
    eventLoopLagP99Ms: number;
    subscriptionsActive: number;
  };
  subscriberCpu: number;
  loadClientCpu: number;
}

// ---------------------------------------------------------------- the load

/** The report queries, in turn: over the seeded lab (a fixed cost) and over the live events (a growing one). */
function reportQueries(seedStart: number, seedDays: number) {
  const day = 24 * 3600 * 1000;
  const iso = (t: number) => new Date(t).toISOString();
  const week = { from: iso(seedStart), to: iso(seedStart + 7 * day) };
  const span = { from: iso(seedStart), to: iso(seedStart + seedDays * day) };
  return [
    {
      kind: 'eventCounts' as const,
      query:
        'query LiveCounts($filter: EventFilter) { eventCounts(groupBy: NODE, bucket: MINUTE, filter: $filter) { key bucketStart count } }',
      variables: () => ({ filter: { from: iso(Date.now() - 10 * 60_000) } }),
    },
    {
      kind: 'utilization' as const,
      query:
        'query Sessions($from: DateTimeISO, $to: DateTimeISO) { sessionUtilization(from: $from, to: $to) { totalSessions nodesTracked averageSystemUtilizationPercent } }',
      variables: () => week,
    },
    {
      kind: 'eventCounts' as const,
      query:
        'query TypeHours($filter: EventFilter) { eventCounts(groupBy: EVENT_TYPE, bucket: HOUR, timezone: "America/Chicago", filter: $filter) { key count } }',
      variables: () => ({ filter: week }),
    },
    {
      kind: 'utilization' as const,
      query:
        'query Periods($from: DateTimeISO, $to: DateTimeISO) { utilizationPeriods(from: $from, to: $to, period: DAILY, timezone: "America/Chicago") { totalPeriods activePeriods averageUtilization } }',
      variables: () => span,
    },
    {
      kind: 'eventCounts' as const,
      query: 'query Levels { eventCounts(groupBy: LOG_LEVEL) { key count } }',
      variables: () => ({}),
    },
    {
      kind: 'utilization' as const,
      query:
        'query Users($from: DateTimeISO, $to: DateTimeISO) { userUtilization(from: $from, to: $to) { totalWorkflows totalUsers completionRatePercent } }',
      variables: () => week,
    },
  ];
}

/** Filters of the paged queries, in turn. */
function pageFilters(): (() => Record<string, unknown> | null)[] {
  return [
    () => null,
    () => ({ source: { nodeId: [NODE_IDS[3]] } }),
    () => ({ minLevel: 'WARNING' }),
    () => ({ eventTypes: FAILURE_NAMES }),
    () => ({ source: { workcellId: [WORKCELL_IDS[1]] } }),
    () => ({ text: 'plate' }),
    () => ({ from: new Date(Date.now() - 5 * 60_000).toISOString(), minLevel: 'INFO' }),
  ];
}

const EVENT_FIELDS = 'id eventType logLevel eventTimestamp source { nodeId workcellId } eventData';
const WALK = `query Walk($first: Int, $after: String, $filter: EventFilter) { events(first: $first, after: $after, filter: $filter) { nodes { ${EVENT_FIELDS} } pageInfo { endCursor hasNextPage } } }`;
const PAGE = `query Page($limit: Int, $offset: Int, $filter: EventFilter) { eventPage(limit: $limit, offset: $offset, filter: $filter) { offset items { ${EVENT_FIELDS} } } }`;
const PAGE_COUNTED = `query CountedPage($limit: Int, $offset: Int, $filter: EventFilter) { eventPage(limit: $limit, offset: $offset, filter: $filter) { offset totalCount items { ${EVENT_FIELDS} } } }`;
const LOG_EVENTS =
  'mutation Ingest($events: [EventInput!]!) { logEvents(events: $events) { insertedCount duplicateCount } }';

interface PageNode {
  id: string;
  eventTimestamp: string;
}
interface WalkData {
  events: { nodes: PageNode[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } };
}

/** The load generator: fixed arrival rates, each arrival one operation, never waiting for the previous. */
class Load {
  private readonly generator = new EventGenerator(1_000_000, 7);
  private readonly random = seededRandom(11);
  private readonly reports: ReturnType<typeof reportQueries>;
  private readonly filters = pageFilters();
  private eventCounter = 0;
  private seq = 0;
  private reportTurn = 0;
  private walkTurn = 0;
  private pageTurn = 0;
  readonly acked: Acked[] = [];
  readonly inFlight = new Set<Promise<void>>();
  lateArrivals = 0;
  arrivals = 0;
  stopped = false;

  constructor(
    private readonly http: HttpClient,
    private readonly recorder: Recorder,
    private readonly p: Parameters,
    seedStart: number,
    seedDays: number,
  ) {
    this.reports = reportQueries(seedStart, seedDays);
  }

  /** Runs every kind's arrivals from `start` to `end` (performance.now() times). */
  async run(start: number, end: number): Promise<void> {
    const p = this.p;
    await Promise.all([
      this.arrive(p.ingestBatchesPerSecond, start, end, (due) => this.ingestBatch(due)),
      this.arrive(p.restEventsPerSecond, start, end, (due) => this.restEvent(due)),
      this.arrive(p.walksPerSecond, start, end, (due) => this.walk(due)),
      this.arrive(p.offsetPagesPerSecond, start, end, (due) => this.offsetPage(due)),
      this.arrive(p.reportsPerSecond, start, end, (due) => this.report(due)),
    ]);
  }

  /** Waits for the operations in flight (each bounded by the request timeout). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async arrive(rate: number, start: number, end: number, fire: (due: number) => Promise<void>): Promise<void> {
    if (!(rate > 0)) return;
    const interval = 1000 / rate;
    // Kinds start out of phase, so arrivals do not bunch at the same instants.
    const phase = this.random() * interval;
    for (let i = 0; !this.stopped; i++) {
      const due = start + phase + i * interval;
      if (due >= end) return;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      else if (wait < -100) this.lateArrivals++;
      if (this.stopped) return;
      this.arrivals++;
      const op = fire(due).catch((error: unknown) => this.recorder.error('load client: unexpected', String(error)));
      this.inFlight.add(op);
      void op.finally(() => this.inFlight.delete(op));
    }
  }

  /** A GraphQL request; latency from `due` (the arrival time, so a client queue counts too). */
  private async graphql<T>(
    kind: Kind,
    due: number,
    query: string,
    variables: Record<string, unknown>,
    check?: (data: T) => string | null,
  ): Promise<T | null> {
    try {
      const res = await this.http.request('POST', '/graphql', JSON.stringify({ query, variables }));
      const ms = performance.now() - due;
      if (res.status !== 200) {
        this.recorder.record(kind, ms, `HTTP ${res.status}`, res.text);
        return null;
      }
      const body = JSON.parse(res.text) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
      if (body.errors !== undefined && body.errors.length > 0) {
        this.recorder.record(
          kind,
          ms,
          `GraphQL error ${body.errors[0]!.extensions?.code ?? ''}`.trim(),
          JSON.stringify(body.errors),
        );
        return null;
      }
      const problem = check && body.data !== undefined ? check(body.data) : null;
      if (problem !== null) {
        this.recorder.record(kind, ms, problem, res.text);
        return null;
      }
      this.recorder.record(kind, ms);
      return body.data ?? null;
    } catch (error) {
      const code = (error as { code?: string }).code;
      this.recorder.record(
        kind,
        performance.now() - due,
        code === 'TIMEOUT' ? 'timeout' : `network ${code ?? 'error'}`,
        String(error),
      );
      return null;
    }
  }

  /** The next event of the workload, stamped with its sequence number and send time, and what a subscriber checks of it. */
  private nextEvent(): {
    input: ReturnType<EventGenerator['input']>;
    acked: Acked;
    eventData: Record<string, unknown>;
  } {
    const input = this.generator.input(this.eventCounter++);
    const seq = this.seq++;
    const acked: Acked = [seq, NODE_INDEX.get(input.source!.nodeId!)!, typeName(input.eventType), input.logLevel!];
    return { input, acked, eventData: { ...(input.eventData as Record<string, unknown>), seq, sent: now() } };
  }

  private async ingestBatch(due: number): Promise<void> {
    const events = Array.from({ length: this.p.batchSize }, () => this.nextEvent());
    const variables = {
      events: events.map(({ input, eventData }) => {
        const { id: _id, ...rest } = toGraphQLInput(input);
        return { ...rest, eventTimestamp: new Date().toISOString(), eventData };
      }),
    };
    const data = await this.graphql<{ logEvents: { insertedCount: number; duplicateCount: number } }>(
      'logEvents',
      due,
      LOG_EVENTS,
      variables,
      (d) =>
        d.logEvents.insertedCount === events.length ? null : `stored ${d.logEvents.insertedCount} of ${events.length}`,
    );
    if (data) for (const e of events) this.acked.push(e.acked);
  }

  private async restEvent(due: number): Promise<void> {
    const { input, acked, eventData } = this.nextEvent();
    const source = input.source!;
    const body = JSON.stringify({
      event_type: input.eventType,
      log_level: input.logLevel,
      alert: input.alert,
      event_timestamp: new Date().toISOString(),
      source: {
        node_id: source.nodeId,
        workcell_id: source.workcellId,
        ...(source.workflowId ? { workflow_id: source.workflowId } : {}),
      },
      event_data: eventData,
      ...(input.traceId ? { trace_id: input.traceId } : {}),
    });
    const kind: Kind = 'POST /event';
    try {
      const res = await this.http.request('POST', '/event', body);
      const ms = performance.now() - due;
      if (res.status < 200 || res.status >= 300) return this.recorder.record(kind, ms, `HTTP ${res.status}`, res.text);
      const stored = JSON.parse(res.text) as { _id?: unknown; event_data?: { seq?: unknown } };
      if (typeof stored._id !== 'string' || stored.event_data?.seq !== acked[0])
        return this.recorder.record(kind, ms, 'unexpected response', res.text);
      this.recorder.record(kind, ms);
      this.acked.push(acked);
    } catch (error) {
      const code = (error as { code?: string }).code;
      this.recorder.record(
        kind,
        performance.now() - due,
        code === 'TIMEOUT' ? 'timeout' : `network ${code ?? 'error'}`,
        String(error),
      );
    }
  }

  /** A cursor walk of up to `walkPages` pages, newest first; each page one operation. */
  private async walk(due: number): Promise<void> {
    const filter = this.filters[this.walkTurn++ % this.filters.length]!();
    const seen = new Set<string>();
    let after: string | null = null;
    let lastTimestamp: string | null = null;
    let started = due;
    for (let page = 0; page < this.p.walkPages && !this.stopped; page++) {
      const data: WalkData | null = await this.graphql<WalkData>(
        'events (cursor)',
        started,
        WALK,
        { first: this.p.pageSize, after, filter },
        (d) => {
          for (const node of d.events.nodes) {
            if (seen.has(node.id)) return 'cursor walk returned an event twice';
            seen.add(node.id);
            if (lastTimestamp !== null && node.eventTimestamp > lastTimestamp) return 'cursor walk out of order';
            lastTimestamp = node.eventTimestamp;
          }
          return null;
        },
      );
      if (!data || !data.events.pageInfo.hasNextPage) return;
      after = data.events.pageInfo.endCursor;
      started = performance.now();
    }
  }

  private async offsetPage(due: number): Promise<void> {
    const turn = this.pageTurn++;
    const filter = this.filters[turn % this.filters.length]!();
    const offset = this.p.pageSize * Math.floor(this.random() * 20);
    // Every fourth page also counts the matches, as a paged table showing "1-50 of N" does.
    await this.graphql(
      'eventPage (offset)',
      due,
      turn % 4 === 0 ? PAGE_COUNTED : PAGE,
      { limit: this.p.pageSize, offset, filter },
      (d: { eventPage: { offset: number } }) => (d.eventPage.offset === offset ? null : 'wrong offset'),
    );
  }

  private async report(due: number): Promise<void> {
    const report = this.reports[this.reportTurn++ % this.reports.length]!;
    await this.graphql(report.kind, due, report.query, report.variables());
  }
}

// ---------------------------------------------------------------- the run

/** Means of the memory samples in [from, to) seconds. */
function meanOf(samples: MemorySample[], from: number, to: number, key: keyof MemorySample): number {
  const values = samples
    .filter((s) => s.t >= from && s.t < to)
    .map((s) => s[key])
    .filter((v): v is number => v !== null && Number.isFinite(v));
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Least-squares slope of a sample series, per minute. */
function slopePerMinute(points: [number, number][]): number {
  if (points.length < 2) return Number.NaN;
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? Number.NaN : (sxy / sxx) * 60;
}

/** Runs the soak and writes `bench/results/soak.json`. */
export async function runSoak(): Promise<Target[]> {
  const startedAt = new Date();
  const p = soakParameters();
  const busyAtStart = await checkQuiet('before the run');

  // Everything to undo, also from a signal or the time budget's watchdog.
  const children = new Set<ChildProcess>();
  const dirs = new Set<string>();
  const killAll = () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const removeDirs = () => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  };
  const onExit = () => {
    killAll();
    removeDirs();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`soak: ${signal}; stopping the server and the subscribers`);
    onExit();
    process.exit(130);
  };
  process.on('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const budgetSeconds = p.warmupSeconds + p.seconds + p.drainSeconds + 300;
  const watchdog = setTimeout(() => {
    console.error(`soak: still running after ${budgetSeconds} s (its time budget); aborting`);
    onExit();
    process.exit(1);
  }, budgetSeconds * 1000);
  watchdog.unref();

  let mongo: MongoServer | null = null;
  let location: StoreLocation | null = null;
  let server: ServerChild | null = null;
  let fleet: SubscriberFleet | null = null;
  let client: HttpClient | null = null;
  let serverDied: string | null = null;
  const recorder = new Recorder();
  const samples: MemorySample[] = [];
  const afterGc: {
    at: string;
    t: number;
    windowTo: number;
    gcMs: number;
    heapUsedMb: number;
    heapTotalMb: number;
    rssMb: number;
  }[] = [];
  const gcFailures: string[] = [];
  const windows: WindowFigures[] = [];
  let verification: Verification | null = null;
  let released: { wsConnections: number | null; subscriptionsActive: number | null; seconds: number } | null = null;
  let shutdown: { exitCode: number | null | undefined; seconds: number } | null = null;
  let deliveryTotals: SubscriberWindow | null = null;
  const measuredDeliveries: { deliveries: number; p99: number[] } = { deliveries: 0, p99: [] };
  let seedSeconds = 0;
  let load: Load | undefined;
  let peakRssMb: number | null = null;
  const seedStart = Date.UTC(2025, 0, 1);
  const seedDays = Math.max(7, Math.round((365 * p.seedEvents) / 1_000_000));
  const filters = subscriberFilters(p.subscribers, p.unfilteredSubscribers);

  try {
    // The store: fresh, seeded with a simulated lab (the reports' data) before the server opens it.
    if (p.store === 'mongodb') mongo = await mongoServer();
    location = freshStore(p.store, 'soak', mongo ?? undefined);
    const dataDir = location.env.DATA_DIR ?? tempDir('soak-data');
    dirs.add(dataDir);
    if (p.seedEvents > 0) {
      progress(`seeding ${p.seedEvents} lab events over ${seedDays} days`);
      const seeding = performance.now();
      const store = location.open();
      await store.init();
      let batch = [];
      for (const day of new LabGenerator({ total: p.seedEvents, days: seedDays, start: seedStart }).days()) {
        batch.push(...day);
        if (batch.length >= 5000) {
          await store.insertMany(batch);
          batch = [];
        }
      }
      if (batch.length > 0) await store.insertMany(batch);
      await store.close();
      seedSeconds = (performance.now() - seeding) / 1000;
    }

    progress(`starting the server (${p.store}, NODE_ENV=${process.env.NODE_ENV}, no API keys, loopback)`);
    server = await spawnServer(
      {
        ...location.env,
        DATA_DIR: dataDir,
        EXPORT_DIR: path.join(dataDir, 'exports'),
        MONGODB_URI: location.env.MONGODB_URI ?? '',
        API_KEYS: '',
        METRICS_ENABLED: 'true',
      },
      p.serverNodeArgs,
      p.serverLog,
      (child) => children.add(child),
    );
    const running = server;
    let stoppingServer = false;
    void running.exited.then((code) => {
      if (!stoppingServer) serverDied ??= `the server exited with ${code} during the run`;
    });
    client = new HttpClient(running.url);
    const http = client;

    const readServer = async (t: number): Promise<MemorySample> => {
      const proc = procMemory(running.pid);
      let text = '';
      try {
        const res = await http.request('GET', '/metrics');
        if (res.status !== 200) recorder.error(`metrics: HTTP ${res.status}`, res.text);
        else text = res.text;
      } catch (error) {
        if (running.exitCode() === undefined) recorder.error('metrics: unreachable', String(error));
      }
      const m = (name: string, scale = 1) => {
        const v = metricValue(text, name);
        return v === null ? null : v / scale;
      };
      if (proc) peakRssMb = proc.peakRssMb;
      return {
        t,
        rssMb: proc?.rssMb ?? m('process_resident_memory_bytes', MB),
        heapUsedMb: m('nodejs_heap_size_used_bytes', MB),
        heapTotalMb: m('nodejs_heap_size_total_bytes', MB),
        externalMb: m('nodejs_external_memory_bytes', MB),
        cpuSeconds: m('process_cpu_seconds_total'),
        eventLoopLagP99Ms: m('nodejs_eventloop_lag_p99_seconds', 1 / 1000),
        wsConnections: m('lab_events_ws_connections'),
        subscriptionsActive: m('lab_events_subscriptions_active'),
        subscribersDropped: m('lab_events_subscribers_dropped_total'),
        graphqlErrors: m('lab_events_graphql_errors_total'),
      };
    };
    const sample = async (t: number): Promise<void> => {
      samples.push(await readServer(t));
    };
    // What is live after a forced full collection.
    const forcedGc = async (at: string, t: number, windowTo: number): Promise<void> => {
      const inspector = running.inspectorUrl();
      if (inspector === null) {
        gcFailures.push(`${at}: the server printed no inspector address`);
        return;
      }
      const started = performance.now();
      try {
        await collectGarbage(inspector);
      } catch (error) {
        gcFailures.push(`${at}: ${String(error)}`);
        return;
      }
      const gcMs = performance.now() - started;
      const after = await readServer(t);
      afterGc.push({
        at,
        t: round(t),
        windowTo,
        gcMs: round(gcMs),
        heapUsedMb: round(num(after.heapUsedMb)),
        heapTotalMb: round(num(after.heapTotalMb)),
        rssMb: round(num(after.rssMb)),
      });
      progress(
        `forced full GC (${at}): ${round(gcMs)} ms; live heap ${round(num(after.heapUsedMb))} MB, RSS ${round(num(after.rssMb))} MB`,
      );
    };

    progress(`connecting ${p.subscribers} subscribers (${p.unfilteredSubscribers} unfiltered)`);
    fleet = startSubscriberFleet();
    children.add(fleet.child);
    const connected = await fleet.request<{ count: number; error?: string }>(
      { type: 'connect', url: `${running.url.replace(/^http/, 'ws')}/graphql`, filters },
      'connected',
    );
    if (connected.count !== p.subscribers)
      throw new Error(`connected ${connected.count} of ${p.subscribers} subscribers: ${connected.error ?? ''}`);
    // Every subscription must be running before the first event, or missing it is no fault.
    const subscribedBy = performance.now() + 30_000;
    for (;;) {
      await sample(-1);
      if ((samples.at(-1)!.subscriptionsActive ?? 0) >= p.subscribers) break;
      if (performance.now() > subscribedBy)
        throw new Error(
          `only ${samples.at(-1)!.subscriptionsActive} of ${p.subscribers} subscriptions running after 30 s`,
        );
      await sleep(200);
    }
    await sleep(1000);
    await sample(-0.5);
    await fleet.request({ type: 'window' }, 'window');

    // Windows: warm-up in windows of its own, then the measured run.
    const bounds: { from: number; to: number; phase: WindowFigures['phase'] }[] = [];
    for (let t = 0; t < p.warmupSeconds; t += p.windowSeconds)
      bounds.push({ from: t, to: Math.min(t + p.windowSeconds, p.warmupSeconds), phase: 'warm-up' });
    for (let t = p.warmupSeconds; t < p.warmupSeconds + p.seconds; t += p.windowSeconds)
      bounds.push({ from: t, to: Math.min(t + p.windowSeconds, p.warmupSeconds + p.seconds), phase: 'measured' });
    const totalSeconds = p.warmupSeconds + p.seconds;

    progress(`load for ${p.warmupSeconds} s of warm-up + ${p.seconds} s, windows of ${p.windowSeconds} s`);
    load = new Load(http, recorder, p, seedStart, seedDays);
    const theLoad = load;
    recorder.measuring = bounds[0]?.phase === 'measured';
    if (p.warmupSeconds === 0) await forcedGc(BASELINE_GC, 0, 0);
    const start = performance.now();
    const elapsed = () => (performance.now() - start) / 1000;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await sample(elapsed());
        await sleep(p.memoryIntervalSeconds * 1000);
      }
    })();
    const loadDone = theLoad.run(start, start + totalSeconds * 1000);

    const subscriberFleet = fleet;

    let cpuBefore = process.cpuUsage();
    let lastCpuSample = samples.at(-1)!;
    for (const [index, bound] of bounds.entries()) {
      await sleep(start + bound.to * 1000 - performance.now());
      // What completes from now on belongs to the next window (stragglers after the last: to the last's phase).
      recorder.measuring = (bounds[index + 1] ?? bound).phase === 'measured';
      const kinds = recorder.swap();
      const delivery = (await subscriberFleet.request<{ window: SubscriberWindow }>({ type: 'window' }, 'window'))
        .window;
      const seconds = bound.to - bound.from;
      const cpu = process.cpuUsage(cpuBefore);
      cpuBefore = process.cpuUsage();
      const inWindow = samples.filter((s) => s.t >= bound.from && s.t < bound.to);
      const lastSample = inWindow.at(-1) ?? lastCpuSample;
      const serverCpu =
        lastSample.cpuSeconds !== null && lastCpuSample.cpuSeconds !== null && lastSample.t > lastCpuSample.t
          ? (lastSample.cpuSeconds - lastCpuSample.cpuSeconds) / (lastSample.t - lastCpuSample.t)
          : Number.NaN;
      lastCpuSample = lastSample;
      const figures: WindowFigures = {
        index,
        phase: bound.phase,
        fromSeconds: bound.from,
        toSeconds: bound.to,
        kinds: {},
        server: {
          rssMb: round(meanOf(samples, bound.from, bound.to, 'rssMb')),
          heapUsedMb: round(meanOf(samples, bound.from, bound.to, 'heapUsedMb')),
          heapTotalMb: round(meanOf(samples, bound.from, bound.to, 'heapTotalMb')),
          cpuCores: round(serverCpu),
          eventLoopLagP99Ms: round(
            maxOf(inWindow.map((s) => s.eventLoopLagP99Ms).filter((v): v is number => v !== null)),
          ),
          subscriptionsActive: inWindow.at(-1)?.subscriptionsActive ?? Number.NaN,
        },
        subscriberCpu: round(num(delivery.cpuUtilization)),
        loadClientCpu: round((cpu.user + cpu.system) / 1000 / (seconds * 1000)),
      };
      for (const kind of KINDS) {
        const w = kinds.get(kind) ?? { latencies: [], errors: 0 };
        figures.kinds[kind] = {
          opsPerSecond: round(w.latencies.length / seconds),
          p50Ms: round(quantile(w.latencies, 0.5)),
          p99Ms: round(quantile(w.latencies, 0.99)),
          maxMs: round(maxOf(w.latencies)),
          errors: w.errors,
        };
      }
      const deliveryErrors =
        Object.values(delivery.errors).reduce((a, b) => a + b, 0) -
        Object.values(deliveryTotals?.errors ?? {}).reduce((a, b) => a + b, 0);
      figures.kinds[DELIVERY] = {
        opsPerSecond: round(delivery.deliveries / seconds),
        p50Ms: round(num(delivery.p50Ms)),
        p99Ms: round(num(delivery.p99Ms)),
        maxMs: round(num(delivery.maxMs)),
        errors: deliveryErrors,
      };
      if (bound.phase === 'measured') {
        measuredDeliveries.deliveries += delivery.deliveries;
        measuredDeliveries.p99.push(num(delivery.p99Ms));
      }
      deliveryTotals = delivery;
      windows.push(figures);
      printTable(
        `[${bound.phase} ${index + 1}/${bounds.length}, ${bound.from}-${bound.to} s] server RSS ${figures.server.rssMb} MB, heap used ${figures.server.heapUsedMb} MB, CPU ${figures.server.cpuCores} cores, event-loop lag p99 ${figures.server.eventLoopLagP99Ms} ms; ${delivery.open} subscribers open; load client CPU ${figures.loadClientCpu}, subscribers CPU ${figures.subscriberCpu}`,
        ['kind', 'ops/s', 'p50 ms', 'p99 ms', 'max ms', 'errors'],
        [...KINDS, DELIVERY].map((kind) => {
          const k = figures.kinds[kind]!;
          return [
            kind === DELIVERY ? 'delivery (sent -> received)' : kind,
            k.opsPerSecond,
            k.p50Ms,
            k.p99Ms,
            k.maxMs,
            k.errors,
          ];
        }),
      );
      if (serverDied !== null) {
        theLoad.stopped = true;
        break;
      }
      // A full GC at every window's end puts every window in the same phase of V8's collection
      // cycle (left alone, the heap climbs for a minute or two before a full collection, and window
      // means follow that sawtooth), and shows what is live. After the printing: the pause falls
      // at the start of the next window, in its latencies.
      const last = index === bounds.length - 1;
      if (p.forceGc || bound.to === p.warmupSeconds || last)
        await forcedGc(
          last ? FINAL_GC : bound.to === p.warmupSeconds ? BASELINE_GC : `at ${bound.to} s`,
          elapsed(),
          bound.to,
        );
    }
    theLoad.stopped = true;
    await loadDone;
    sampling = false;
    await sampler;
    await theLoad.settle();
    recorder.measuring = false;

    if (serverDied === null) {
      // Every acknowledged event must reach every subscriber whose filter it matches.
      const expected = theLoad.acked.reduce(
        (sum, [, node, type, level]) => sum + filters.filter((f) => matches(f, node, type, level)).length,
        0,
      );
      const drainBy = performance.now() + p.drainSeconds * 1000;
      while (
        (await subscriberFleet.request<{ count: number }>({ type: 'received' }, 'received')).count < expected &&
        performance.now() < drainBy
      )
        await sleep(200);
      deliveryTotals = (await subscriberFleet.request<{ window: SubscriberWindow }>({ type: 'window' }, 'window'))
        .window;
      verification = (
        await subscriberFleet.request<{ result: Verification }>({ type: 'verify', acked: theLoad.acked }, 'verified')
      ).result;
      if (verification.missing > 0)
        recorder.errorsByKind.set('subscription: acknowledged event never delivered', verification.missing);
      if (verification.missing > 0)
        recorder.examples.set(
          'subscription: acknowledged event never delivered',
          `by filter: ${JSON.stringify(verification.missingByFilter)}; ${verification.subscribersMissing} subscribers`,
        );
      for (const [kind, count] of Object.entries(deliveryTotals.errors)) {
        recorder.errorsByKind.set(kind, count);
        recorder.examples.set(kind, deliveryTotals.examples[kind] ?? '');
      }

      // Disconnected subscribers must be released by the server.
      await subscriberFleet.request({ type: 'close' }, 'closed', 30_000);
      const releaseStarted = performance.now();
      for (;;) {
        await sample(elapsed());
        const last = samples.at(-1)!;
        if (last.wsConnections === 0 && last.subscriptionsActive === 0) break;
        if (performance.now() - releaseStarted > 10_000) {
          recorder.error(
            'server: closed subscriptions not released',
            `ws connections ${last.wsConnections}, subscriptions ${last.subscriptionsActive} 10 s after the clients left`,
          );
          break;
        }
        await sleep(250);
      }
      const last = samples.at(-1)!;
      released = {
        wsConnections: last.wsConnections,
        subscriptionsActive: last.subscriptionsActive,
        seconds: round((performance.now() - releaseStarted) / 1000),
      };

      // SIGTERM: the server drains and exits 0.
      const stopping = performance.now();
      stoppingServer = true;
      running.child.kill('SIGTERM');
      const code = await Promise.race([running.exited, sleep(20_000).then(() => 'timeout' as const)]);
      shutdown = {
        exitCode: code === 'timeout' ? undefined : code,
        seconds: round((performance.now() - stopping) / 1000),
      };
      if (code !== 0)
        recorder.error(
          'server: shutdown',
          code === 'timeout' ? 'still running 20 s after SIGTERM' : `exit code ${code}`,
        );
    } else {
      recorder.error('server: died', serverDied);
    }
    if (running.log.errors > 0) recorder.errorsByKind.set('server: logged errors', running.log.errors);
    if (running.log.errors > 0) recorder.examples.set('server: logged errors', running.log.examples[0] ?? '');
  } finally {
    await fleet?.close();
    client?.close();
    killAll();
    if (server) await Promise.race([server.exited, sleep(5000)]);
    await location?.remove().catch((error: unknown) => console.error('could not remove the store:', error));
    await mongo?.stop();
    removeDirs();
    clearTimeout(watchdog);
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const busyAtEnd = await checkQuiet('after the run');

  // ---------------------------------------------------------------- figures
  const measured = windows.filter((w) => w.phase === 'measured');
  const totalsRows = KINDS.map((kind) => {
    const latencies = recorder.measured.get(kind) ?? [];
    const errors = [...recorder.errorsByKind.entries()]
      .filter(([k]) => k.startsWith(`${kind}: `))
      .reduce((s, [, n]) => s + n, 0);
    return {
      kind,
      operations: latencies.length,
      opsPerSecond: round(latencies.length / Math.max(1, p.seconds)),
      p50Ms: round(quantile(latencies, 0.5)),
      p99Ms: round(quantile(latencies, 0.99)),
      maxMs: round(maxOf(latencies)),
      errors,
    };
  });
  const deliveryErrors = [...recorder.errorsByKind.entries()]
    .filter(([k]) => k.startsWith('subscription: '))
    .reduce((s, [, n]) => s + n, 0);
  printTable(
    `Soak totals after warm-up (${p.seconds} s; ${p.store}; latencies from the scheduled arrival; errors over the whole run)`,
    ['kind', 'operations', 'ops/s', 'p50 ms', 'p99 ms', 'max ms', 'errors'],
    [
      ...totalsRows.map((r) => [r.kind, r.operations, r.opsPerSecond, r.p50Ms, r.p99Ms, r.maxMs, r.errors]),
      [
        'delivery (sent -> received)',
        verification?.delivered ?? measuredDeliveries.deliveries,
        round(measuredDeliveries.deliveries / Math.max(1, p.seconds)),
        '',
        `worst window ${round(maxOf(measuredDeliveries.p99))}`,
        '',
        deliveryErrors,
      ],
    ],
  );
  printTable(
    'p99 latency (ms) per window',
    ['window', 'phase', ...KINDS, DELIVERY],
    windows.map((w) => [
      `${w.fromSeconds}-${w.toSeconds} s`,
      w.phase,
      ...[...KINDS, DELIVERY].map((k) => w.kinds[k]!.p99Ms),
    ]),
  );
  printTable(
    'Server memory and CPU per window (means of the samples; then right after the full GC forced at its end)',
    [
      'window',
      'phase',
      'RSS MB',
      'heap used MB',
      'heap total MB',
      'CPU cores',
      'loop lag p99 ms',
      'GC ms',
      'live heap MB',
      'RSS after GC MB',
    ],
    windows.map((w) => {
      const gc = afterGc.find((g) => g.windowTo === w.toSeconds);
      return [
        `${w.fromSeconds}-${w.toSeconds} s`,
        w.phase,
        w.server.rssMb,
        w.server.heapUsedMb,
        w.server.heapTotalMb,
        w.server.cpuCores,
        w.server.eventLoopLagP99Ms,
        gc?.gcMs ?? '',
        gc?.heapUsedMb ?? '',
        gc?.rssMb ?? '',
      ];
    }),
  );

  const first = measured[0];
  const last = measured.at(-1);
  const growth = (key: 'rssMb' | 'heapUsedMb') =>
    first && last && measured.length >= 2
      ? ((last.server[key] - first.server[key]) / first.server[key]) * 100
      : Number.NaN;
  const rssGrowthPercent = growth('rssMb');
  const heapGrowthPercent = growth('heapUsedMb');
  const after = samples.filter((s) => s.t >= p.warmupSeconds && s.t <= p.warmupSeconds + p.seconds);
  const gcStart = afterGc.find((g) => g.at === BASELINE_GC);
  const gcEnd = afterGc.find((g) => g.at === FINAL_GC);
  const liveHeapGrowthPercent =
    gcStart && gcEnd ? ((gcEnd.heapUsedMb - gcStart.heapUsedMb) / gcStart.heapUsedMb) * 100 : Number.NaN;
  const gcRssGrowthPercent = gcStart && gcEnd ? ((gcEnd.rssMb - gcStart.rssMb) / gcStart.rssMb) * 100 : Number.NaN;
  const measuredGcs = afterGc.filter((g) => g.windowTo >= p.warmupSeconds);
  const liveSlope = slopePerMinute(measuredGcs.map((g) => [g.t, g.heapUsedMb]));
  const gcRssSlope = slopePerMinute(measuredGcs.map((g) => [g.t, g.rssMb]));
  const rssSlope = slopePerMinute(after.filter((s) => s.rssMb !== null).map((s) => [s.t, s.rssMb!]));
  const heapSlope = slopePerMinute(after.filter((s) => s.heapUsedMb !== null).map((s) => [s.t, s.heapUsedMb!]));
  console.log(
    `\nafter a forced full GC: live heap ${gcStart?.heapUsedMb} MB at the end of warm-up, ${gcEnd?.heapUsedMb} MB at the end (${round(liveHeapGrowthPercent)} %, trend ${round(liveSlope)} MB/min); RSS ${gcStart?.rssMb} and ${gcEnd?.rssMb} MB (${round(gcRssGrowthPercent)} %, trend ${round(gcRssSlope)} MB/min)${gcFailures.length > 0 ? `; GC failures: ${gcFailures.join('; ')}` : ''}`,
  );
  console.log(
    `memory after warm-up (window means): RSS ${first?.server.rssMb} -> ${last?.server.rssMb} MB (${round(rssGrowthPercent)} %, trend ${round(rssSlope)} MB/min), heap used ${first?.server.heapUsedMb} -> ${last?.server.heapUsedMb} MB (${round(heapGrowthPercent)} %, trend ${round(heapSlope)} MB/min); peak RSS ${round(peakRssMb ?? Number.NaN)} MB`,
  );
  const errorRows = [...recorder.errorsByKind.entries()].sort((a, b) => b[1] - a[1]);
  const totalErrors = errorRows.reduce((s, [, n]) => s + n, 0);
  if (errorRows.length > 0)
    printTable(
      'Errors by kind (first example)',
      ['kind', 'count', 'example'],
      errorRows.map(([k, n]) => [k, n, (recorder.examples.get(k) ?? '').slice(0, 200)]),
    );
  else console.log('\nno errors');
  if (verification) {
    console.log(
      `subscriptions: ${verification.delivered} of ${verification.expected} expected deliveries to ${p.subscribers} subscribers (${verification.missing} missing, ${verification.unacknowledged} of events never acknowledged); released: ${JSON.stringify(released)}; shutdown: ${JSON.stringify(shutdown)}`,
    );
  }
  if (server && server.log.warnings + server.log.errors + server.log.other > 0) {
    console.log(
      `server log: ${server.log.warnings} warnings, ${server.log.errors} errors, ${server.log.other} other lines; first: ${server.log.examples[0]}`,
    );
  }
  if (load && load.lateArrivals > 0)
    console.log(
      `load client: ${load.lateArrivals} of ${load.arrivals} arrivals fired over 100 ms late (the client, not only the server, was behind)`,
    );

  const targets = [
    target(
      'errors',
      'errors of every kind over the whole run (GraphQL errors, non-2xx, timeouts, subscription errors and closes, missed deliveries, release, shutdown)',
      totalErrors,
      '<',
      1,
    ),
    target(
      'RSS growth %',
      `server RSS, mean of the last window vs the first after warm-up (${p.seconds} s)`,
      rssGrowthPercent,
      '<',
      MEMORY_GROWTH_PERCENT,
    ),
    target(
      'live heap growth %',
      `server V8 heap used right after a forced full GC (inspector), end of run vs end of warm-up`,
      liveHeapGrowthPercent,
      '<',
      MEMORY_GROWTH_PERCENT,
    ),
  ];
  printTargets(targets);
  const ingested = load?.acked.length ?? 0;
  writeResult('soak', startedAt, {
    otherProcessesBusyCores: { atStart: busyAtStart, atEnd: busyAtEnd },
    parameters: {
      ...p,
      seedDays,
      labWorkloadVersion: LAB_WORKLOAD_VERSION,
      subscriberFilters: countBy(filters.map((f) => f.kind)),
      nodeEnv: process.env.NODE_ENV,
      cores: os.cpus().length,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    },
    figures: {
      seedSeconds: round(seedSeconds),
      eventsAcknowledged: ingested,
      eventsPerSecond: round(ingested / Math.max(1, p.warmupSeconds + p.seconds)),
      totals: totalsRows,
      deliveries: {
        measured: measuredDeliveries.deliveries,
        perSecond: round(measuredDeliveries.deliveries / Math.max(1, p.seconds)),
        worstWindowP99Ms: round(maxOf(measuredDeliveries.p99)),
      },
      verification,
      windows,
      memory: {
        rssGrowthPercent: round(rssGrowthPercent),
        heapUsedGrowthPercent: round(heapGrowthPercent),
        liveHeapGrowthPercent: round(liveHeapGrowthPercent),
        rssAfterGcGrowthPercent: round(gcRssGrowthPercent),
        liveHeapTrendMbPerMinute: round(liveSlope),
        rssAfterGcTrendMbPerMinute: round(gcRssSlope),
        afterForcedGc: afterGc,
        forcedGcFailures: gcFailures,
        rssTrendMbPerMinute: round(rssSlope),
        heapUsedTrendMbPerMinute: round(heapSlope),
        peakRssMb: round(peakRssMb ?? Number.NaN),
        samples: samples.map((s) => ({
          t: round(s.t),
          rssMb: s.rssMb === null ? null : round(s.rssMb),
          heapUsedMb: s.heapUsedMb === null ? null : round(s.heapUsedMb),
          externalMb: s.externalMb === null ? null : round(s.externalMb),
          subscriptionsActive: s.subscriptionsActive,
        })),
      },
      errors: Object.fromEntries(errorRows),
      errorExamples: Object.fromEntries(recorder.examples),
      released,
      shutdown,
      serverLog: server?.log ?? null,
      loadClient: { arrivals: load?.arrivals ?? 0, lateArrivals: load?.lateArrivals ?? 0 },
    },
    ratios: {},
    targets,
    notes: [
      'Open loop: operations arrive at fixed rates whatever the latency; latencies are from the scheduled arrival to the response (a queue in the client counts). A cursor walk is one arrival; each of its pages is one events (cursor) operation, timed from its own start.',
      'Delivery latency is from the moment the ingest client built the request (eventData.sent) to the subscriber receiving the event, so it includes the ingest request itself.',
      'Memory: RSS from /proc/<pid>/status of the server process, heap used from its GET /metrics (prom-client nodejs_heap_size_used_bytes); growth = (mean of the last window - mean of the first window after warm-up) / the first; the trend is a least-squares slope over every sample after warm-up.',
      'Live heap: heap used read right after HeapProfiler.collectGarbage through the server inspector (node --inspect=127.0.0.1:0), at the end of every window (SOAK_FORCE_GC=0: only at the end of warm-up and at the end); the pause (0.1-0.5 s) falls at the start of the next window, in its latencies.',
      'The server runs src/main.ts through tsx (as the tests run it), so its RSS includes tsx and the TypeScript it compiled at start.',
    ],
  });
  if (serverDied !== null) throw new Error(serverDied);
  return targets;
}

function countBy(items: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[item] = (counts[item] ?? 0) + 1;
  return counts;
}

if (require.main === module) {
  if (process.argv.includes('--soak-subscribers')) subscriberProcess();
  else
    runSoak().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
}
