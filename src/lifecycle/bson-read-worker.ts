/**
 * Reading a backup's data file (`<collection>.bson.gz`) on a worker thread: the file is read,
 * hashed (SHA-256), gunzipped, cut into BSON documents and decoded there, and the documents come
 * to the caller in chunks, so a restore decodes the next chunks while it stores the current ones
 * (docs/performance.md#backup-and-restore). A bounded number of chunks is decoded ahead of the
 * caller, so memory stays flat whatever the size of the file.
 *
 * A chunk crosses as JSON text (which the caller parses several times faster than it would decode
 * BSON or a structured clone) plus the top-level dates (`event_timestamp`, `received_at`,
 * `archived_at`) as numbers. Only documents that JSON keeps exactly take that way: valid top-level
 * dates, and otherwise strings, finite numbers (not -0), booleans, null, plain objects and arrays
 * (what this server writes). Any other document (an ObjectId `_id`, a Long, a Decimal128, binary
 * data, a date inside `event_data`... from another writer) crosses as its BSON bytes and is
 * decoded by the caller, so every document reads exactly as BSON decoding makes it.
 */
import { Worker } from 'node:worker_threads';
import { BSON } from 'bson';
import { BackupFormatError } from './backup.format';

/** Largest BSON document MongoDB stores (16 MiB) plus room for its own overhead. */
const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024 + 16 * 1024;
/** Documents per message from the worker, at most (see {@link CHUNK_BYTES}). */
const CHUNK = 1000;
/** A message from the worker goes once its documents reach this many BSON bytes (or {@link CHUNK} documents). */
const CHUNK_BYTES = 2 * 1024 * 1024;
/**
 * The worker's young generation: decoding makes short-lived objects fast, and V8's default (a
 * 48 MiB young generation, grown over a long run) added about 80 MiB to a 1 000 000-event restore's
 * peak memory, more the longer the file; this size keeps it flat, with no measurable change in the
 * worker's CPU time.
 */
const YOUNG_GENERATION_MB = 8;

/**
 * The worker's code, evaluated as CommonJS (it needs only Node and bson, so it runs the same under
 * tsx, vitest and the compiled server). Messages to the parent: `{ json, dates, raws }` per chunk,
 * `{ end: { sha256, bytes, count } }` once the file was read to its end, or `{ error }`. Each
 * message from the parent lets it decode one more chunk ahead.
 */
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Transform } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const zlib = require('node:zlib');
const { BSON } = require(workerData.bson);
const { file, chunk: batchSize, chunkBytes, decode, ahead, maxDocumentBytes } = workerData;
const name = path.basename(file);

class FormatError extends Error {}

let credit = ahead;
let wake = null;
parentPort.on('message', () => {
  credit++;
  if (wake) {
    const resume = wake;
    wake = null;
    resume();
  }
});

const objectProto = Object.prototype;
/** Whether JSON text keeps this value exactly: strings, finite numbers but -0, booleans, null, plain objects and arrays. */
function jsonSafe(value) {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object':
      break;
    default:
      return false;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!jsonSafe(value[i])) return false;
    return true;
  }
  if (Object.getPrototypeOf(value) !== objectProto) return false;
  for (const key in value) if (!jsonSafe(value[key])) return false;
  return true;
}

const DATE_SLOTS = { event_timestamp: 0, received_at: 1, archived_at: 2 };
/**
 * Makes a decoded document ready for JSON: its top-level date fields (valid dates) move to
 * dates[base .. base + 2] (NaN where none); false when anything else is not JSON-safe.
 */
function prepare(doc, dates, base) {
  dates[base] = dates[base + 1] = dates[base + 2] = NaN;
  for (const key in doc) {
    const value = doc[key];
    if (value instanceof Date && Object.hasOwn(DATE_SLOTS, key)) {
      const time = value.getTime();
      if (time !== time) return false;
      dates[base + DATE_SLOTS[key]] = time;
      doc[key] = undefined;
    } else if (!jsonSafe(value)) return false;
  }
  return true;
}

