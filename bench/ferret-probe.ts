/**
 * What each part of a read or an insert costs FerretDB v1 (docs/performance.md#stored-shape-on-mongodb):
 * the same lab events stored in several shapes (MADSci's documents, ours with every member, without
 * `search_text`, without the null members, without every member that holds its default), one
 * database each, read with the Node driver in several query shapes (filter, one or two sort keys,
 * skip, no sort); then `insertOne` one at a time for shapes and index sets. Reports wall ms and
 * FerretDB's CPU ms (from /proc, Linux) per query, medians over interleaved rounds. Not part of
 * `run-all`: a diagnostic, run by hand.
 *   npx tsx bench/ferret-probe.ts [events=20000] [rounds=3]
 *   PROBE_ONLY='sort2|selector' (queries whose name contains one of the texts), PROBE_INSERTS=0 (no inserts)
 */
import './support/production-env';
import 'reflect-metadata';
import fs from 'node:fs';
import { MongoClient, type Collection, type Document, type IndexDescription } from 'mongodb';
import { toMadsciEvent } from '../src/app/rest/wire';
import type { EventDocument } from '../src/store/event-document';
import { buildSchema } from '@typegoose/typegoose';
import { StoredEvent } from '../src/store/mongo/event.model';
import { startFerretDb } from '../test/support/ferretdb';
import { LabGenerator } from './support/lab-workload';

const total = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 3);
const only = (process.env.PROBE_ONLY ?? '').split('|').filter(Boolean);

function ferretPid(port: number): number {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.includes(`-listen-addr=127.0.0.1:${port}`)) return Number(entry);
    } catch {
      // gone
    }
  }
  throw new Error('FerretDB pid not found');
}
const TICK = 100; // USER_HZ
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICK;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function compact(doc: EventDocument): Document {
  const out: Document = { ...doc };
  for (const key of ['trace_id', 'span_id', 'archived_at'] as const) if (out[key] === null) delete out[key];
  if (out.search_text === '') delete out.search_text;
  return out;
}
function minimal(doc: EventDocument): Document {
  const out = compact(doc);
  if (out.alert === false) delete out.alert;
  if (out.archived === false) delete out.archived;
  return out;
}

