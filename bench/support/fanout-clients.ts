/**
 * The two client processes of the fan-out benchmark (forked, so the server under test keeps its
 * own event loop):
 *
 * * subscribers: many graphql-ws connections, one `eventLogged` subscription each, spoken by
 *   hand over `ws` (the protocol is four message types; the client library would add work to
 *   every delivery and make the client, not the server, the limit sooner), recording when each
 *   event's `seq` arrived;
 * * ingest: `logEvent` mutations at a steady rate over keep-alive HTTP, recording when each was
 *   acknowledged.
 *
 * Both stamp times as `performance.timeOrigin + performance.now()`: one clock across processes.
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import WebSocket from 'ws';
import { quantile } from './harness';

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes. */
const now = () => performance.timeOrigin + performance.now();

/** Latency figures of one step, computed where the receipts are. */
export interface DeliverySummary {
  deliveries: number;
  /** Deliveries expected: events acknowledged times subscribers. */
  expected: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Median latency of the events of the first and last quarter of the step (a growing backlog shows as a rise). */
  firstQuarterP50Ms: number;
  lastQuarterP50Ms: number;
  /** From the last acknowledgement to the last delivery. */
  drainMs: number;
  /** The subscriber process's CPU time / wall time during the step. */
  cpuUtilization: number;
}

/** What an ingest run did. */
export interface IngestResult {
  /** `[seq, ackTime]` of every acknowledged event. */
  acks: [number, number][];
  failures: number;
  firstFailure: string | null;
  elapsedMs: number;
  /** Sends that left later than scheduled by more than 10 ms (the ingest client itself lagging). */
  lateSends: number;
}

type SubscriberMessage =
  | { type: 'connect'; url: string; count: number; query: string }
  | { type: 'start' }
  | { type: 'received' }
  | { type: 'stop'; acks: [number, number][] }
  | { type: 'exit' };

type IngestMessage =
  { type: 'ingest'; url: string; rate: number; durationMs: number; firstSeq: number } | { type: 'exit' };

// ---------------------------------------------------------------- subscriber process

const NEXT_TAG = Buffer.from('"type":"next"');
const SEQ_TAG = Buffer.from('"seq":');

function subscriberProcess(): void {
  const sockets: WebSocket[] = [];
  let seqs: number[] = [];
  let times: number[] = [];
  let errors = 0;
  let recording = false;
  let cpuStart = process.cpuUsage();
  let wallStart = now();

  // Reads only what it records: a `next` frame's `seq` is found in the raw bytes (the server
  // writes `{"id":"1","type":"next","payload":...` and the event's data as `{"seq":<n>,...`), so
  // the client spends no JSON.parse per delivery and stays cheaper than the server it measures.
  const onMessage = (data: WebSocket.RawData) => {
    const bytes = data as Buffer;
    const tag = bytes.indexOf(NEXT_TAG);
    if (tag >= 0 && tag < 48) {
      const at = bytes.indexOf(SEQ_TAG);
      if (recording && at >= 0) {
        let seq = 0;
        for (let i = at + SEQ_TAG.length; i < bytes.length; i++) {
          const digit = bytes[i]! - 48;
          if (digit < 0 || digit > 9) break;
          seq = seq * 10 + digit;
        }
        seqs.push(seq);
        times.push(now());
      }
      return;
    }
    const message = JSON.parse(String(data)) as { type: string };
    if (message.type === 'error' || message.type === 'complete') errors += 1;
  };

  const connectOne = (url: string, query: string) =>
    new Promise<void>((resolve, reject) => {
      const socket = new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate: false });
      sockets.push(socket);
      socket.once('error', reject);
      socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
      const onAck = (data: WebSocket.RawData) => {
        if (!String(data).includes('"connection_ack"')) return;
        socket.off('message', onAck);
        socket.on('message', onMessage);
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
        resolve();
      };
      socket.on('message', onAck);
    });

  process.on('message', (message: SubscriberMessage) => {
    switch (message.type) {
      case 'connect':
        void (async () => {
          // In waves, so the server's accept queue is not flooded.
          for (let i = 0; i < message.count; i += 100) {
            await Promise.all(
              Array.from({ length: Math.min(100, message.count - i) }, () => connectOne(message.url, message.query)),
            );
          }
          process.send!({ type: 'connected', count: sockets.length });
        })().catch((error: unknown) => {
          console.error(error);
          process.exit(1);
        });
        return;
      case 'start':
        seqs = [];
        times = [];
        errors = 0;
        recording = true;
        cpuStart = process.cpuUsage();
        wallStart = now();
        process.send!({ type: 'started' });
        return;
      case 'received':
        process.send!({ type: 'received', count: seqs.length });
        return;
      case 'stop': {
        recording = false;
        const cpu = process.cpuUsage(cpuStart);
        const wall = now() - wallStart;
        process.send!({
          type: 'summary',
          summary: summarizeDeliveries(
            message.acks,
            seqs,
            times,
            sockets.length,
            errors,
            (cpu.user + cpu.system) / 1000 / wall,
          ),
        });
        return;
      }
      case 'exit':
        for (const socket of sockets) socket.terminate();
        process.disconnect();
        return;
    }
  });
}