async function run() {
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  const gunzip = zlib.createGunzip();
  const done = pipeline(fs.createReadStream(file), tap, gunzip);
  done.catch(() => undefined);
  let pending = Buffer.alloc(0);
  let offset = 0;
  let count = 0;
  let docs = [];
  let raws = [];
  let docBytes = 0;
  let dates = new Float64Array(batchSize * 3);
  const send = () => {
    const batch = { json: JSON.stringify(docs), dates: dates.subarray(0, docs.length * 3), raws };
    parentPort.postMessage(batch, [dates.buffer]);
    docs = [];
    raws = [];
    docBytes = 0;
    dates = new Float64Array(batchSize * 3);
  };
  for await (const chunk of gunzip) {
    pending = offset < pending.length ? Buffer.concat([pending.subarray(offset), chunk]) : chunk;
    offset = 0;
    while (pending.length - offset >= 4) {
      const size = pending.readInt32LE(offset);
      if (size < 5 || size > maxDocumentBytes)
        throw new FormatError('corrupt BSON in ' + name + ': a document claims ' + size + ' bytes');
      if (pending.length - offset < size) break;
      const bson = pending.subarray(offset, offset + size);
      let doc;
      try {
        doc = BSON.deserialize(bson);
      } catch (error) {
        throw new FormatError('corrupt BSON in ' + name + ': ' + error.message);
      }
      offset += size;
      const id = doc._id;
      if (typeof id !== 'string' && (id === null || typeof id !== 'object'))
        throw new FormatError('document ' + count + ' has no _id');
      count++;
      if (!decode) continue;
      if (prepare(doc, dates, docs.length * 3)) docs.push(doc);
      else {
        docs.push(null);
        raws.push(new Uint8Array(bson));
      }
      docBytes += size;
      if (docs.length >= batchSize || docBytes >= chunkBytes) {
        while (credit <= 0) await new Promise((resolve) => (wake = resolve));
        credit--;
        send();
      }
    }
  }
  await done;
  if (pending.length - offset > 0) throw new FormatError(name + ' ends inside a document (truncated)');
  if (docs.length > 0) send();
  parentPort.postMessage({ end: { sha256: hash.digest('hex'), bytes, count } });
}

run().catch((error) => {
  const format = error instanceof FormatError;
  const message = format ? error.message : 'cannot read ' + name + ': ' + (error && error.message);
  parentPort.postMessage({ error: message });
});
`;

/** What reading a data file to its end found: its SHA-256 and size (compressed) and its documents. */
export interface DataFileDigest {
  sha256: string;
  bytes: number;
  count: number;
}

/** A batch: JSON text of an array (null in place of each document sent as BSON), 3 dates per document, the BSON. */
interface Batch {
  json: string;
  dates: Float64Array;
  raws: Uint8Array[];
}

type WorkerMessage = Batch | { end: DataFileDigest } | { error: string };

const DATE_FIELDS = ['event_timestamp', 'received_at', 'archived_at'] as const;

/** The documents of a batch (see the worker's `prepare`). */
function documentsOf({ json, dates, raws }: Batch): Record<string, unknown>[] {
  const docs = JSON.parse(json) as (Record<string, unknown> | null)[];
  let next = 0;
  return docs.map((doc, i) => {
    if (doc === null) return BSON.deserialize(raws[next++]!);
    for (let slot = 0; slot < 3; slot++) {
      const time = dates[i * 3 + slot]!;
      if (time === time) doc[DATE_FIELDS[slot]!] = new Date(time);
    }
    return doc;
  });
}

/**
 * The documents of a `.bson.gz` file, in file order, in chunks of up to 1 000, decoded on a
 * worker thread at most about `ahead` documents ahead of the caller: as many as the caller stores
 * at once (a SQLite transaction), so that decoding the next batch overlaps storing this one, and no
 * more (memory; a restore whose file is cut short while it loads must still see it cut). Every
 * document must have an `_id` (a string or an object). Once the last chunk was taken, `digest`
 * (when given) holds the file's SHA-256, size and document count. With `decode: false` the file is only read, checked and counted: nothing is
 * yielded. Stopping early ends the worker.
 * @throws BackupFormatError when the file is not gzip-compressed BSON (truncated, corrupt) or a
 *   document has no `_id`.
 */
export async function* readBsonGzChunks(
  file: string,
  options: { ahead: number; digest?: DataFileDigest; decode?: boolean },
): AsyncGenerator<Record<string, unknown>[]> {
  const ahead = Math.max(1, options.ahead);
  const chunk = Math.min(CHUNK, Math.ceil(ahead / 2));
  const worker = new Worker(SOURCE, {
    eval: true,
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    workerData: {
      file,
      chunk,
      chunkBytes: CHUNK_BYTES,
      decode: options.decode ?? true,
      ahead: Math.ceil(ahead / chunk),
      maxDocumentBytes: MAX_DOCUMENT_BYTES,
      bson: require.resolve('bson'),
    },
  });
  const inbox: WorkerMessage[] = [];
  let failure: Error | null = null;
  let notify: (() => void) | null = null;
  const wakeUp = () => {
    const resume = notify;
    notify = null;
    resume?.();
  };
  worker.on('message', (message: WorkerMessage) => {
    inbox.push(message);
    wakeUp();
  });
  worker.on('error', (error) => {
    failure ??= error;
    wakeUp();
  });
  worker.on('exit', (code) => {
    failure ??= new Error(`the backup reader stopped (exit code ${code})`);
    wakeUp();
  });
  try {
    for (;;) {
      while (inbox.length === 0) {
        if (failure) throw failure;
        await new Promise<void>((resolve) => (notify = resolve));
      }
      const message = inbox.shift()!;
      if ('error' in message) throw new BackupFormatError(message.error);
      if ('end' in message) {
        if (options.digest) Object.assign(options.digest, message.end);
        return;
      }
      // Credit for the next chunk first, so the worker decodes it while this one is used.
      worker.postMessage(0);
      yield documentsOf(message);
    }
  } finally {
    worker.removeAllListeners();
    await worker.terminate();
  }
}
