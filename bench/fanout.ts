/**
 * Fan-out: delivery latency of live events (from the `logEvent` mutation's acknowledgement to
 * the subscriber's receipt) with 1 000 subscribers, one `eventLogged` subscription per
 * WebSocket, at steady ingest rates stepped up until delivery lags. SQLite store, the real
 * server in this process; subscribers and the ingest client in two child processes.
 *
 * A step lags when not every delivery arrived within the drain allowance, when p99 passes 1 s, or
 * when the events of the step's last quarter wait clearly longer than those of its first (a
 * backlog that grows). The ramp stops at the first lagging step.
 *
 * Target: p99 under 100 ms at 100 events/s (100 000 deliveries/s).
 */
import './support/production-env';
import 'reflect-metadata';
import os from 'node:os';
import type { ServerHandle } from '../src/app/server';
import {
  startIngestClient,
  startSubscriberFleet,
  type DeliverySummary,
  type IngestResult,
} from './support/fanout-clients';
import {
  checkQuiet,
  printTable,
  printTargets,
  progress,
  QUICK,
  round,
  sized,
  target,
  type Target,
  writeResult,
} from './support/harness';
import { freshStore, startServerAt } from './support/stores';

const QUERY = 'subscription { eventLogged { id eventType logLevel eventTimestamp source { nodeId } eventData } }';
/** Events per second, in order; the ramp stops at the first that lags. */
const RATES = process.env.FANOUT_RATES
  ? process.env.FANOUT_RATES.split(',').map(Number)
  : [5, 10, 15, 20, 30, 40, 60, 80, 100, 120, 160, 240, 320];
const BASE_RATE = 100;
const TARGET_P99_MS = 100;

interface StepFigures {
  rate: number;
  events: number;
  deliveries: number;
  delivered: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  firstQuarterP50Ms: number;
  lastQuarterP50Ms: number;
  drainMs: number;
  deliveriesPerSecond: number;
  serverCpuUtilization: number;
  /** Server CPU time (user + system) per delivery, in µs: what the load of other processes moves least. */
  serverCpuUsPerDelivery: number;
  subscriberCpuUtilization: number;
  ingestLateSends: number;
  slowConsumersEnded: number;
  /** One-minute load average at the end of the step (the machine's, all processes). */
  loadAverage: number;
  lagging: boolean;
  lagReason: string | null;
}

function lagReason(summary: DeliverySummary): string | null {
  if (summary.deliveries < summary.expected)
    return `${summary.expected - summary.deliveries} deliveries missing after the drain allowance`;
  if (summary.errors > 0) return `${summary.errors} subscriptions ended`;
  if (summary.p99Ms > 1000) return `p99 ${round(summary.p99Ms)} ms > 1000 ms`;
  if (summary.lastQuarterP50Ms > Math.max(2 * summary.firstQuarterP50Ms, summary.firstQuarterP50Ms + 100)) {
    return `backlog grows: median ${round(summary.firstQuarterP50Ms)} ms early in the step, ${round(summary.lastQuarterP50Ms)} ms late`;
  }
  return null;
}

