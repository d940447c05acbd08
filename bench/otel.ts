/**
 * OpenTelemetry (docs/opentelemetry.md), two figures:
 *
 * 1. OTLP logs in: records/s through `POST /v1/logs` (OTLP/HTTP protobuf, batches of 1000, one in
 *    flight) into SQLite, against events/s through the `logEvents` mutation over HTTP of the same
 *    workload, in the same run (each path on its own server and fresh store, batches interleaved).
 * 2. Tracing's cost: the `ingest` and `page` benchmarks run twice in child processes, with tracing
 *    off (nothing set) and on (OTLP/HTTP to a sink in this process, sampler always_on = 1.0), and
 *    their figures compared (`<name>.tracing-off.json`, `<name>.tracing-on.json`; `BENCH_OTEL_ROUNDS`
 *    rounds, alternating which goes first, medians).
 *    `BENCH_OTEL_SKIP_TRACED=1` skips this part.
 *
 * Target: OTLP records/s >= 0.5 x logEvents events/s (the mapping must not cost more than
 * GraphQL does).
 */
import './support/production-env';
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { OtlpMessages } from '../src/app/otlp/otlp-proto';
import type { ServerHandle } from '../src/app/server';
import type { EventInput } from '../src/events/event.types';
import {
  checkQuiet,
  printTable,
  printTargets,
  progress,
  QUICK,
  RESULTS_DIR,
  round,
  sized,
  summarize,
  target,
  type Target,
  writeResult,
} from './support/harness';
import { freshStore, startServerAt, type StoreLocation } from './support/stores';
import { EventGenerator, toGraphQLInput } from './support/workload';

const BATCH = 1000;
const MUTATION =
  'mutation Ingest($events: [EventInput!]!) { logEvents(events: $events) { insertedCount duplicateCount } }';
/** OTLP severity numbers of MADSci's levels (the lowest of each range). */
const SEVERITY: Readonly<Record<number, number>> = { 0: 0, 10: 5, 20: 9, 30: 13, 40: 17, 50: 21 };

type AnyValue = Record<string, unknown>;
const anyValue = (value: unknown): AnyValue => {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: value } : { doubleValue: value };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValue) } };
  if (value && typeof value === 'object') {
    return { kvlistValue: { values: Object.entries(value).map(([key, v]) => ({ key, value: anyValue(v) })) } };
  }
  return {};
};

/** The workload's events as one OTLP export: one resource per node, its records as LogRecords. */
function otlpBody(inputs: readonly EventInput[]): Buffer {
  const byNode = new Map<string, Record<string, unknown>[]>();
  for (const input of inputs) {
    const node = input.source?.nodeId ?? '';
    const { message, ...rest } = (input.eventData ?? {}) as Record<string, unknown>;
    const records = byNode.get(node) ?? [];
    records.push({
      timeUnixNano: String(BigInt(input.eventTimestamp!.getTime()) * 1_000_000n),
      severityNumber: SEVERITY[input.logLevel ?? 20],
      body: anyValue(message ?? ''),
      attributes: [
        ...Object.entries(rest).map(([key, value]) => ({ key, value: anyValue(value) })),
        { key: 'madsci.event_type', value: { stringValue: input.eventType } },
      ],
    });
    byNode.set(node, records);
  }
  const message = OtlpMessages.ExportLogsServiceRequest.fromObject({
    resourceLogs: [...byNode].map(([node, logRecords]) => ({
      resource: { attributes: node ? [{ key: 'madsci.node_id', value: { stringValue: node } }] : [] },
      scopeLogs: [{ scope: { name: 'bench' }, logRecords }],
    })),
  });
  return Buffer.from(OtlpMessages.ExportLogsServiceRequest.encode(message).finish());
}

async function post(url: string, type: string, body: string | Buffer): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
  return { status: response.status, text: type === 'application/json' ? await response.text() : '' };
}

