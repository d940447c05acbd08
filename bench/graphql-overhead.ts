/**
 * GraphQL overhead: requests/s of `event(id)` and `eventPage(limit: 20)` through the real server
 * (Express + Apollo) against a plain Express handler in the same process, on its own port, that
 * makes the same service call and returns the same JSON. SQLite store with 10 000 events; a
 * load client in a child process keeps 16 requests in flight over keep-alive connections.
 *
 * Target: graphql/plain >= 0.7 for each query.
 *
 * `BENCH_GRAPHQL_FAST_PATH=off` turns the server's GraphQL fast path off (src/app/graphql/fast-path.ts),
 * so every request goes through Apollo's pipeline.
 */
import './support/production-env';
import 'reflect-metadata';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import express from 'express';
import { execute, parse } from 'graphql';
import { EventLogLevel, EventType } from '../src/events/event.enums';
import { createSchema } from '../src/app/graphql/schema';
import { createContext } from '../src/app/graphql/context';
import type { Services } from '../src/app/services';
import { SOURCE_KEYS, type EventDocument } from '../src/store/event-document';
import {
  checkQuiet,
  printTable,
  printTargets,
  progress,
  QUICK,
  round,
  sized,
  summarize,
  type Target,
  target,
  writeResult,
} from './support/harness';
import { startLoadClient, type LoadClient, type LoadRequest, type LoadResult } from './support/load-client';
import { freshStore, startBenchServer } from './support/stores';
import { seededRandom } from '../test/support/fixtures';
import { seedGenerated } from './support/workload';

const CONCURRENCY = 16;
const PAGE_LIMIT = 20;
const TARGET_RATIO = 0.7;
/** Whether the server's fast path may answer (`BENCH_GRAPHQL_FAST_PATH=off`: Apollo answers everything). */
const FAST_PATH = process.env.BENCH_GRAPHQL_FAST_PATH !== 'off';

const EVENT_FIELDS = `id eventType logLevel logLevelValue alert eventTimestamp receivedAt
  source { userId experimentId campaignId projectId nodeId workcellId labId stepId workflowId managerId }
  eventData traceId spanId archived archivedAt`;
const EVENT_QUERY = `query Event($id: ID!) { event(id: $id) { ${EVENT_FIELDS} } }`;
const PAGE_QUERY = `query Page { eventPage(limit: ${PAGE_LIMIT}) { items { ${EVENT_FIELDS} } limit offset } }`;

const TYPE_NAMES = new Map(Object.entries(EventType).map(([name, value]) => [value as string, name]));
const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** An event as JSON, field for field what the GraphQL query above returns. */
function eventJson(doc: EventDocument): Record<string, unknown> {
  return {
    id: doc._id,
    eventType: TYPE_NAMES.get(doc.event_type) ?? 'UNKNOWN',
    logLevel: EventLogLevel[doc.log_level],
    logLevelValue: doc.log_level,
    alert: doc.alert,
    eventTimestamp: doc.event_timestamp.toISOString(),
    receivedAt: doc.received_at.toISOString(),
    source: Object.fromEntries(SOURCE_KEYS.map((key) => [camel(key), doc.source[key] ?? null])),
    eventData: doc.event_data,
    traceId: doc.trace_id,
    spanId: doc.span_id,
    archived: doc.archived,
    archivedAt: doc.archived_at?.toISOString() ?? null,
  };
}