function summarizeDeliveries(
  acks: [number, number][],
  seqs: number[],
  times: number[],
  subscribers: number,
  errors: number,
  cpuUtilization: number,
): DeliverySummary {
  const ackOf = new Map(acks);
  const ordered = [...acks].sort((a, b) => a[0] - b[0]);
  const firstSeq = ordered[0]?.[0] ?? 0;
  const lastSeq = ordered.at(-1)?.[0] ?? 0;
  const span = Math.max(1, lastSeq - firstSeq);
  const latencies: number[] = [];
  const first: number[] = [];
  const last: number[] = [];
  let lastDelivery = 0;
  let max = Number.NaN;
  for (let i = 0; i < seqs.length; i++) {
    const ack = ackOf.get(seqs[i]!);
    if (ack === undefined) continue;
    const latency = times[i]! - ack;
    latencies.push(latency);
    if (!(latency <= max)) max = latency;
    const position = (seqs[i]! - firstSeq) / span;
    if (position <= 0.25) first.push(latency);
    else if (position >= 0.75) last.push(latency);
    if (times[i]! > lastDelivery) lastDelivery = times[i]!;
  }
  const lastAck = acks.reduce((m, a) => (a[1] > m ? a[1] : m), 0);
  return {
    deliveries: latencies.length,
    expected: acks.length * subscribers,
    errors,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    maxMs: max,
    firstQuarterP50Ms: quantile(first, 0.5),
    lastQuarterP50Ms: quantile(last, 0.5),
    drainMs: lastDelivery - lastAck,
    cpuUtilization,
  };
}

// ---------------------------------------------------------------- ingest process

const MUTATION = 'mutation Log($event: EventInput!) { logEvent(event: $event) { id } }';
const NODE_IDS = [
  '01JGZ8Q5T30000000000000N01',
  '01JGZ8Q5T30000000000000N02',
  '01JGZ8Q5T30000000000000N03',
  '01JGZ8Q5T30000000000000N04',
];