/** Part 1: OTLP records/s against logEvents events/s, interleaved, each on its own server and store. */
async function ingestComparison(): Promise<{ figures: Record<string, unknown>; ratio: number }> {
  const total = sized(20_000, 2000);
  const locations: StoreLocation[] = [freshStore('sqlite', 'otel-otlp'), freshStore('sqlite', 'otel-graphql')];
  const servers: ServerHandle[] = [];
  try {
    for (const location of locations) servers.push(await startServerAt(location));
    const [otlpServer, graphqlServer] = servers as [ServerHandle, ServerHandle];
    // Each path gets the same events, under different ids (the mapping makes its own).
    const generator = new EventGenerator(total + 2 * BATCH);
    const batches: { otlp: Buffer; graphql: string }[] = [];
    for (let start = 0; start < total + 2 * BATCH; start += BATCH) {
      const inputs = generator.inputs(start, start + BATCH);
      batches.push({
        otlp: otlpBody(inputs),
        graphql: JSON.stringify({ query: MUTATION, variables: { events: inputs.map((i) => toGraphQLInput(i)) } }),
      });
    }
    const times = { otlp: [] as number[], graphql: [] as number[] };
    for (const [n, batch] of batches.entries()) {
      const order = n % 2 === 0 ? (['otlp', 'graphql'] as const) : (['graphql', 'otlp'] as const);
      for (const which of order) {
        const started = performance.now();
        const answer =
          which === 'otlp'
            ? await post(`${otlpServer.url}/v1/logs`, 'application/x-protobuf', batch.otlp)
            : await post(`${graphqlServer.url}/graphql`, 'application/json', batch.graphql);
        const ms = performance.now() - started;
        if (answer.status !== 200) throw new Error(`${which} batch failed with ${answer.status}: ${answer.text}`);
        // The first two batches warm up.
        if (n >= 2) times[which].push(ms);
      }
      if (n % 5 === 0) progress(`batch ${n + 1} of ${batches.length}`);
    }
    const stored = await otlpServer.services.store.count({});
    if (stored !== total + 2 * BATCH) throw new Error(`OTLP stored ${stored} of ${total + 2 * BATCH}`);
    const rate = (samples: number[]) => (samples.length * BATCH) / (samples.reduce((a, b) => a + b, 0) / 1000);
    const figures = {
      events: total,
      batchSize: BATCH,
      otlpRecordsPerSecond: round(rate(times.otlp)),
      logEventsPerSecond: round(rate(times.graphql)),
      otlpBatchMs: summarize(times.otlp),
      logEventsBatchMs: summarize(times.graphql),
      otlpBytesPerBatch: batches[2]!.otlp.length,
      graphqlBytesPerBatch: batches[2]!.graphql.length,
    };
    printTable(
      'OTLP logs in vs logEvents (SQLite, batches of 1000, over HTTP)',
      ['path', 'events/s', 'median batch ms', 'p95 batch ms', 'bytes/batch'],
      [
        [
          'POST /v1/logs (protobuf)',
          figures.otlpRecordsPerSecond,
          figures.otlpBatchMs.median,
          figures.otlpBatchMs.p95,
          figures.otlpBytesPerBatch,
        ],
        [
          'logEvents (GraphQL)',
          figures.logEventsPerSecond,
          figures.logEventsBatchMs.median,
          figures.logEventsBatchMs.p95,
          figures.graphqlBytesPerBatch,
        ],
      ],
    );
    return { figures, ratio: figures.otlpRecordsPerSecond / figures.logEventsPerSecond };
  } finally {
    for (const server of servers) await server.stop();
    for (const location of locations) await location.remove();
  }
}

