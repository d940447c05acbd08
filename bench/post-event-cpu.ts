/**
 * `POST /event` on SQLite, the server's CPU per request (docs/performance.md#group-commit): the
 * real server over a SQLite store seeded with the simulated lab's events (`support/lab-workload.ts`,
 * as `vs-madsci.ts` seeds it), driven by the bench's load client in a child process with the same
 * bodies as `vs-madsci.ts` (new events, no ids), at concurrency 1 and 8 in alternated rounds.
 * Reports, per concurrency, medians over rounds of: requests/s; the server process's CPU time
 * (user + system, all its threads) per request, which varies less with the machine's load than
 * wall time does; the load client's CPU per request; the event loop's wall time inside SQLite
 * write transactions per event (the commit, and any WAL checkpoint the commit runs); events per
 * commit (group commit).
 *
 *   npx tsx bench/post-event-cpu.ts
 *
 * To compare revisions, copy this file into a checkout (or a `git archive` of `src`, `bench`,
 * `test` and `tools`, with a `node_modules` link) of the other and run it there. Variables:
 * `PROBE_EVENTS` events seeded (50 000); `PROBE_ROUNDS` (3); `PROBE_C1` / `PROBE_C8` requests per round (400 / 2 000);
 * `PROBE_PROFILE=<dir>` writes a V8 CPU profile of the server process (node:inspector) per
 * concurrency, the load phase of every round only. Not part of `run-all.ts`: a probe for the
 * insert path, printing JSON.
 */
import './support/production-env';
import 'reflect-metadata';
import fs from 'node:fs';
import inspector from 'node:inspector/promises';
import path from 'node:path';
import { toMadsciEvent } from '../src/app/rest/wire';
import { startServer, type ServerHandle } from '../src/app/server';
import { createLogger } from '../src/core/logger';
import type { EventDocument } from '../src/store/event-document';
import type { EventStore } from '../src/store/event-store';
import { SqliteEventStore } from '../src/store/sqlite/sqlite-event-store';
import { benchConfig, progress, round, tempDir } from './support/harness';
import { LabGenerator } from './support/lab-workload';
import { startLoadClient, type LoadRequest } from './support/load-client';
import { EventGenerator, toDocument } from './support/workload';

const EVENTS = Number(process.env.PROBE_EVENTS ?? 50_000);
const ROUNDS = Number(process.env.PROBE_ROUNDS ?? 3);
const TOTALS: Record<number, number> = {
  1: Number(process.env.PROBE_C1 ?? 400),
  8: Number(process.env.PROBE_C8 ?? 2000),
};
const PROFILE_DIR = process.env.PROBE_PROFILE;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main(): Promise<void> {
  // The event loop's time inside each SQLite write transaction (commit and any checkpoint it
  // runs included): wrapped around the store's private batch write, which both revisions have.
  const writes = { ms: 0, docs: 0, transactions: 0 };
  const proto = SqliteEventStore.prototype as unknown as Record<string, (docs: unknown[]) => unknown>;
  const write = proto.insertOutcomes!;
  proto.insertOutcomes = function (this: unknown, docs: unknown[]) {
    const started = performance.now();
    try {
      return write.call(this, docs);
    } finally {
      writes.ms += performance.now() - started;
      writes.docs += docs.length;
      writes.transactions++;
    }
  };

  const dir = tempDir('post-event-cpu');
  const config = benchConfig({ DATA_DIR: dir });
  const store: EventStore = new SqliteEventStore(path.join(dir, 'events.db'));
  await store.init();
  const docs: EventDocument[] = [];
  for (const day of new LabGenerator({ total: EVENTS, days: 20 }).days()) docs.push(...day);
  for (let i = 0; i < docs.length; i += 5000) await store.insertMany(docs.slice(i, i + 5000));
  progress(`seeded ${docs.length} events`);
  const server: ServerHandle = await startServer({ config, store, logger: createLogger(config.logLevel) });
  const client = startLoadClient();
  const session = PROFILE_DIR ? new inspector.Session() : null;
  try {
    const requests: LoadRequest[] = new EventGenerator(200, 77).inputs(0, 200).map((input) => {
      const { _id: _, ...event } = toMadsciEvent(toDocument(input, new Date()));
      return { method: 'POST', path: '/event', body: JSON.stringify(event) };
    });
    const run = (concurrency: number, total: number) =>
      client.run({ baseUrl: server.url, requests, concurrency, total, mustContain: '"_id"' });
    // Warm-up: JIT, connections, SQLite's page cache.
    for (const c of [1, 8]) await run(c, 300);
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
    }
    type Samples = Record<
      'reqPerS' | 'cpuUsPerReq' | 'clientCpuUsPerReq' | 'writeUsPerEvent' | 'eventsPerCommit',
      number[]
    >;
    const empty = (): Samples => ({
      reqPerS: [],
      cpuUsPerReq: [],
      clientCpuUsPerReq: [],
      writeUsPerEvent: [],
      eventsPerCommit: [],
    });
    const samples: Record<number, Samples> = { 1: empty(), 8: empty() };
    const profiles: Record<number, unknown[]> = { 1: [], 8: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const c of r % 2 === 0 ? [1, 8] : [8, 1]) {
        if (session) await session.post('Profiler.start');
        Object.assign(writes, { ms: 0, docs: 0, transactions: 0 });
        const cpu = process.cpuUsage();
        const result = await run(c, TOTALS[c]!);
        const used = process.cpuUsage(cpu);
        samples[c]!.clientCpuUsPerReq.push((result.clientCpuMs * 1000) / result.completed);
        samples[c]!.writeUsPerEvent.push((writes.ms * 1000) / writes.docs);
        samples[c]!.eventsPerCommit.push(writes.docs / writes.transactions);
        if (session) profiles[c]!.push((await session.post('Profiler.stop')).profile);
        if (result.failed > 0) throw new Error(`${result.failed} failed: ${result.firstFailure}`);
        samples[c]!.reqPerS.push((result.completed / result.elapsedMs) * 1000);
        samples[c]!.cpuUsPerReq.push((used.user + used.system) / result.completed);
        progress(
          `round ${r + 1}: c=${c} ${round((result.completed / result.elapsedMs) * 1000)} req/s, ` +
            `${round((used.user + used.system) / result.completed)} µs CPU/request, ` +
            `${round((writes.ms * 1000) / writes.docs)} µs in write transactions/event`,
        );
      }
    }
    if (PROFILE_DIR) {
      fs.mkdirSync(PROFILE_DIR, { recursive: true });
      for (const c of [1, 8]) {
        profiles[c]!.forEach((profile, i) =>
          fs.writeFileSync(path.join(PROFILE_DIR, `post-event-c${c}-r${i + 1}.cpuprofile`), JSON.stringify(profile)),
        );
      }
    }
    const summary = Object.fromEntries(
      [1, 8].map((c) => [
        `concurrency ${c}`,
        Object.fromEntries(
          Object.entries(samples[c]!).map(([name, values]) => [
            name,
            { median: round(median(values)), rounds: values.map(round) },
          ]),
        ),
      ]),
    );
    console.log(JSON.stringify({ events: docs.length, rounds: ROUNDS, ...summary }, null, 2));
  } finally {
    session?.disconnect();
    await client.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