async function main() {
  const ferret = await startFerretDb();
  const pid = ferretPid(ferret.port);
  const client = new MongoClient(ferret.uri);
  try {
    console.log('buildInfo', (await client.db('admin').command({ buildInfo: 1 })).ferretdbVersion);
    const docs: EventDocument[] = [];
    for (const day of new LabGenerator({ total, days: 8 }).days()) docs.push(...day);
    const shapes: Record<string, (d: EventDocument) => Document> = {
      madsci: (d) => toMadsciEvent(d),
      ours: (d) => d as unknown as Document,
      noSearch: (d) => {
        const { search_text: _, ...rest } = d;
        return rest;
      },
      compact,
      minimal,
    };
    const sizes: Record<string, number> = {};
    for (const [name, shape] of Object.entries(shapes)) {
      const coll = client.db(`probe_${name}`).collection<Document>('events');
      const shaped = docs.map(shape);
      sizes[name] = Math.round(shaped.reduce((n, d) => n + JSON.stringify(d).length, 0) / shaped.length);
      for (let i = 0; i < shaped.length; i += 5000) await coll.insertMany(shaped.slice(i, i + 5000));
    }
    console.log('mean JSON bytes per document', sizes);

    const day = docs[Math.floor(docs.length / 2)]!.event_timestamp.getTime();
    const dayStart = day - (day % 86_400_000);
    const str = (ms: number) => new Date(ms).toISOString().slice(0, 19);
    type Q = { name: string; shapes: string[]; run: (c: Collection<Document>) => Promise<unknown> };
    const coll = (shape: string) => client.db(`probe_${shape}`).collection<Document>('events');
    const all = Object.keys(shapes);
    const queries = (
      [
        {
          name: 'ne sort1 limit100',
          shapes: all,
          run: (c) =>
            c
              .find({ archived: { $ne: true } })
              .sort({ event_timestamp: -1 })
              .limit(100)
              .toArray(),
        },
        {
          name: 'ne sort2 limit100',
          shapes: all,
          run: (c) =>
            c
              .find({ archived: { $ne: true } })
              .sort({ event_timestamp: -1, _id: -1 })
              .limit(100)
              .toArray(),
        },
        {
          name: 'ne sort2 skip0 limit100',
          shapes: ['ours'],
          run: (c) =>
            c
              .find({ archived: { $ne: true } })
              .sort({ event_timestamp: -1, _id: -1 })
              .skip(0)
              .limit(100)
              .toArray(),
        },
        {
          name: 'none sort2 limit100',
          shapes: ['ours', 'madsci'],
          run: (c) => c.find({}).sort({ event_timestamp: -1, _id: -1 }).limit(100).toArray(),
        },
        {
          name: 'eqfalse sort2 limit100',
          shapes: ['ours', 'compact'],
          run: (c) => c.find({ archived: false }).sort({ event_timestamp: -1, _id: -1 }).limit(100).toArray(),
        },
        {
          name: 'nor sort2 limit100',
          shapes: ['ours', 'compact', 'minimal'],
          run: (c) =>
            c
              .find({ $nor: [{ archived: true }] })
              .sort({ event_timestamp: -1, _id: -1 })
              .limit(100)
              .toArray(),
        },
        {
          name: 'ne nosort limit100',
          shapes: ['ours', 'madsci'],
          run: (c) =>
            c
              .find({ archived: { $ne: true } })
              .limit(100)
              .toArray(),
        },
        {
          name: 'selector (madsci strings, no sort)',
          shapes: ['madsci'],
          run: (c) =>
            c
              .find({
                event_type: 'workflow_complete',
                event_timestamp: { $gte: str(dayStart), $lt: str(dayStart + 86_400_000) },
              })
              .toArray(),
        },
        {
          name: 'selector (dates) sort2 limit1000',
          shapes: ['ours', 'compact', 'minimal'],
          run: (c) =>
            c
              .find({
                event_type: 'workflow_complete',
                event_timestamp: { $gte: new Date(dayStart), $lt: new Date(dayStart + 86_400_000) },
              })
              .sort({ event_timestamp: -1, _id: -1 })
              .limit(1000)
              .toArray(),
        },
      ] as Q[]
    ).filter((q) => only.length === 0 || only.some((o) => q.name.includes(o)));
    const results = new Map<string, { wall: number[]; cpu: number[] }>();
    for (const q of queries) for (const s of q.shapes) await q.run(coll(s)); // warm
    for (let r = 0; r < rounds; r++) {
      for (const q of queries) {
        const order = r % 2 ? [...q.shapes].reverse() : q.shapes;
        for (const s of order) {
          const c0 = cpuMs(pid);
          const t0 = performance.now();
          await q.run(coll(s));
          const wall = performance.now() - t0;
          const cpu = cpuMs(pid) - c0;
          const key = `${q.name} | ${s}`;
          const entry = results.get(key) ?? { wall: [], cpu: [] };
          entry.wall.push(wall);
          entry.cpu.push(cpu);
          results.set(key, entry);
        }
      }
    }
    for (const [key, { wall, cpu }] of results)
      console.log(
        `${key.padEnd(55)} wall ${median(wall).toFixed(0).padStart(6)} ms  ferret cpu ${median(cpu).toFixed(0).padStart(6)} ms`,
      );

    // Inserts, one at a time: shape x indexes.
    if (process.env.PROBE_INSERTS !== '0') {
      // The events' indexes as the model defines them (the store no longer builds them on FerretDB v1).
      const ourIndexes = async (db: string) => {
        const indexes = buildSchema(StoredEvent)
          .indexes()
          .map(([key, options]) => ({ ...options, key }) as IndexDescription);
        await client.db(db).collection('events').createIndexes(indexes);
      };
      const configs: { name: string; shape: (d: EventDocument) => Document; indexes: (db: string) => Promise<void> }[] =
        [
          {
            name: 'madsci shape, madsci indexes',
            shape: (d) => toMadsciEvent(d),
            indexes: async (db) => {
              const c = client.db(db).collection('events');
              await c.createIndex({ event_timestamp: 1 });
              await c.createIndex({ log_level: 1 });
              await c.createIndex({ archived: 1 });
              await c.createIndex({ archived: 1, archived_at: 1 });
            },
          },
          { name: 'ours shape, our indexes', shape: (d) => d as unknown as Document, indexes: ourIndexes },
          { name: 'ours shape, no indexes', shape: (d) => d as unknown as Document, indexes: async () => {} },
          { name: 'compact shape, no indexes', shape: compact, indexes: async () => {} },
        ];
      const n = 300;
      const ins = new Map<string, { wall: number[]; cpu: number[] }>();
      for (const cfg of configs) {
        const db = `probe_ins_${configs.indexOf(cfg)}`;
        await cfg.indexes(db);
        await client.db(db).collection<Document>('events').insertMany(docs.slice(0, 2000).map(cfg.shape));
      }
      for (let r = 0; r < rounds; r++) {
        for (const cfg of r % 2 ? [...configs].reverse() : configs) {
          const c = client.db(`probe_ins_${configs.indexOf(cfg)}`).collection<Document>('events');
          const batch = docs
            .slice(2000 + ((r * n) % (docs.length - 2000 - n)))
            .slice(0, n)
            .map(cfg.shape);
          const c0 = cpuMs(pid);
          const t0 = performance.now();
          for (const d of batch) await c.insertOne({ ...d, _id: `${d._id}-${r}` as never });
          const wall = (performance.now() - t0) / n;
          const cpu = (cpuMs(pid) - c0) / n;
          const e = ins.get(cfg.name) ?? { wall: [], cpu: [] };
          e.wall.push(wall);
          e.cpu.push(cpu);
          ins.set(cfg.name, e);
        }
      }
      for (const [key, { wall, cpu }] of ins)
        console.log(
          `insertOne ${key.padEnd(40)} wall ${median(wall).toFixed(3)} ms  ferret cpu ${median(cpu).toFixed(3)} ms`,
        );
    }
  } finally {
    await client.close();
    await ferret.stop();
  }
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
