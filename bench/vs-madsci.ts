/**
 * Side by side with MADSci: MADSci's own Event Manager (PyPI `madsci.event_manager` 0.8.1, in a
 * cached venv, started with `python -m madsci.event_manager.event_server`) and this server on
 * MongoDB and on SQLite, all three holding the same 50 000 events of the simulated lab
 * (`support/lab-workload.ts`), MADSci and our MongoDB store in separate databases of one FerretDB
 * (or `MONGODB_URI`). One load client (a child process) drives every side, in interleaved rounds
 * (the order rotates each round); medians over rounds and ratios against MADSci. The same MongoDB
 * reads are also timed straight against MADSci's database with the Node driver, to tell which
 * part of a figure is the database's. Ours only: `logEvents` batches of 1000 on both stores.
 *
 * Targets (issue 14): `POST /event` at concurrency 8, ours on FerretDB >= 3x MADSci and ours on
 * SQLite >= 10x; `GET /event/{id}` ours on FerretDB never slower than MADSci; each utilization
 * report faster than MADSci's on both stores.
 */
import './support/production-env';
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { MongoClient, type Collection, type Document } from 'mongodb';
import type { ServerHandle } from '../src/app/server';
import { toMadsciEvent } from '../src/app/rest/wire';
import type { EventDocument } from '../src/store/event-document';
import { freePort } from '../test/support/ferretdb';
import { ensureVenv, findPython } from '../test/support/python';
import {
  checkQuiet,
  printTable,
  printTargets,
  progress,
  QUICK,
  round,
  sized,
  summarize,
  target,
  tempDir,
  writeResult,
  type Target,
} from './support/harness';
import { LabGenerator } from './support/lab-workload';
import { startLoadClient, type LoadClient, type LoadRequest } from './support/load-client';
import { freshStore, mongoServer, startBenchServer, type StoreLocation } from './support/stores';
import { EventGenerator, toDocument, toGraphQLInput } from './support/workload';

const MADSCI_VERSION = '0.8.1';
const REQUIREMENTS = path.join(__dirname, 'python', 'requirements-madsci-server.txt');
const LOG_EVENTS =
  'mutation Ingest($events: [EventInput!]!) { logEvents(events: $events) { insertedCount duplicateCount } }';
const DAY = 86_400_000;

/** One server under test. */
interface Side {
  name: string;
  url: string;
  ours: boolean;
  /** MADSci's process (ours run in this process), for its CPU time. */
  pid?: number;
}

/** CPU ms per request of one run: the server's, and FerretDB's (NaN where it cannot be read). */
interface CpuPerRequest {
  server: number;
  ferretDb: number;
}

/**
 * CPU time (user + system, ms) a process has used so far, from `/proc/<pid>/stat` (Linux); NaN
 * elsewhere or when it is gone. Less sensitive to other load on the machine than wall time.
 */
function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ
  } catch {
    return NaN;
  }
}

/** The pid of the FerretDB this run started (found by its listen address), or undefined. */
function ferretDbPid(uri: string): number | undefined {
  const port = /:(\d+)\/?$/.exec(uri)?.[1];
  if (!port || !fs.existsSync('/proc')) return undefined;
  for (const entry of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(`-listen-addr=127.0.0.1:${port}`))
        return Number(entry);
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined;
}

/** An operation: the requests one run sends, and how a run is measured. */
interface Operation {
  name: string;
  /** Throughput (requests/s at `concurrency`) or latency (median ms, one request at a time). */
  kind: 'throughput' | 'latency';
  concurrency: number;
  requests: (side: Side) => LoadRequest[];
  /** Requests per run: a fixed count (throughput), or the most a latency run sends. */
  total: number;
  /** A response must contain this text. */
  mustContain?: string;
  mustNotContain?: string;
  oursOnly?: boolean;
  /**
   * A slow request (the reports: MADSci's take minutes on FerretDB): no warm-up, one request per
   * run, sent by this process with a timeout ({@link REPORT_TIMEOUT_MS}); fewer rounds.
   */
  slow?: boolean;
  /** Events per request, to report events/s. */
  eventsPerRequest?: number;
}

