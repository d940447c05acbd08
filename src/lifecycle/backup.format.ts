/**
 * The on-disk format of a backup: mongodump's `--gzip` layout, so `mongorestore --gzip` can load
 * it, plus a manifest of our own.
 *
 * ```
 * <backup>/manifest.json                          ours: creation time, description, count, sha256 of every file
 * <backup>/<database>/<collection>.bson.gz        the documents: concatenated BSON, gzip
 * <backup>/<database>/<collection>.metadata.json.gz   mongodump's collection metadata (indexes, options)
 * ```
 *
 * Documents are the stored shape (MADSci's snake_case keys, BSON dates), written and read as
 * streams so that memory stays flat whatever the number of events (read on a worker thread:
 * bson-read-worker.ts).
 */
import crypto, { type Hash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { BSON, EJSON } from 'bson';
import { z } from 'zod';
import type { EventDocument } from '../store/event-document';

/** `format` of our manifests. */
export const BACKUP_FORMAT = 'lab-events-backup';
/** Version of the layout and manifest; readers refuse versions they do not know. */
export const BACKUP_FORMAT_VERSION = 1;
/** File name of the manifest inside a backup directory. */
export const MANIFEST_FILE = 'manifest.json';

/** gzip level of the data file: close to mongodump's default ratio, several times faster. */
const GZIP_LEVEL = 4;
/** Serialized documents are handed to gzip in chunks of about this size. */
const WRITE_CHUNK_BYTES = 256 * 1024;

const fileEntry = z.object({
  path: z.string().min(1).max(512),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/** The manifest as stored (`manifest.json`). */
const ManifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  formatVersion: z.number().int().positive(),
  createdAt: z.iso.datetime(),
  description: z.string().nullable(),
  engine: z.string(),
  serverVersion: z.string(),
  database: z.string().min(1),
  collection: z.string().min(1),
  eventCount: z.number().int().nonnegative(),
  /** Path of the data file (`<database>/<collection>.bson.gz`), also listed in `files`. */
  dataFile: z.string().min(1),
  files: z.array(fileEntry).min(1),
});

/** A backup's manifest: what it holds and the checksum of every file. */
export type BackupManifest = z.infer<typeof ManifestSchema>;

/** A file of a backup with its size and SHA-256. */
export type BackupFile = z.infer<typeof fileEntry>;

/** Thrown when a backup cannot be read or fails verification. */
export class BackupFormatError extends Error {
  override name = 'BackupFormatError';
}

/**
 * A relative path inside a backup (`a/b.bson.gz`), or null when it is absolute, empty, uses `.`
 * or `..` segments or backslashes: such a manifest could point outside its directory.
 */
export function safeRelativePath(text: string): string | null {
  if (text.includes('\0') || text.includes('\\') || path.posix.isAbsolute(text)) return null;
  const segments = text.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return null;
  return segments.join(path.sep);
}

/** Reads and checks `manifest.json`. @throws BackupFormatError */
export async function readManifest(dir: string): Promise<BackupManifest> {
  let text: string;
  try {
    text = await fsp.readFile(path.join(dir, MANIFEST_FILE), 'utf8');
  } catch (error) {
    throw new BackupFormatError(`no readable ${MANIFEST_FILE}: ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BackupFormatError(`${MANIFEST_FILE} is not JSON`);
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success)
    throw new BackupFormatError(
      `${MANIFEST_FILE} is not a ${BACKUP_FORMAT} manifest: ${parsed.error.issues[0]?.message ?? ''}`,
    );
  const manifest = parsed.data;
  if (manifest.formatVersion > BACKUP_FORMAT_VERSION) {
    throw new BackupFormatError(
      `backup format version ${manifest.formatVersion} is newer than this server reads (${BACKUP_FORMAT_VERSION})`,
    );
  }
  for (const file of manifest.files) {
    if (safeRelativePath(file.path) === null)
      throw new BackupFormatError(`${MANIFEST_FILE} names a file outside the backup: ${JSON.stringify(file.path)}`);
  }
  if (!manifest.files.some((file) => file.path === manifest.dataFile))
    throw new BackupFormatError(`${MANIFEST_FILE} does not list its data file`);
  return manifest;
}

/** Writes the manifest, flushed to disk. */
export async function writeManifest(dir: string, manifest: BackupManifest): Promise<void> {
  await writeFileSynced(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** A file's absolute path inside a backup directory. @throws BackupFormatError for an unsafe path */
export function backupFilePath(dir: string, relative: string): string {
  const safe = safeRelativePath(relative);
  if (safe === null) throw new BackupFormatError(`unsafe path in backup: ${JSON.stringify(relative)}`);
  return path.join(dir, safe);
}

/** Passes bytes through, feeding them to a hash and counting them. */
function hashTap(hash: Hash, counter: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      counter.bytes += chunk.length;
      callback(null, chunk);
    },
  });
}

/** SHA-256 (hex) and size of a file, read as a stream. */
export async function hashFile(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  for await (const chunk of fs.createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Writes a small file and flushes it to disk. */
async function writeFileSynced(file: string, data: string | Buffer): Promise<void> {
  const handle = await fsp.open(file, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes documents as mongodump's `<collection>.bson.gz`: each document BSON-serialized,
 * concatenated, gzip-compressed, streamed (memory stays flat). Returns how many documents were
 * written and the file's size and SHA-256.
 * @throws Error naming the event when a document cannot be BSON (a NUL in a key, say).
 */
export async function writeBsonGz(
  file: string,
  docs: AsyncIterable<EventDocument>,
  signal?: AbortSignal,
): Promise<BackupFile & { count: number }> {
  let count = 0;
  async function* chunks(): AsyncGenerator<Buffer> {
    let parts: Buffer[] = [];
    let size = 0;
    for await (const doc of docs) {
      let bytes: Uint8Array;
      try {
        bytes = BSON.serialize(doc);
      } catch (error) {
        throw new Error(`Event ${doc._id} cannot be written as BSON: ${(error as Error).message}`, { cause: error });
      }
      parts.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      size += bytes.byteLength;
      count++;
      if (size >= WRITE_CHUNK_BYTES) {
        yield Buffer.concat(parts, size);
        parts = [];
        size = 0;
      }
    }
    if (size > 0) yield Buffer.concat(parts, size);
  }
  const hash = crypto.createHash('sha256');
  const counter = { bytes: 0 };
  await pipeline(
    Readable.from(chunks()),
    zlib.createGzip({ level: GZIP_LEVEL }),
    hashTap(hash, counter),
    // `flush`: the data is on disk before the manifest says the backup is complete.
    fs.createWriteStream(file, { flags: 'wx', flush: true }),
    { signal },
  );
  return { path: file, bytes: counter.bytes, sha256: hash.digest('hex'), count };
}

/**
 * mongodump's `<collection>.metadata.json.gz`: collection options, indexes (the `_id` index; the
 * server creates its own at start-up), a UUID, the name and type, gzip-compressed. Written in
 * canonical extended JSON (`{"$numberInt": "2"}`), as mongodump writes it: current mongorestore
 * parses metadata in canonical-only mode.
 */
export async function writeMetadataGz(file: string, collection: string): Promise<BackupFile> {
  const metadata = {
    options: {},
    indexes: [{ v: 2, key: { _id: 1 }, name: '_id_' }],
    uuid: crypto.randomUUID().replace(/-/g, ''),
    collectionName: collection,
    type: 'collection',
  };
  const data = zlib.gzipSync(EJSON.stringify(metadata, { relaxed: false }));
  await writeFileSynced(file, data);
  return { path: file, bytes: data.length, sha256: crypto.createHash('sha256').update(data).digest('hex') };
}