async function ingest(spec: Extract<IngestMessage, { type: 'ingest' }>): Promise<IngestResult> {
  const base = new URL(spec.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const acks: [number, number][] = [];
  let failures = 0;
  let firstFailure: string | null = null;
  let lateSends = 0;
  const total = Math.max(1, Math.round((spec.rate * spec.durationMs) / 1000));
  const intervalMs = 1000 / spec.rate;
  const started = now();
  const pending: Promise<void>[] = [];
  const send = (seq: number) =>
    new Promise<void>((resolve) => {
      const body = JSON.stringify({
        query: MUTATION,
        variables: {
          event: {
            eventType: 'NODE_STATUS_UPDATE',
            logLevel: 'INFO',
            source: { nodeId: NODE_IDS[seq % NODE_IDS.length] },
            eventData: { seq, message: `status ${seq}` },
          },
        },
      });
      const req = http.request(
        {
          host: base.hostname,
          port: base.port,
          method: 'POST',
          path: '/graphql',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const ackAt = now();
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode === 200 && !text.includes('"errors"')) acks.push([seq, ackAt]);
            else {
              failures += 1;
              firstFailure ??= `HTTP ${res.statusCode}: ${text.slice(0, 300)}`;
            }
            resolve();
          });
        },
      );
      req.on('error', (error) => {
        failures += 1;
        firstFailure ??= String(error);
        resolve();
      });
      req.end(body);
    });
  for (let i = 0; i < total; i++) {
    const due = started + i * intervalMs;
    const wait = due - now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    else if (wait < -10) lateSends += 1;
    pending.push(send(spec.firstSeq + i));
  }
  await Promise.all(pending);
  agent.destroy();
  return { acks, failures, firstFailure, elapsedMs: now() - started, lateSends };
}

function ingestProcess(): void {
  process.on('message', (message: IngestMessage) => {
    if (message.type === 'exit') {
      process.disconnect();
      return;
    }
    ingest(message).then(
      (result) => process.send!(result),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}

// ---------------------------------------------------------------- parent side

function forkRole(role: string): {
  child: ChildProcess;
  request<T>(message: unknown, replyType?: string): Promise<T>;
  close(): Promise<void>;
} {
  const child = fork(__filename, [role], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  return {
    child,
    request: <T>(message: unknown, replyType?: string) =>
      new Promise<T>((resolve, reject) => {
        const onExit = (code: number | null) => reject(new Error(`${role} exited with ${code}`));
        const onMessage = (reply: { type?: string }) => {
          if (replyType !== undefined && reply.type !== replyType) return;
          child.off('message', onMessage);
          child.off('exit', onExit);
          resolve(reply as T);
        };
        child.once('exit', onExit);
        child.on('message', onMessage);
        child.send(message as object);
      }),
    close: async () => {
      if (!exited) child.send({ type: 'exit' });
      await Promise.race([exitedPromise, new Promise((r) => setTimeout(r, 5000))]);
      if (!exited) child.kill('SIGKILL');
    },
  };
}

/** The subscriber process, driven from the benchmark. */
export interface SubscriberFleet {
  connect(url: string, count: number, query: string): Promise<number>;
  start(): Promise<void>;
  received(): Promise<number>;
  stop(acks: [number, number][]): Promise<DeliverySummary>;
  close(): Promise<void>;
}

export function startSubscriberFleet(): SubscriberFleet {
  const role = forkRole('--fanout-subscribers');
  return {
    connect: async (url, count, query) =>
      (await role.request<{ count: number }>({ type: 'connect', url, count, query }, 'connected')).count,
    start: async () => {
      await role.request({ type: 'start' }, 'started');
    },
    received: async () => (await role.request<{ count: number }>({ type: 'received' }, 'received')).count,
    stop: async (acks) => (await role.request<{ summary: DeliverySummary }>({ type: 'stop', acks }, 'summary')).summary,
    close: () => role.close(),
  };
}

/** The ingest process, driven from the benchmark. */
export interface IngestClient {
  run(url: string, rate: number, durationMs: number, firstSeq: number): Promise<IngestResult>;
  close(): Promise<void>;
}

export function startIngestClient(): IngestClient {
  const role = forkRole('--fanout-ingest');
  return {
    run: (url, rate, durationMs, firstSeq) =>
      role.request<IngestResult>({ type: 'ingest', url, rate, durationMs, firstSeq }),
    close: () => role.close(),
  };
}

if (require.main === module) {
  if (process.argv.includes('--fanout-subscribers')) subscriberProcess();
  else if (process.argv.includes('--fanout-ingest')) ingestProcess();
}