/** The plain REST twin of the two queries: same service calls, same JSON, no GraphQL. */
async function startPlainServer(services: Services): Promise<{ url: string; close: () => Promise<void> }> {
  const app = express();
  app.disable('x-powered-by');
  // The baseline's twin: the same POST with the same JSON body, parsed, and nothing else.
  app.post('/ping', express.json(), (_req, res) => {
    res.json({ data: { __typename: 'Query' } });
  });
  app.get('/event/:id', async (req, res) => {
    const [doc] = await services.events.findByIds([req.params.id]);
    res.json({ data: { event: doc ? eventJson(doc) : null } });
  });
  app.get('/events', async (req, res) => {
    const page = await services.events.page({ limit: Number(req.query.limit ?? 100) });
    res.json({ data: { eventPage: { items: page.items.map(eventJson), limit: page.limit, offset: page.offset } } });
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Scenario {
  name: string;
  /** Whether the target applies (the baseline is for reading the others). */
  hasTarget: boolean;
  graphql: LoadRequest[];
  plain: LoadRequest[];
}

interface SideFigures {
  requests: number;
  requestsPerSecond: number;
  medianMs: number;
  p95Ms: number;
  /** Server process CPU time per request, ms (user + system). */
  serverCpuMsPerRequest: number;
  /** Server process CPU time / wall time. */
  serverCpuUtilization: number;
  /** Load client CPU time / wall time. */
  clientCpuUtilization: number;
  responseBytesPerRequest: number;
  /** Share of the requests the GraphQL fast path answered (GraphQL side only). */
  fastPathShare?: number;
}

/** Runs the same load on one side, `rounds` times; sums the rounds. */
function aggregate(results: { result: LoadResult; serverCpuMs: number }[]): SideFigures {
  const requests = results.reduce((n, r) => n + r.result.completed, 0);
  const elapsedMs = results.reduce((n, r) => n + r.result.elapsedMs, 0);
  const serverCpuMs = results.reduce((n, r) => n + r.serverCpuMs, 0);
  const clientCpuMs = results.reduce((n, r) => n + r.result.clientCpuMs, 0);
  const latencies = summarize(results.flatMap((r) => r.result.latenciesMs));
  return {
    requests,
    requestsPerSecond: round((requests / elapsedMs) * 1000),
    medianMs: round(latencies.median),
    p95Ms: round(latencies.p95),
    serverCpuMsPerRequest: round(serverCpuMs / requests),
    serverCpuUtilization: round(serverCpuMs / elapsedMs),
    clientCpuUtilization: round(clientCpuMs / elapsedMs),
    responseBytesPerRequest: Math.round(results.reduce((n, r) => n + r.result.responseBytes, 0) / requests),
  };
}

async function load(client: LoadClient, baseUrl: string, requests: LoadRequest[], total: number, graphql: boolean) {
  const cpuBefore = process.cpuUsage();
  const result = await client.run({
    baseUrl,
    requests,
    concurrency: CONCURRENCY,
    total,
    mustContain: '"data"',
    ...(graphql ? { mustNotContain: '"errors"' } : {}),
  });
  const cpu = process.cpuUsage(cpuBefore);
  if (result.failed > 0)
    throw new Error(`${result.failed} of ${result.completed} requests failed; first: ${result.firstFailure}`);
  return { result, serverCpuMs: (cpu.user + cpu.system) / 1000 };
}

/** Median ms of an async step over `runs` runs (after a tenth as many unmeasured). */
async function medianOf(runs: number, step: (i: number) => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < Math.max(20, runs / 10); i++) await step(i);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await step(i);
    samples.push(performance.now() - started);
  }
  return round(summarize(samples).median);
}

/**
 * The server-side steps of each query timed alone, in process, one at a time: the service call,
 * the plain handler's JSON, graphql-js `execute` (resolvers, loader, service call, result
 * shaping; no parse or validation, which Apollo caches) and stringifying its result. What the
 * HTTP run's CPU per request holds beyond these is Express, Apollo's request pipeline and HTTP.
 */
async function inProcessSteps(services: Services, ids: readonly string[], runs: number) {
  const schema = await createSchema();
  const eventDoc = parse(EVENT_QUERY);
  const pageDoc = parse(PAGE_QUERY);
  const id = (i: number) => ids[i % ids.length]!;
  const [one] = await services.events.findByIds([ids[0]!]);
  const page = await services.events.page({ limit: PAGE_LIMIT });
  const eventResult = await execute({
    schema,
    document: eventDoc,
    variableValues: { id: ids[0] },
    contextValue: createContext(services),
  });
  const pageResult = await execute({ schema, document: pageDoc, contextValue: createContext(services) });
  return {
    'event(id)': {
      serviceCallMs: await medianOf(runs, (i) => services.events.findByIds([id(i)])),
      plainJsonMs: await medianOf(runs, () => JSON.stringify({ data: { event: eventJson(one!) } })),
      graphqlExecuteMs: await medianOf(runs, (i) =>
        execute({ schema, document: eventDoc, variableValues: { id: id(i) }, contextValue: createContext(services) }),
      ),
      graphqlJsonMs: await medianOf(runs, () => JSON.stringify(eventResult)),
    },
    [`eventPage(limit: ${PAGE_LIMIT})`]: {
      serviceCallMs: await medianOf(runs, () => services.events.page({ limit: PAGE_LIMIT })),
      plainJsonMs: await medianOf(runs, () =>
        JSON.stringify({
          data: { eventPage: { items: page.items.map(eventJson), limit: page.limit, offset: page.offset } },
        }),
      ),
      graphqlExecuteMs: await medianOf(runs, () =>
        execute({ schema, document: pageDoc, contextValue: createContext(services) }),
      ),
      graphqlJsonMs: await medianOf(runs, () => JSON.stringify(pageResult)),
    },
  } as Record<string, { serviceCallMs: number; plainJsonMs: number; graphqlExecuteMs: number; graphqlJsonMs: number }>;
}

/** Runs the GraphQL-overhead benchmark and writes `bench/results/graphql-overhead.json`. */
export async function runGraphqlOverhead(): Promise<Target[]> {
  const startedAt = new Date();
  const busyAtStart = await checkQuiet('before the run');
  const events = sized(10_000);
  const total = sized(20_000, 1000);
  const warmup = sized(2_000, 200);
  const rounds = 4;

  const location = freshStore('sqlite', 'overhead');
  const store = location.open();
  await store.init();
  progress(`inserting ${events} events`);
  const ids = await seedGenerated(store, events, 11);
  const server = await startBenchServer(location.config, store);
  server.graphqlFastPath.enabled = FAST_PATH;
  const plain = await startPlainServer(server.services);
  const client = startLoadClient();
  try {
    // A fixed pseudo-random order of ids (Fisher-Yates), the same for both sides.
    const random = seededRandom(5);
    const sample = [...ids];
    for (let i = sample.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [sample[i], sample[j]] = [sample[j]!, sample[i]!];
    }
    const scenarios: Scenario[] = [
      {
        // Nothing to resolve and no store: the fixed cost of each side's request handling.
        name: 'baseline: { __typename }',
        hasTarget: false,
        graphql: [{ method: 'POST', path: '/graphql', body: JSON.stringify({ query: '{ __typename }' }) }],
        plain: [{ method: 'POST', path: '/ping', body: JSON.stringify({ query: '{ __typename }' }) }],
      },
      {
        name: 'event(id)',
        hasTarget: true,
        graphql: sample.map((id) => ({
          method: 'POST',
          path: '/graphql',
          body: JSON.stringify({ query: EVENT_QUERY, variables: { id } }),
        })),
        plain: sample.map((id) => ({ method: 'GET', path: `/event/${id}` })),
      },
      {
        name: `eventPage(limit: ${PAGE_LIMIT})`,
        hasTarget: true,
        graphql: [{ method: 'POST', path: '/graphql', body: JSON.stringify({ query: PAGE_QUERY }) }],
        plain: [{ method: 'GET', path: `/events?limit=${PAGE_LIMIT}` }],
      },
    ];

    // Both sides must answer the same thing, or the comparison means nothing.
    const fetchJson = async (baseUrl: string, request: LoadRequest): Promise<unknown> => {
      const init: RequestInit =
        request.body === undefined
          ? { method: request.method }
          : { method: request.method, headers: { 'content-type': 'application/json' }, body: request.body };
      return (await fetch(`${baseUrl}${request.path}`, init)).json();
    };
    for (const scenario of scenarios) {
      const gql = await fetchJson(server.url, scenario.graphql[0]!);
      const rest = await fetchJson(plain.url, scenario.plain[0]!);
      if (!isDeepStrictEqual(gql, rest)) {
        throw new Error(
          `${scenario.name}: GraphQL and plain answers differ:\n${JSON.stringify(gql).slice(0, 600)}\n${JSON.stringify(rest).slice(0, 600)}`,
        );
      }
    }

    const figures: { scenario: string; hasTarget: boolean; graphql: SideFigures; plain: SideFigures; ratio: number }[] =
      [];
    for (const scenario of scenarios) {
      progress(
        `${scenario.name}: warm-up ${warmup} requests per side, then ${rounds} rounds of ${total / rounds} per side (alternating)`,
      );
      await load(client, plain.url, scenario.plain, warmup, false);
      await load(client, server.url, scenario.graphql, warmup, true);
      const runs = {
        plain: [] as Awaited<ReturnType<typeof load>>[],
        graphql: [] as Awaited<ReturnType<typeof load>>[],
      };
      const servedBefore = server.graphqlFastPath.served;
      for (let r = 0; r < rounds; r++) {
        runs.plain.push(await load(client, plain.url, scenario.plain, total / rounds, false));
        runs.graphql.push(await load(client, server.url, scenario.graphql, total / rounds, true));
      }
      const g = aggregate(runs.graphql);
      g.fastPathShare = round((server.graphqlFastPath.served - servedBefore) / g.requests);
      const p = aggregate(runs.plain);
      figures.push({
        scenario: scenario.name,
        hasTarget: scenario.hasTarget,
        graphql: g,
        plain: p,
        ratio: g.requestsPerSecond / p.requestsPerSecond,
      });
    }

    printTable(
      `GraphQL vs plain Express, ${CONCURRENCY} in flight, keep-alive, ${total} requests per side (SQLite, ${events} events)`,
      [
        'query',
        'graphql req/s',
        'plain req/s',
        'graphql/plain',
        'p50 ms g/p',
        'p95 ms g/p',
        'server CPU ms/req g/p',
        'server CPU use g/p',
        'client CPU use g/p',
        'fast path',
      ],
      figures.map((f) => [
        f.scenario,
        f.graphql.requestsPerSecond,
        f.plain.requestsPerSecond,
        round(f.ratio),
        `${f.graphql.medianMs} / ${f.plain.medianMs}`,
        `${f.graphql.p95Ms} / ${f.plain.p95Ms}`,
        `${f.graphql.serverCpuMsPerRequest} / ${f.plain.serverCpuMsPerRequest}`,
        `${f.graphql.serverCpuUtilization} / ${f.plain.serverCpuUtilization}`,
        `${f.graphql.clientCpuUtilization} / ${f.plain.clientCpuUtilization}`,
        f.graphql.fastPathShare ?? '-',
      ]),
    );
    progress('timing the server-side steps alone, in process');
    const steps = await inProcessSteps(server.services, sample, sized(2000, 200));
    printTable(
      'Server-side steps alone, in process (median ms per request) vs server CPU per request under load',
      [
        'query',
        'service call',
        '+ plain JSON',
        'plain CPU/req (HTTP)',
        'graphql execute',
        '+ stringify',
        'graphql CPU/req (HTTP)',
      ],
      figures.map((f) => {
        const st = steps[f.scenario];
        return [
          f.scenario,
          st?.serviceCallMs ?? '-',
          st?.plainJsonMs ?? '-',
          f.plain.serverCpuMsPerRequest,
          st?.graphqlExecuteMs ?? '-',
          st?.graphqlJsonMs ?? '-',
          f.graphql.serverCpuMsPerRequest,
        ];
      }),
    );
    const targets = figures
      .filter((f) => f.hasTarget)
      .map((f) =>
        target(
          `graphqlOverhead.${f.scenario}`,
          `GraphQL reaches at least ${TARGET_RATIO} of the plain handler's requests/s`,
          f.ratio,
          '>=',
          TARGET_RATIO,
        ),
      );
    printTargets(targets);
    writeResult('graphql-overhead', startedAt, {
      otherProcessesBusyCores: { atStart: busyAtStart, atEnd: await checkQuiet('at the end of the run') },
      parameters: {
        store: 'sqlite',
        events,
        requestsPerSide: total,
        warmupPerSide: warmup,
        rounds,
        concurrency: CONCURRENCY,
        graphqlFastPath: FAST_PATH,
        client: 'node:http keep-alive agent in a child process (the server process keeps its own core)',
        graphqlQueries: { baseline: '{ __typename }', event: EVENT_QUERY, page: PAGE_QUERY },
        plainRoutes: {
          baseline: 'POST /ping, same body, express.json() -> {"data":{"__typename":"Query"}}',
          event: 'GET /event/:id -> EventService.findByIds',
          page: `GET /events?limit=${PAGE_LIMIT} -> EventService.page`,
        },
      },
      figures: figures.map((f) => ({ ...f, ratio: round(f.ratio) })),
      ratios: Object.fromEntries(figures.map((f) => [f.scenario, round(f.ratio)])),
      targets,
      diagnostics: { inProcessStepsMedianMs: steps },
      notes: [
        'Both servers run in one process over one store and one EventService; the plain handler returns the same JSON as the GraphQL query (checked before the run).',
        'server CPU use is the server process CPU time over wall time (1.0 = one core busy); client CPU use likewise for the load client.',
        `Quick run: ${QUICK}.`,
      ],
    });
    return targets;
  } finally {
    await client.close();
    await plain.close();
    await server.stop();
    await location.remove();
  }
}
