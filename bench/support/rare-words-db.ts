/**
 * SQLite databases of the page workload ({@link EventGenerator}) with a rare word in a few
 * payloads, for the store fast-path benchmark: every {@link RARE_EVERY}th event's message ends
 * in {@link RARE_WORD}. Built through `store.insertMany` and cached under the scratch directory
 * by size and workload version only (not by the store's sources: a newer store migrates an older
 * file at init, which is part of what is measured).
 */
import fs from 'node:fs';
import path from 'node:path';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-event-store';
import { progress, round, SCRATCH_DIR } from './harness';
import { EventGenerator, toDocument, WORKLOAD_VERSION } from './workload';

export const RARE_WORD = 'quench';
export const RARE_EVERY = 5000;
const INSERT_BATCH = 10_000;

/** Fills a new database with `count` generated events. */
async function build(file: string, count: number): Promise<void> {
  const store = new SqliteEventStore(file);
  await store.init();
  try {
    const generator = new EventGenerator(count, 7);
    for (let from = 0; from < count; from += INSERT_BATCH) {
      const inputs = generator.inputs(from, Math.min(count, from + INSERT_BATCH));
      const docs = inputs.map((input, k) => {
        const i = from + k;
        if (i % RARE_EVERY === RARE_EVERY - 1) {
          const data = input.eventData as Record<string, unknown>;
          data.message = `${String(data.message)}: ${RARE_WORD.toUpperCase()} alarm`;
        }
        return toDocument(input, new Date(input.eventTimestamp.getTime() + 150));
      });
      await store.insertMany(docs);
      if (count >= 100_000 && (from / INSERT_BATCH) % 20 === 19) progress(`  ${from + INSERT_BATCH} / ${count}`);
    }
  } finally {
    await store.close();
  }
}

/** A database of `count` events: from the cache, else built (into a partial file renamed when complete). */
export async function rareWordsDatabase(count: number): Promise<{ file: string; builtInSeconds: number | null }> {
  const dir = path.join(SCRATCH_DIR, 'rare-words-cache', `n${count}-w${WORKLOAD_VERSION}-r${RARE_EVERY}`);
  const file = path.join(dir, 'events.db');
  if (fs.existsSync(file)) return { file, builtInSeconds: null };
  progress(`building a database of ${count} events with a rare word (${dir})`);
  const started = performance.now();
  const partial = `${dir}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  await build(path.join(partial, 'events.db'), count);
  fs.renameSync(partial, dir);
  const seconds = (performance.now() - started) / 1000;
  progress(`built in ${seconds.toFixed(1)} s`);
  return { file, builtInSeconds: round(seconds) };
}
