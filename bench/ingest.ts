/**
 * Ingest: events/s through the GraphQL mutation `logEvents` (real HTTP, batches of 1000) against
 * the store's own bulk insert (`store.insertMany`) of the same documents, on SQLite and on
 * MongoDB (FerretDB unless MONGODB_URI is set). Two more paths split the difference into layers:
 * `EventService.logEvents` called in process (document building, and the live fan-out and alert
 * listeners the server wires to it), and graphql-js `execute` of
 * the same mutation on the server's schema in process (GraphQL variable coercion and execution,
 * without HTTP, Express and Apollo's request pipeline).
 *
 * Target: graphql/raw >= 0.6 on each store (issue 14; it was 0.5 before).
 */
import './support/production-env';
import 'reflect-metadata';
import { execute, getVariableValues, Kind, parse, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { EventInput } from '../src/events/event.types';
import type { EventService } from '../src/events/event.service';
import type { ServerHandle } from '../src/app/server';
import { DateTimeISO } from '../src/app/graphql/scalars';
import { createSchema } from '../src/app/graphql/schema';
import { createContext } from '../src/app/graphql/context';
import { createServices, type Services } from '../src/app/services';
import type { EventStore } from '../src/store/event-store';
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
import {
  freshStore,
  mongoServer,
  startServerAt,
  type MongoServer,
  type StoreKind,
  type StoreLocation,
} from './support/stores';
import { EventGenerator, toDocument, toGraphQLInput } from './support/workload';

const BATCH = 1000;
const TARGET_RATIO = 0.6;

const MUTATION =
  'mutation Ingest($events: [EventInput!]!) { logEvents(events: $events) { insertedCount duplicateCount } }';
const MUTATION_DOCUMENT = parse(MUTATION);

/**
 * raw: store.insertMany of ready documents; service: EventService.logEvents; execute: graphql-js
 * execute in process; graphql: POST /graphql over HTTP.
 */
type PathName = 'raw' | 'service' | 'execute' | 'graphql';
const PATHS: readonly PathName[] = ['raw', 'service', 'execute', 'graphql'];

interface PathFigures {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  medianBatchMs: number;
  p95BatchMs: number;
}

interface EngineFigures {
  store: StoreKind;
  server: string;
  events: number;
  batchSize: number;
  paths: Record<PathName, PathFigures>;
  ratios: { graphqlToRaw: number; serviceToRaw: number; executeToRaw: number };
  /** Milliseconds per 1000 events spent in each layer (differences of the paths). */
  msPer1000: { store: number; documentBuilding: number; graphqlExecution: number; httpAndApollo: number };
  /** In the execute path: ms per 1000 events inside EventService.logEvents, and outside it (GraphQL's own work). */
  executeSplitPer1000: { insideService: number; outsideService: number };
}

/** One prepared batch in the forms the paths take. */
interface Batch {
  inputs: EventInput[];
  /** The GraphQL variables, as the server's JSON parser would hand them over. */
  variables: Record<string, unknown>;
  body: string;
}

/** The ways in, each over its own fresh store of the same kind. */
interface Paths {
  server: ServerHandle;
  rawStore: EventStore;
  service: EventService;
  schema: GraphQLSchema;
  executeServices: Services;
  /** Milliseconds the execute path spent inside EventService.logEvents (the resolver's call). */
  executeServiceMs: { total: number };
  /** The services built for the in-process paths, closed at the end. */
  services: Services[];
  stores: EventStore[];
  locations: StoreLocation[];
}

async function openPaths(kind: StoreKind, mongo: MongoServer | undefined): Promise<Paths> {
  const gqlLoc = freshStore(kind, 'ingest-graphql', mongo);
  const rawLoc = freshStore(kind, 'ingest-raw', mongo);
  const svcLoc = freshStore(kind, 'ingest-service', mongo);
  const execLoc = freshStore(kind, 'ingest-execute', mongo);
  const server = await startServerAt(gqlLoc);
  const rawStore = rawLoc.open();
  const serviceStore = svcLoc.open();
  const executeStore = execLoc.open();
  for (const store of [rawStore, serviceStore, executeStore]) await store.init();
  // Both in-process paths get the server's wiring (live fan-out, alerts listening to logEvents).
  const serviceServices = createServices(svcLoc.config, serviceStore, 'bench');
  const executeServices = createServices(execLoc.config, executeStore, 'bench');
  // Time the resolver's service call inside execute, to tell GraphQL's own work from the service's.
  const executeServiceMs = { total: 0 };
  const events = executeServices.events;
  const logEvents = events.logEvents.bind(events);
  events.logEvents = async (...args) => {
    const started = performance.now();
    try {
      return await logEvents(...args);
    } finally {
      executeServiceMs.total += performance.now() - started;
    }
  };
  return {
    server,
    rawStore,
    service: serviceServices.events,
    schema: await createSchema(),
    executeServices,
    executeServiceMs,
    services: [serviceServices, executeServices],
    stores: [rawStore, serviceStore, executeStore],
    locations: [gqlLoc, rawLoc, svcLoc, execLoc],
  };
}

async function closePaths(paths: Paths): Promise<void> {
  await paths.server.stop();
  for (const services of paths.services) {
    await services.live.close();
    await services.alerts.close();
  }
  for (const store of paths.stores) await store.close();
  for (const location of paths.locations) await location.remove();
}

/** Sends one batch through one path; returns milliseconds. Throws on any error or shortfall. */
async function sendBatch(path: PathName, paths: Paths, batch: Batch): Promise<number> {
  const n = batch.inputs.length;
  switch (path) {
    case 'raw': {
      // The store is handed ready documents, as a bulk import would; building them is not its cost.
      const docs = batch.inputs.map((input) => toDocument(input, new Date()));
      const started = performance.now();
      const result = await paths.rawStore.insertMany(docs);
      const ms = performance.now() - started;
      if (result.insertedIds.length !== n) throw new Error(`raw insert stored ${result.insertedIds.length} of ${n}`);
      return ms;
    }
    case 'service': {
      const started = performance.now();
      const result = await paths.service.logEvents(batch.inputs);
      const ms = performance.now() - started;
      if (result.insertedCount !== n) throw new Error(`service stored ${result.insertedCount} of ${n}`);
      return ms;
    }
    case 'execute': {
      const started = performance.now();
      const result = await execute({
        schema: paths.schema,
        document: MUTATION_DOCUMENT,
        variableValues: batch.variables,
        contextValue: createContext(paths.executeServices),
      });
      const ms = performance.now() - started;
      if (result.errors) throw new Error(`execute failed: ${JSON.stringify(result.errors).slice(0, 500)}`);
      const stored = (result.data as { logEvents?: { insertedCount: number } } | null)?.logEvents?.insertedCount;
      if (stored !== n) throw new Error(`execute stored ${stored} of ${n}`);
      return ms;
    }
    case 'graphql': {
      const started = performance.now();
      const response = await fetch(`${paths.server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: batch.body,
      });
      const json = (await response.json()) as { data?: { logEvents?: { insertedCount: number } }; errors?: unknown[] };
      const ms = performance.now() - started;
      if (response.status !== 200 || json.errors)
        throw new Error(`logEvents failed (${response.status}): ${JSON.stringify(json.errors ?? json).slice(0, 500)}`);
      if (json.data?.logEvents?.insertedCount !== n)
        throw new Error(`logEvents stored ${json.data?.logEvents?.insertedCount} of ${n}`);
      return ms;
    }
  }
}

async function benchEngine(kind: StoreKind, total: number, mongo: MongoServer | undefined): Promise<EngineFigures> {
  const batchSize = Math.min(BATCH, total);
  const warmupBatches = QUICK ? 1 : 2;
  const batches = Math.ceil(total / batchSize);
  const generator = new EventGenerator(
    (warmupBatches + batches) * batchSize,
    kind === 'sqlite' ? 1 : 2,
    Date.now() - 3_600_000,
    3_600_000,
  );
  const makeBatch = (): Batch => {
    const inputs = generator.inputs(0, batchSize);
    // The body is serialised before timing: a client's encoding is not the server's cost.
    const body = JSON.stringify({ query: MUTATION, variables: { events: inputs.map(toGraphQLInput) } });
    return { inputs, body, variables: (JSON.parse(body) as { variables: Record<string, unknown> }).variables };
  };
  const paths = await openPaths(kind, mongo);
  try {
    progress(`${kind}: warm-up (${warmupBatches} batch(es) of ${batchSize} per path)`);
    for (let w = 0; w < warmupBatches; w++) {
      const batch = makeBatch();
      for (const path of PATHS) await sendBatch(path, paths, batch);
    }
    progress(`${kind}: ${batches} batches of ${batchSize} per path`);
    const times: Record<PathName, number[]> = { raw: [], service: [], execute: [], graphql: [] };
    paths.executeServiceMs.total = 0;
    for (let b = 0; b < batches; b++) {
      const batch = makeBatch();
      // Rotate the order so no path always runs first (cache, GC, checkpoint timing).
      for (let k = 0; k < PATHS.length; k++) {
        const path = PATHS[(b + k) % PATHS.length]!;
        times[path].push(await sendBatch(path, paths, batch));
      }
    }
    const figures = {} as Record<PathName, PathFigures>;
    for (const path of PATHS) {
      const ms = times[path].reduce((sum, t) => sum + t, 0);
      const stats = summarize(times[path]);
      const events = batches * batchSize;
      figures[path] = {
        events,
        seconds: round(ms / 1000),
        eventsPerSecond: round((events / ms) * 1000),
        medianBatchMs: round(stats.median),
        p95BatchMs: round(stats.p95),
      };
    }
    const per1000 = (path: PathName) => (times[path].reduce((sum, t) => sum + t, 0) / (batches * batchSize)) * 1000;
    return {
      store: kind,
      server: kind === 'sqlite' ? 'SQLite (better-sqlite3, WAL), file in a temp dir' : mongo!.label,
      events: batches * batchSize,
      batchSize,
      paths: figures,
      ratios: {
        graphqlToRaw: round(figures.graphql.eventsPerSecond / figures.raw.eventsPerSecond),
        serviceToRaw: round(figures.service.eventsPerSecond / figures.raw.eventsPerSecond),
        executeToRaw: round(figures.execute.eventsPerSecond / figures.raw.eventsPerSecond),
      },
      msPer1000: {
        store: round(per1000('raw')),
        documentBuilding: round(per1000('service') - per1000('raw')),
        graphqlExecution: round(per1000('execute') - per1000('service')),
        httpAndApollo: round(per1000('graphql') - per1000('execute')),
      },
      executeSplitPer1000: {
        insideService: round((paths.executeServiceMs.total / (batches * batchSize)) * 1000),
        outsideService: round(per1000('execute') - (paths.executeServiceMs.total / (batches * batchSize)) * 1000),
      },
    };
  } finally {
    await closePaths(paths);
  }
}

/** Median milliseconds of `fn` over `runs` runs, after two unmeasured runs. */
function medianMs(runs: number, fn: () => void): number {
  fn();
  fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    fn();
    samples.push(performance.now() - started);
  }
  return summarize(samples).median;
}

/**
 * The CPU steps of the GraphQL path that need no store, timed alone on one batch of 1000:
 * parsing the request body, coercing the variables (graphql-js, with the schema's scalars), and
 * of that the `DateTimeISO` parsing of the 1000 timestamps.
 */
async function graphqlCpuSteps(): Promise<Record<string, number>> {
  const schema = await createSchema();
  const operation = MUTATION_DOCUMENT.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  )!;
  const inputs = new EventGenerator(BATCH, 3, Date.now() - 3_600_000, 3_600_000).inputs(0, BATCH);
  const body = JSON.stringify({ query: MUTATION, variables: { events: inputs.map(toGraphQLInput) } });
  const variables = (JSON.parse(body) as { variables: Record<string, unknown> }).variables;
  const stamps = inputs.map((input) => input.eventTimestamp.toISOString());
  const runs = QUICK ? 5 : 20;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) throw new Error(`variable coercion failed: ${coerced.errors[0]?.message}`);
  return {
    bodyBytes: body.length,
    jsonParseMs: round(medianMs(runs, () => JSON.parse(body))),
    variableCoercionMs: round(
      medianMs(runs, () => getVariableValues(schema, operation.variableDefinitions ?? [], variables)),
    ),
    dateTimeIsoParseMs: round(medianMs(runs, () => stamps.forEach((stamp) => DateTimeISO.parseValue(stamp)))),
    nativeDateParseMs: round(medianMs(runs, () => stamps.forEach((stamp) => new Date(stamp)))),
  };
}

/** Runs the ingest benchmark and writes `bench/results/ingest.json`. */
export async function runIngest(): Promise<Target[]> {
  const startedAt = new Date();
  const busyAtStart = await checkQuiet('before the run');
  const sizes: Record<StoreKind, number> = { sqlite: sized(20_000, 1000), mongodb: sized(5_000, 500) };
  const engines: EngineFigures[] = [];
  engines.push(await benchEngine('sqlite', sizes.sqlite, undefined));
  const mongo = await mongoServer();
  try {
    engines.push(await benchEngine('mongodb', sizes.mongodb, mongo));
  } finally {
    await mongo.stop();
  }

  printTable(
    'Ingest, events/s (batches of 1000). raw: store.insertMany; service: EventService.logEvents; execute: graphql-js execute in process; graphql: logEvents over HTTP',
    ['store', 'events', 'raw', 'service', 'execute', 'graphql', 'graphql/raw'],
    engines.map((e) => [
      e.store,
      e.events,
      e.paths.raw.eventsPerSecond,
      e.paths.service.eventsPerSecond,
      e.paths.execute.eventsPerSecond,
      e.paths.graphql.eventsPerSecond,
      e.ratios.graphqlToRaw,
    ]),
  );
  printTable(
    'Where the time goes, ms per 1000 events (differences between the paths)',
    [
      'store',
      'store insert',
      '+ document building',
      '+ GraphQL execution',
      '+ HTTP and Apollo',
      'batch median ms raw/service/execute/graphql',
    ],
    engines.map((e) => [
      e.store,
      e.msPer1000.store,
      e.msPer1000.documentBuilding,
      e.msPer1000.graphqlExecution,
      e.msPer1000.httpAndApollo,
      PATHS.map((p) => e.paths[p].medianBatchMs).join(' / '),
    ]),
  );
  printTable(
    'The execute path split, ms per 1000 events: inside EventService.logEvents vs GraphQL around it',
    ['store', 'service path', 'execute: inside service', 'execute: outside service'],
    engines.map((e) => [
      e.store,
      round(e.msPer1000.store + e.msPer1000.documentBuilding),
      e.executeSplitPer1000.insideService,
      e.executeSplitPer1000.outsideService,
    ]),
  );
  progress('timing the CPU steps of the GraphQL path alone');
  const steps = await graphqlCpuSteps();
  printTable(
    `CPU steps of one logEvents batch of ${BATCH} without a store (median ms; request body ${steps.bodyBytes} bytes)`,
    [
      'JSON.parse body',
      'variable coercion (graphql-js)',
      'of which DateTimeISO x1000',
      '(new Date(iso) x1000, for scale)',
    ],
    [[steps.jsonParseMs!, steps.variableCoercionMs!, steps.dateTimeIsoParseMs!, steps.nativeDateParseMs!]],
  );
  const targets = engines.map((e) =>
    target(
      `ingest.${e.store}.graphqlToRaw`,
      `logEvents over HTTP reaches at least ${TARGET_RATIO} of store.insertMany's events/s on ${e.store}`,
      e.paths.graphql.eventsPerSecond / e.paths.raw.eventsPerSecond,
      '>=',
      TARGET_RATIO,
    ),
  );
  printTargets(targets);
  writeResult('ingest', startedAt, {
    otherProcessesBusyCores: { atStart: busyAtStart, atEnd: await checkQuiet('at the end of the run') },
    parameters: {
      batchSize: BATCH,
      events: sizes,
      mutation: MUTATION,
      transport: 'fetch (undici) keep-alive to 127.0.0.1, one batch in flight',
    },
    figures: engines,
    ratios: Object.fromEntries(engines.map((e) => [`${e.store}.graphqlToRaw`, e.ratios.graphqlToRaw])),
    targets,
    diagnostics: { graphqlCpuStepsPerBatch: steps },
    notes: [
      'Each path writes the same events (same ids and content) into its own fresh store; batches of the three paths are interleaved in rotating order.',
      'raw times store.insertMany on documents built beforehand; service times EventService.logEvents as createServices wires it (document building, insert, live fan-out and alert listeners); execute times graphql-js execute of the mutation on the server schema with pre-parsed variables (coercion of the inputs, resolvers, service, insert); graphql times the HTTP round trip of a pre-serialised request (client in the same process).',
      "The per-layer figures are differences of totals; a layer smaller than the store insert's run-to-run noise (notably on FerretDB) can come out near zero or negative.",
      'FerretDB is a correctness peer, not a performance one: its figures say how much the server adds over the driver on the same server, not how fast MongoDB is.',
    ],
  });
  return targets;
}