async function waitForSubscribers(server: ServerHandle, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (server.services.live.stats().subscribers < count) {
    if (Date.now() > deadline)
      throw new Error(`only ${server.services.live.stats().subscribers} of ${count} subscriptions registered`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs the fan-out benchmark and writes `bench/results/fanout.json`. */
export async function runFanout(): Promise<Target[]> {
  const startedAt = new Date();
  const busyAtStart = await checkQuiet('before the run');
  const subscribers = process.env.FANOUT_SUBSCRIBERS ? Number(process.env.FANOUT_SUBSCRIBERS) : sized(1000, 100);
  const stepMs = QUICK ? 3000 : 8000;
  const drainAllowanceMs = 5000;

  const location = freshStore('sqlite', 'fanout');
  const server = await startServerAt(location);
  const fleet = startSubscriberFleet();
  const ingest = startIngestClient();
  const steps: StepFigures[] = [];
  try {
    progress(`connecting ${subscribers} subscribers`);
    const connected = await fleet.connect(`${server.url.replace(/^http/, 'ws')}/graphql`, subscribers, QUERY);
    if (connected !== subscribers) throw new Error(`connected ${connected} of ${subscribers}`);
    await waitForSubscribers(server, subscribers);

    // Warm-up: a short step at the base rate, not recorded.
    let seq = 0;
    await fleet.start();
    const warm = await ingest.run(server.url, BASE_RATE, 1000, seq);
    seq += warm.acks.length + warm.failures;
    await new Promise((resolve) => setTimeout(resolve, 500));
    await fleet.stop(warm.acks);

    for (const rate of RATES) {
      progress(`${rate} events/s for ${stepMs / 1000} s to ${subscribers} subscribers`);
      const slowBefore = server.services.live.stats().slowConsumersEnded;
      await fleet.start();
      const cpuBefore = process.cpuUsage();
      const wallBefore = performance.now();
      const result: IngestResult = await ingest.run(server.url, rate, stepMs, seq);
      if (result.failures > 0) throw new Error(`${result.failures} mutations failed; first: ${result.firstFailure}`);
      seq += result.acks.length;
      const expected = result.acks.length * subscribers;
      const drainDeadline = performance.now() + drainAllowanceMs;
      while ((await fleet.received()) < expected && performance.now() < drainDeadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const cpu = process.cpuUsage(cpuBefore);
      const wallMs = performance.now() - wallBefore;
      const summary = await fleet.stop(result.acks);
      const reason = lagReason(summary);
      steps.push({
        rate,
        events: result.acks.length,
        deliveries: summary.deliveries,
        delivered: round(summary.deliveries / Math.max(1, summary.expected)),
        p50Ms: round(summary.p50Ms),
        p99Ms: round(summary.p99Ms),
        maxMs: round(summary.maxMs),
        firstQuarterP50Ms: round(summary.firstQuarterP50Ms),
        lastQuarterP50Ms: round(summary.lastQuarterP50Ms),
        drainMs: round(summary.drainMs),
        deliveriesPerSecond: round(summary.deliveries / (wallMs / 1000)),
        serverCpuUtilization: round((cpu.user + cpu.system) / 1000 / wallMs),
        serverCpuUsPerDelivery: round((cpu.user + cpu.system) / Math.max(1, summary.deliveries)),
        subscriberCpuUtilization: round(summary.cpuUtilization),
        ingestLateSends: result.lateSends,
        slowConsumersEnded: server.services.live.stats().slowConsumersEnded - slowBefore,
        loadAverage: round(os.loadavg()[0]!),
        lagging: reason !== null,
        lagReason: reason,
      });
      if (reason !== null) break;
      // Let the next step start from an empty pipeline.
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    await fleet.close();
    await ingest.close();
    await server.stop();
    await location.remove();
  }
  const busyAtEnd = await checkQuiet('after the run');

  printTable(
    `Fan-out to ${subscribers} subscribers (SQLite; latency = mutation acknowledged -> subscriber received)`,
    [
      'events/s',
      'deliveries/s',
      'delivered',
      'p50 ms',
      'p99 ms',
      'max ms',
      'server CPU',
      'µs/delivery',
      'subscribers CPU',
      'load',
      'lag',
    ],
    steps.map((s) => [
      s.rate,
      s.deliveriesPerSecond,
      s.delivered,
      s.p50Ms,
      s.p99Ms,
      s.maxMs,
      s.serverCpuUtilization,
      s.serverCpuUsPerDelivery,
      s.subscriberCpuUtilization,
      s.loadAverage,
      s.lagReason ?? 'no',
    ]),
  );
  const keptUp = steps.filter((s) => !s.lagging);
  const sustained = keptUp.at(-1)?.rate ?? 0;
  const lagsAt = steps.find((s) => s.lagging)?.rate ?? null;
  console.log(
    `\nkeeps up at ${sustained} events/s (${sustained * subscribers} deliveries/s); starts to lag at ${lagsAt ?? `> ${RATES.at(-1)}`} events/s`,
  );
  const base = steps.find((s) => s.rate === BASE_RATE);
  const targets = [
    target(
      `p99 at ${BASE_RATE} events/s`,
      `delivery p99 (ms) with ${subscribers} subscribers`,
      base && !base.lagging ? base.p99Ms : Number.POSITIVE_INFINITY,
      '<',
      TARGET_P99_MS,
    ),
  ];
  printTargets(targets);
  writeResult('fanout', startedAt, {
    otherProcessesBusyCores: { atStart: busyAtStart, atEnd: busyAtEnd },
    parameters: {
      subscribers,
      stepSeconds: stepMs / 1000,
      rates: RATES,
      drainAllowanceMs,
      query: QUERY,
      store: 'sqlite',
      cores: os.cpus().length,
    },
    figures: { steps, keepsUpAtEventsPerSecond: sustained, startsToLagAtEventsPerSecond: lagsAt },
    ratios: {},
    targets,
    notes: [
      'Latency is from the moment the ingest client has the mutation response to the moment a subscriber has the event; a negative value means the event reached the subscriber first.',
      "Server, subscribers and ingest client share the machine: the subscriber process parses every delivery, so its CPU use is shown beside the server's.",
    ],
  });
  return targets;
}

if (require.main === module) {
  runFanout().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