/** An OTLP/HTTP trace sink: answers every export with success, counts the bytes. */
async function traceSink(): Promise<{ url: string; bytes: () => number; close: () => Promise<void> }> {
  let bytes = 0;
  const server = http.createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bytes: () => bytes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Runs `ingest` and `page` in a child process with this environment and tag. */
function runTagged(tag: string, env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'support', 'traced-run.ts'), 'ingest', 'page'],
      { env: { ...process.env, BENCH_RESULT_TAG: tag, ...env }, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${tag} run exited with ${code}`))));
  });
}

const resultOf = (name: string, tag: string) =>
  JSON.parse(fs.readFileSync(path.join(RESULTS_DIR, `${name}.${tag}${QUICK ? '.quick' : ''}.json`), 'utf8')) as {
    ratios: Record<string, number>;
    figures: unknown;
  };

/** Part 2: ingest and page with tracing off and on. */
type IngestFigure = { store: string; paths: Record<string, { eventsPerSecond: number }> };
type PageFigure = { case: string; large: { medianMs: number } };

/** The compared figures of one run: name -> value. */
function figuresOf(tag: string): Map<string, number> {
  const figures = new Map<string, number>();
  const ingest = resultOf('ingest', tag);
  for (const figure of ingest.figures as IngestFigure[]) {
    for (const pathName of ['graphql', 'raw'] as const) {
      figures.set(`ingest ${figure.store} ${pathName}, events/s`, figure.paths[pathName]!.eventsPerSecond);
    }
  }
  for (const [key, value] of Object.entries(ingest.ratios)) figures.set(`ingest ${key} (ratio)`, value);
  for (const figure of resultOf('page', tag).figures as PageFigure[]) {
    figures.set(`page ${figure.case}, median ms at the large size`, figure.large.medianMs);
  }
  return figures;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Part 2: ingest and page with tracing off and on, in `BENCH_OTEL_ROUNDS` rounds (default 1),
 * alternating which goes first, so a machine whose load drifts skews both alike; medians over rounds.
 */
async function tracingCost(): Promise<Record<string, unknown>> {
  const rounds = Math.max(1, Number(process.env.BENCH_OTEL_ROUNDS ?? 1));
  const sink = await traceSink();
  const runs = { off: [] as Map<string, number>[], on: [] as Map<string, number>[] };
  const onEnv = {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
    OTEL_TRACES_SAMPLER: 'always_on',
  };
  try {
    for (let round = 0; round < rounds; round++) {
      for (const mode of round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
        progress(`round ${round + 1} of ${rounds}: ingest and page with tracing ${mode}`);
        await runTagged(`tracing-${mode}`, mode === 'on' ? onEnv : {});
        runs[mode].push(figuresOf(`tracing-${mode}`));
      }
    }
  } finally {
    await sink.close();
  }
  const rows = [...runs.off[0]!.keys()].map((name) => {
    const off = median(runs.off.map((run) => run.get(name)!));
    const on = median(runs.on.map((run) => run.get(name)!));
    return [name, off, on, on / off] as [string, number, number, number];
  });
  printTable(`Tracing off vs on (sampler 1.0), medians of ${rounds} round(s)`, ['figure', 'off', 'on', 'on/off'], rows);
  return {
    rounds,
    traceBytesExported: sink.bytes(),
    rows: rows.map(([figure, off, on, onToOff]) => ({ figure, off, on, onToOff: round(onToOff) })),
  };
}

export async function runOtel(): Promise<Target[]> {
  const startedAt = new Date();
  const atStart = await checkQuiet('before');
  const ingest = await ingestComparison();
  const tracing = process.env.BENCH_OTEL_SKIP_TRACED ? null : await tracingCost();
  const atEnd = await checkQuiet('after');
  const targets = [
    target('otlpToLogEvents', 'OTLP records/s over logEvents events/s (SQLite)', ingest.ratio, '>=', 0.5),
  ];
  printTargets(targets);
  writeResult('otel', startedAt, {
    otherProcessesBusyCores: { atStart, atEnd },
    parameters: { batchSize: BATCH, store: 'sqlite', sampler: 'always_on' },
    figures: { ingest: ingest.figures, tracing },
    ratios: { otlpToLogEvents: round(ingest.ratio) },
    targets,
  });
  return targets;
}