/** A latency run stops after about this long (at least one request). */
const LATENCY_BUDGET_MS = QUICK ? 2_000 : 6_000;
/** A report request still running after this long counts as this long (a lower bound, marked `>`). */
const REPORT_TIMEOUT_MS = Number(process.env.BENCH_REPORT_TIMEOUT_S ?? (QUICK ? 30 : 900)) * 1000;
/** How much longer a late report of ours is awaited (and counted) after the timeout. */
const LATE_WAIT_MS = QUICK ? 60_000 : 300_000;

/**
 * `BENCH_ONLY=<text>[|<text>...]`: only the operations whose name contains one of the texts
 * (e.g. `BENCH_ONLY='GET /event/|POST /event, concurrency'`; names hold commas, hence `|`);
 * targets of the operations left out are not reported.
 */
const ONLY = (process.env.BENCH_ONLY ?? '')
  .split('|')
  .map((part) => part.trim())
  .filter((part) => part !== '');

/** MADSci's timestamp strings (naive UTC, as it stores them), for selectors and report windows. */
const madsciTime = (ms: number) => new Date(ms).toISOString().slice(0, 19);

export async function runVsMadsci(): Promise<Target[]> {
  const startedAt = new Date();
  const python = findPython();
  if (!python) {
    console.log('SKIPPED: vs-madsci needs Python 3.10+ on PATH (python3 or python) to run MADSci.');
    return [];
  }
  const total = sized(50_000, 5_000);
  const days = QUICK ? 2 : 20;
  const rounds = QUICK ? 2 : 3;
  const reportRounds = QUICK ? 1 : 2;
  const busyAtStart = await checkQuiet('before the run');

  const venvPython = await ensureVenv(python, `madsci-server-${MADSCI_VERSION}`, REQUIREMENTS, progress);
  const mongo = await mongoServer();
  const cleanups: (() => Promise<unknown>)[] = [async () => mongo.stop()];
  const client = startLoadClient();
  cleanups.unshift(() => client.close());
  try {
    progress(`generating ${total} events of the simulated lab over ${days} days`);
    const docs: EventDocument[] = [];
    for (const day of new LabGenerator({ total, days }).days()) docs.push(...day);

    // MADSci first: it initialises its schema only on an empty database.
    const madsciDb = `bench_madsci_${process.pid}`;
    let madsci = await startMadsci(venvPython, mongo.uri, madsciDb);
    cleanups.unshift(async () => {
      await madsci.stop();
      const admin = new MongoClient(mongo.uri);
      await admin.db(madsciDb).dropDatabase();
      await admin.close();
    });
    const driver = new MongoClient(mongo.uri);
    cleanups.unshift(() => driver.close());
    const madsciEvents = driver.db(madsciDb).collection<Document>('events');
    const seconds = await timed(async () => {
      for (let i = 0; i < docs.length; i += 5000)
        await madsciEvents.insertMany(docs.slice(i, i + 5000).map((doc) => toMadsciEvent(doc) as Document));
    });
    progress(`MADSci seeded (driver insertMany of MADSci's documents): ${round(seconds)} s`);

    const ours = async (kind: 'sqlite' | 'mongodb'): Promise<{ server: ServerHandle; location: StoreLocation }> => {
      const location = freshStore(kind, `vs-madsci-${kind}`, mongo);
      const store = location.open();
      await store.init();
      const took = await timed(async () => {
        for (let i = 0; i < docs.length; i += 5000) await store.insertMany(docs.slice(i, i + 5000));
      });
      progress(`ours (${kind}) seeded (store.insertMany): ${round(took)} s`);
      const server = await startBenchServer(location.config, store);
      cleanups.unshift(async () => {
        await server.stop();
        await location.remove();
      });
      return { server, location };
    };
    const oursMongo = await ours('mongodb');
    const oursSqlite = await ours('sqlite');
    const sides: Side[] = [
      { name: 'MADSci (FerretDB)', url: madsci.url, ours: false, pid: madsci.pid },
      { name: 'ours (FerretDB)', url: oursMongo.server.url, ours: true },
      { name: 'ours (SQLite)', url: oursSqlite.server.url, ours: true },
    ];

    // The same requests on every side: ids, a day of the lab, a type + time range selector.
    const ids = sample(
      docs.map((d) => d._id),
      200,
    );
    const reportDay = Date.UTC(2025, 0, 1) + Math.floor(days / 2) * DAY;
    const window = `start_time=${madsciTime(reportDay)}Z&end_time=${madsciTime(reportDay + DAY)}Z`;
    const selector = {
      event_type: 'workflow_complete',
      event_timestamp: { $gte: madsciTime(reportDay), $lt: madsciTime(reportDay + DAY) },
    };
    const postBodies = new EventGenerator(200, 77).inputs(0, 200).map((input) => {
      // No id: each POST stores a new event.
      const { _id: _, ...event } = toMadsciEvent(toDocument(input, new Date()));
      return JSON.stringify(event);
    });
    const batches = Array.from({ length: 4 }, (_, b) =>
      JSON.stringify({
        query: LOG_EVENTS,
        variables: {
          // No ids: the batches are sent again and again, and each must store 1000 new events.
          events: new EventGenerator(4000, 90 + b)
            .inputs(b * 1000, (b + 1) * 1000)
            .map((input) => ({ ...toGraphQLInput(input), id: undefined })),
        },
      }),
    );

    await checkAnswersAgree(sides, ids[0]!, selector);

    const allOperations: Operation[] = [
      {
        name: 'GET /event/{id}',
        kind: 'latency',
        concurrency: 1,
        total: sized(200, 40),
        requests: () => ids.map((id) => ({ method: 'GET', path: `/event/${id}` })),
        mustContain: '"_id"',
      },
      {
        name: 'GET /events?number=100',
        kind: 'latency',
        concurrency: 1,
        total: sized(50, 10),
        requests: () => [{ method: 'GET', path: '/events?number=100' }],
        mustContain: '"_id"',
      },
      {
        name: 'POST /events/query (type + day)',
        kind: 'latency',
        concurrency: 1,
        total: sized(50, 10),
        requests: () => [{ method: 'POST', path: '/events/query', body: JSON.stringify(selector) }],
        mustContain: '"_id"',
      },
      ...(
        [
          ['sessions', `/utilization/sessions?${window}`],
          ['user', `/utilization/user?${window}`],
          ['periods (daily)', `/utilization/periods?${window}&analysis_type=daily&user_timezone=UTC`],
        ] as const
      ).map(([report, url]): Operation => ({
        name: `GET /utilization/${report}, one day`,
        kind: 'latency',
        concurrency: 1,
        total: 1,
        slow: true,
        requests: () => [{ method: 'GET', path: url }],
        // The three reports answer failures with HTTP 200 and an "error" key.
        mustNotContain: '"error"',
      })),
      {
        name: 'POST /event, concurrency 1',
        kind: 'throughput',
        concurrency: 1,
        total: sized(400, 80),
        requests: () => postBodies.map((body) => ({ method: 'POST', path: '/event', body })),
        mustContain: '"_id"',
      },
      {
        name: 'POST /event, concurrency 8',
        kind: 'throughput',
        concurrency: 8,
        total: sized(2000, 200),
        requests: () => postBodies.map((body) => ({ method: 'POST', path: '/event', body })),
        mustContain: '"_id"',
      },
      {
        name: 'logEvents, 1000 per batch',
        kind: 'throughput',
        concurrency: 1,
        total: sized(12, 4),
        eventsPerRequest: 1000,
        oursOnly: true,
        requests: () => batches.map((body) => ({ method: 'POST', path: '/graphql', body })),
        mustContain: '"insertedCount":1000',
        mustNotContain: '"errors"',
      },
    ];
    const operations = allOperations.filter((op) => ONLY.length === 0 || ONLY.some((part) => op.name.includes(part)));
    if (operations.length === 0) throw new Error(`BENCH_ONLY=${ONLY.join('|')} names no operation`);

    // Warm-up: every operation once per side (connections, JIT, FerretDB's and SQLite's caches).
    progress('warm-up');
    for (const op of operations)
      for (const side of sides) if ((side.ours || !op.oursOnly) && !op.slow) await runOnce(client, side, op, 1);

    const samples = new Map<string, number[]>(); // `${op}|${side}` -> per-round figures
    const cpuSamples = new Map<string, CpuPerRequest[]>(); // `${op}|${side}` -> per-round CPU ms per request
    const ferretPid = ferretDbPid(mongo.uri);
    const timedOut = new Set<string>();
    for (let r = 0; r < rounds; r++) {
      for (const op of operations) {
        if (op.slow && r >= reportRounds) continue;
        const order = sides.filter((s) => s.ours || !op.oursOnly);
        for (let k = 0; k < order.length; k++) {
          const side = order[(k + r) % order.length]!;
          progress(`round ${r + 1}/${rounds}: ${op.name} on ${side.name}`);
          const key = `${op.name}|${side.name}`;
          let figure: number;
          if (op.slow) figure = await measureSlow(side, op, () => timedOut.add(key));
          else {
            const measured = await measure(client, side, op, ferretPid);
            figure = measured.figure;
            cpuSamples.set(key, [...(cpuSamples.get(key) ?? []), measured.cpu]);
          }
          if (timedOut.has(key) && !side.ours) {
            // MADSci goes on with an abandoned report (and FerretDB with its reads): start it afresh.
            await madsci.stop();
            madsci = await startMadsci(venvPython, mongo.uri, madsciDb);
            side.url = madsci.url;
            side.pid = madsci.pid;
          }
          samples.set(key, [...(samples.get(key) ?? []), figure]);
        }
      }
    }

    // The same reads straight against FerretDB, on MADSci's database (its documents, its indexes).
    progress("timing the same MongoDB operations with the Node driver on MADSci's database");
    const direct = await directTimings(madsciEvents, ids, selector, reportDay, postBodies);
    // The same `_id` lookups on our database (our documents are larger: `search_text`, `received_at`).
    const oursEvents = driver
      .db(oursMongo.location.config.mongo!.database)
      .collection<Document>(oursMongo.location.config.mongo!.collection);
    const oursById: number[] = [];
    for (const id of ids) {
      const started = performance.now();
      await oursEvents.findOne({ _id: id as never });
      oursById.push(performance.now() - started);
    }

    /** Per-round figures of an operation on a side, in its unit (events/s for batches, not batches/s). */
    const perRound = (op: Operation, side: string) =>
      (samples.get(`${op.name}|${side}`) ?? [NaN]).map((figure) => figure * (op.eventsPerRequest ?? 1));
    const median = (op: string, side: string) =>
      round(
        summarize(
          perRound(
            operations.find((o) => o.name === op)!,
            side,
          ),
        ).median,
      );
    /** A figure for the table: `>` marks a report that hit the timeout. */
    const shown = (op: string, side: string, value: number) => (timedOut.has(`${op}|${side}`) ? `>${value}` : value);
    const figures = operations.map((op) => ({
      operation: op.name,
      unit: op.kind === 'latency' ? 'ms (median)' : op.eventsPerRequest ? 'events/s' : 'requests/s',
      ...Object.fromEntries(sides.filter((s) => s.ours || !op.oursOnly).map((s) => [s.name, median(op.name, s.name)])),
      perRound: Object.fromEntries(
        sides.filter((s) => s.ours || !op.oursOnly).map((s) => [s.name, perRound(op, s.name)]),
      ),
      driverOnFerretDbMs: direct[op.name] ?? null,
      timedOut: sides.filter((s) => timedOut.has(`${op.name}|${s.name}`)).map((s) => s.name),
    }));
    /** How many times better ours is than MADSci (higher throughput, or lower latency). */
    const advantage = (op: Operation, side: string) => {
      const theirs = median(op.name, sides[0]!.name);
      const mine = median(op.name, side);
      return round(op.kind === 'throughput' ? mine / theirs : theirs / mine);
    };
    const ratios: Record<string, number> = {};
    for (const op of operations.filter((o) => !o.oursOnly))
      for (const side of sides.slice(1)) ratios[`${op.name} | ${side.name} vs MADSci`] = advantage(op, side.name);

    printTable(
      `MADSci ${MADSCI_VERSION} vs ours, ${total} events (${days} days of the simulated lab), ${rounds} interleaved rounds, ${mongo.label}`,
      ['operation', 'unit', ...sides.map((s) => s.name), 'FerretDB x ours', 'SQLite x ours', 'driver alone ms'],
      operations.map((op) => [
        op.name,
        op.kind === 'latency' ? 'ms' : op.eventsPerRequest ? 'events/s' : 'req/s',
        ...sides.map((s) => (s.ours || !op.oursOnly ? shown(op.name, s.name, median(op.name, s.name)) : '-')),
        ...sides.slice(1).map((side) => {
          if (op.oursOnly) return '-';
          // MADSci past the timeout: its true time is longer, the ratio a lower bound (ours past it: an upper one).
          const bound = timedOut.has(`${op.name}|${sides[0]!.name}`)
            ? '>='
            : timedOut.has(`${op.name}|${side.name}`)
              ? '<='
              : '';
          return `${bound}${advantage(op, side.name)}x`;
        }),
        direct[op.name] ?? '-',
      ]),
    );
    console.log(
      '(FerretDB x / SQLite x: how many times better ours is than MADSci: req/s ratio, or latency ratio; >= and <= where a report ran past the timeout)',
    );

    // CPU per request (median over rounds): the server's and FerretDB's, less sensitive to other load than wall time.
    const cpuMedian = (op: Operation, side: string, part: keyof CpuPerRequest) =>
      round(summarize((cpuSamples.get(`${op.name}|${side}`) ?? []).map((c) => c[part])).median);
    const cpuFigures = Object.fromEntries(
      operations
        .filter((op) => !op.slow)
        .map((op) => [
          op.name,
          Object.fromEntries(
            sides
              .filter((s) => s.ours || !op.oursOnly)
              .map((s) => [
                s.name,
                {
                  server: cpuMedian(op, s.name, 'server'),
                  ferretDb: cpuMedian(op, s.name, 'ferretDb'),
                  perRound: cpuSamples.get(`${op.name}|${s.name}`)?.map((c) => ({
                    server: round(c.server),
                    ferretDb: round(c.ferretDb),
                  })),
                },
              ]),
          ),
        ]),
    );
    const mongoSides = sides.slice(0, 2);
    printTable(
      'CPU ms per request, median over rounds (server process + FerretDB process); MADSci and ours on FerretDB',
      ['operation', ...mongoSides.flatMap((s) => [`${s.name} server`, `${s.name} FerretDB`]), 'total x ours'],
      operations
        .filter((op) => !op.slow && !op.oursOnly)
        .map((op) => {
          const total = (side: string) => cpuMedian(op, side, 'server') + cpuMedian(op, side, 'ferretDb');
          return [
            op.name,
            ...mongoSides.flatMap((s) => [cpuMedian(op, s.name, 'server'), cpuMedian(op, s.name, 'ferretDb')]),
            `${round(total(mongoSides[0]!.name) / total(mongoSides[1]!.name))}x`,
          ];
        }),
    );
    console.log(
      "(total x ours: MADSci's server + FerretDB CPU per request over ours; ours share this process with the bench)",
    );

    const c8 = operations.find((o) => o.name === 'POST /event, concurrency 8');
    const byId = operations.find((o) => o.name === 'GET /event/{id}');
    const targets: Target[] = [
      ...(c8
        ? [
            target(
              'vsMadsci.postEventC8.ferretdb',
              'POST /event at concurrency 8, ours on FerretDB >= 3x MADSci on the same FerretDB',
              advantage(c8, sides[1]!.name),
              '>=',
              3,
            ),
            target(
              'vsMadsci.postEventC8.sqlite',
              'POST /event at concurrency 8, ours on SQLite >= 10x MADSci on FerretDB',
              advantage(c8, sides[2]!.name),
              '>=',
              10,
            ),
          ]
        : []),
      ...(byId
        ? [
            target(
              'vsMadsci.getEventById.ferretdb',
              'GET /event/{id} on FerretDB: ours never slower than MADSci (MADSci ms / ours ms)',
              advantage(byId, sides[1]!.name),
              '>=',
              1,
            ),
          ]
        : []),
      ...operations
        .filter((op) => op.name.startsWith('GET /utilization'))
        .flatMap((op) =>
          sides
            .slice(1)
            .map((side) =>
              target(
                `vsMadsci.${op.name.split('/')[2]!.split(',')[0]!.replace(/\W+/g, '_')}.${side.ours && side.name.includes('SQLite') ? 'sqlite' : 'ferretdb'}`,
                `${op.name}: ours (${side.name}) faster than MADSci (MADSci ms / ours ms)`,
                advantage(op, side.name),
                '>=',
                1,
              ),
            ),
        ),
    ];
    printTargets(targets);
    const busyAtEnd = await checkQuiet('at the end of the run');
    writeResult('vs-madsci', startedAt, {
      otherProcessesBusyCores: { atStart: busyAtStart, atEnd: busyAtEnd },
      parameters: {
        events: total,
        days,
        rounds,
        reportRounds,
        reportTimeoutMs: REPORT_TIMEOUT_MS,
        latencyBudgetMs: LATENCY_BUDGET_MS,
        mongo: mongo.label,
        madsci: `madsci.event_manager ${MADSCI_VERSION} (uvicorn, one worker, rate limit off, registry off)`,
        ...(ONLY.length > 0 ? { only: ONLY } : {}),
        reportWindow: window,
        selector,
        python: python.version,
      },
      figures,
      ratios,
      targets,
      notes: [
        'Latency operations: one request at a time, up to `total` requests or the latency budget per run; the figure is the median of the round medians.',
        "driverOnFerretDbMs: the MongoDB operation(s) MADSci runs for the request, timed with the Node driver on its database (for reports: the window read; for POST /event at concurrency 8: wall ms per insertOne with 8 in flight, so 1000/x is FerretDB's own inserts/s).",
        'diagnostics.oursDriverFindOneByIdMs: the same findOne({_id}) per id on our database (larger documents: search_text, received_at).',
        "diagnostics.cpuMsPerRequest: per operation and side, CPU ms per request of the server process (ours: this process, which hosts both of our servers) and of FerretDB's process (/proc, Linux; NaN elsewhere or with MONGODB_URI), medians over rounds and per round.",
      ],
      diagnostics: {
        direct,
        oursDriverFindOneByIdMs: round(summarize(oursById).median),
        cpuMsPerRequest: cpuFigures,
      },
    });
    return targets;
  } finally {
    for (const cleanup of cleanups) await cleanup().catch((error: unknown) => console.error(error));
  }
}

async function timed(step: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await step();
  return (performance.now() - started) / 1000;
}

/** `n` items spread over the list (a fixed stride, so every side asks for the same ids). */
function sample<T>(items: readonly T[], n: number): T[] {
  const stride = Math.max(1, Math.floor(items.length / n));
  return Array.from({ length: Math.min(n, items.length) }, (_, i) => items[(i * stride + 7) % items.length]!);
}

/** One run of an operation on a side; throws on any failed request. */
async function runOnce(client: LoadClient, side: Side, op: Operation, total: number) {
  const result = await client.run({
    baseUrl: side.url,
    requests: op.requests(side),
    concurrency: op.concurrency,
    total,
    ...(op.mustContain ? { mustContain: op.mustContain } : {}),
    ...(op.mustNotContain ? { mustNotContain: op.mustNotContain } : {}),
  });
  if (result.failed > 0)
    throw new Error(`${op.name} on ${side.name}: ${result.failed} failed; first: ${result.firstFailure}`);
  return result;
}

/** A run's figure: requests/s, or the median latency of as many requests as fit the budget. */
async function measure(
  client: LoadClient,
  side: Side,
  op: Operation,
  ferretPid: number | undefined,
): Promise<{ figure: number; cpu: CpuPerRequest }> {
  const serverCpu = () =>
    side.ours ? process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000 : processCpuMs(side.pid);
  const [server0, ferret0] = [serverCpu(), processCpuMs(ferretPid)];
  const cpu = (requests: number): CpuPerRequest => ({
    server: (serverCpu() - server0) / requests,
    ferretDb: (processCpuMs(ferretPid) - ferret0) / requests,
  });
  if (op.kind === 'throughput') {
    const result = await runOnce(client, side, op, op.total);
    return { figure: (result.completed / result.elapsedMs) * 1000, cpu: cpu(result.completed) };
  }
  const probe = await runOnce(client, side, op, 1);
  const n = Math.max(1, Math.min(op.total, Math.floor(LATENCY_BUDGET_MS / Math.max(probe.elapsedMs, 0.1))));
  const result = n > 1 ? await runOnce(client, side, op, n) : probe;
  return { figure: summarize(result.latenciesMs).median, cpu: cpu(n > 1 ? 1 + result.completed : 1) };
}

/**
 * One slow request sent from this process; its ms, or the timeout when it ran out. A late request
 * of ours is awaited ({@link LATE_WAIT_MS} more) and counts with its real time, so it never loads
 * FerretDB during the next measurement; MADSci, which goes on with an abandoned request, is
 * restarted instead (see the caller).
 */
async function measureSlow(side: Side, op: Operation, onTimeout: () => void): Promise<number> {
  const [request] = op.requests(side);
  const started = performance.now();
  // node:http rather than fetch: undici gives up on response headers after 300 s.
  let request_: http.ClientRequest | undefined;
  const answer = new Promise<number>((resolve, reject) => {
    request_ = http.request(`${side.url}${request!.path}`, { method: request!.method }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('error', reject);
      response.on('end', () => {
        if (response.statusCode !== 200 || (op.mustNotContain && body.includes(op.mustNotContain)))
          reject(new Error(`${op.name} on ${side.name}: HTTP ${response.statusCode} ${body.slice(0, 300)}`));
        else resolve(performance.now() - started);
      });
    });
    request_.on('error', reject);
    request_.end();
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), REPORT_TIMEOUT_MS)));
  const ms = await Promise.race([answer, timeout]);
  clearTimeout(timer);
  if (ms !== null) return ms;
  progress(`${op.name} on ${side.name}: no answer after ${REPORT_TIMEOUT_MS / 1000} s`);
  if (side.ours) {
    const late = await Promise.race([answer, new Promise<null>((r) => setTimeout(r, LATE_WAIT_MS, null))]);
    if (late !== null) {
      progress(`answered after ${round(late / 1000)} s`);
      return late;
    }
  }
  onTimeout();
  request_?.destroy();
  await answer.catch(() => undefined);
  return REPORT_TIMEOUT_MS;
}

/** Every side finds the same event by id and the same number of events for the selector. */
async function checkAnswersAgree(sides: Side[], id: string, selector: object): Promise<void> {
  const answers: string[] = [];
  // One retry: under load a server may close a kept-alive connection just as it is reused.
  const fetch = (url: string, init?: RequestInit) =>
    globalThis.fetch(url, init).catch(() => globalThis.fetch(url, init));
  for (const side of sides) {
    const one = await fetch(`${side.url}/event/${id}`);
    const event = (await one.json()) as { _id?: string };
    const query = await fetch(`${side.url}/events/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(selector),
    });
    const found = Object.keys((await query.json()) as object).length;
    answers.push(`${one.status} ${event._id} ${query.status} ${found}`);
  }
  progress(`answers per side (GET /event/{id}, POST /events/query count): ${answers.join(' | ')}`);
  if (new Set(answers).size !== 1 || !answers[0]!.startsWith(`200 ${id} 200`))
    throw new Error(`The sides disagree: ${answers.join(' | ')}`);
}

/** MADSci's MongoDB operations for each request, timed alone with the Node driver (median ms). */
async function directTimings(
  events: Collection<Document>,
  ids: readonly string[],
  selector: Document,
  reportDay: number,
  postBodies: readonly string[],
): Promise<Record<string, number>> {
  const runs = QUICK ? 5 : 15;
  const median = async (step: (i: number) => Promise<unknown>, n = runs) => {
    await step(0);
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const started = performance.now();
      await step(i);
      times.push(performance.now() - started);
    }
    return round(summarize(times).median);
  };
  const windowRead = () =>
    events
      .find({ event_timestamp: { $gte: madsciTime(reportDay), $lte: madsciTime(reportDay + DAY) } })
      .sort({ event_timestamp: 1 })
      .toArray();
  const newIds = new Set<string>();
  const result: Record<string, number> = {
    // Every id the HTTP runs ask for, not only the first few: FerretDB's `_id` lookup is a scan that
    // stops at the match, so ids near the start of the table answer many times faster.
    'GET /event/{id}': await median((i) => events.findOne({ _id: ids[i % ids.length] as never }), ids.length),
    'GET /events?number=100': await median(
      () =>
        events
          .find({ archived: { $ne: true } })
          .sort({ event_timestamp: -1 })
          .skip(0)
          .limit(100)
          .toArray(),
      QUICK ? 3 : 5,
    ),
    'POST /events/query (type + day)': await median(() => events.find(selector).toArray()),
    'GET /utilization/sessions, one day': await median(windowRead, QUICK ? 3 : 5),
    'POST /event, concurrency 1': await median(async (i) => {
      const id = `direct-${process.pid}-${i}-${newIds.size}`;
      newIds.add(id);
      await events.insertOne({ ...(JSON.parse(postBodies[i % postBodies.length]!) as Document), _id: id as never });
    }),
  };
  // FerretDB's own floor for the concurrency-8 POSTs: 8 insertOne loops at once; wall ms per insert (1000/x = inserts/s).
  const c8Total = QUICK ? 200 : 1000;
  let c8Next = 0;
  const c8Started = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = c8Next++; i < c8Total; i = c8Next++) {
        const id = `direct-c8-${process.pid}-${i}`;
        newIds.add(id);
        await events.insertOne({ ...(JSON.parse(postBodies[i % postBodies.length]!) as Document), _id: id as never });
      }
    }),
  );
  result['POST /event, concurrency 8'] = round((performance.now() - c8Started) / c8Total);
  result['GET /utilization/user, one day'] = result['GET /utilization/sessions, one day']!;
  result['GET /utilization/periods (daily), one day'] = result['GET /utilization/sessions, one day']!;
  await events.deleteMany({ _id: { $in: [...newIds] as never[] } });
  return result;
}

/** MADSci's Event Manager in its own process, on a database of its own. */
async function startMadsci(
  venvPython: string,
  mongoUri: string,
  database: string,
): Promise<{ url: string; pid: number | undefined; stop: () => Promise<void> }> {
  const port = await freePort();
  // An empty working directory: MADSci reads .env and settings files from it.
  const workDir = tempDir('madsci-server');
  const log = fs.openSync(path.join(workDir, 'server.log'), 'a');
  const child: ChildProcess = spawn(venvPython, ['-m', 'madsci.event_manager.event_server'], {
    cwd: workDir,
    env: {
      PATH: process.env.PATH,
      HOME: workDir,
      NO_COLOR: '1',
      EVENT_SERVER_URL: `http://127.0.0.1:${port}`,
      EVENT_DB_URL: mongoUri,
      EVENT_DATABASE_NAME: database,
      // The limiter exempts loopback anyway; off, so no per-request bookkeeping either.
      EVENT_RATE_LIMIT_ENABLED: 'false',
      EVENT_ENABLE_REGISTRY_RESOLUTION: 'false',
    },
    stdio: ['ignore', log, log],
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!exited) child.kill('SIGTERM');
    await Promise.race([exit, new Promise((r) => setTimeout(r, 5000))]);
    if (!exited) child.kill('SIGKILL');
    fs.closeSync(log);
    fs.rmSync(workDir, { recursive: true, force: true });
  };
  progress(`starting MADSci's Event Manager ${MADSCI_VERSION} on ${url}`);
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && !exited) {
    try {
      const health = await fetch(`${url}/health`);
      if (health.ok) return { url, pid: child.pid, stop };
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const output = fs.readFileSync(path.join(workDir, 'server.log'), 'utf8').slice(-3000);
  await stop();
  throw new Error(`MADSci's Event Manager did not become healthy:\n${output}`);
}
