/**
 * Fresh stores and servers for benchmarks: SQLite files in temporary directories, MongoDB
 * databases on `MONGODB_URI` or on a FerretDB started for the run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import type { Config } from '../../src/core/config';
import { startServer, type ServerHandle } from '../../src/app/server';
import { createLogger } from '../../src/core/logger';
import { createStore } from '../../src/store/create-store';
import type { EventStore } from '../../src/store/event-store';
import { MongoEventStore } from '../../src/store/mongo/mongo-event-store';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-event-store';
import { startFerretDb, type FerretDbHandle } from '../../test/support/ferretdb';
import { benchConfig, progress, tempDir } from './harness';

export type StoreKind = 'sqlite' | 'mongodb';

/** A MongoDB server for a benchmark: `MONGODB_URI` when set, else a FerretDB started now. */
export interface MongoServer {
  uri: string;
  /** `MONGODB_URI` or `FerretDB <version>`. */
  label: string;
  stop(): Promise<void>;
}

/** Starts (or borrows) a MongoDB-compatible server. */
export async function mongoServer(): Promise<MongoServer> {
  const given = process.env.MONGODB_URI;
  if (given) return { uri: given, label: 'MONGODB_URI', stop: async () => {} };
  progress('starting FerretDB');
  const ferret: FerretDbHandle = await startFerretDb();
  return { uri: ferret.uri, label: 'FerretDB v1.24.2 (SQLite handler)', stop: () => ferret.stop() };
}

let counter = 0;

/** Where one fresh store lives, and how to remove it. */
export interface StoreLocation {
  /** Server environment selecting this store. */
  env: Record<string, string>;
  config: Config;
  /** A new, uninitialised store object for this location. */
  open(): EventStore;
  /** Removes the file or drops the database. */
  remove(): Promise<void>;
}

/** A fresh, empty store location of this kind. */
export function freshStore(kind: StoreKind, name: string, mongo?: MongoServer): StoreLocation {
  if (kind === 'sqlite') {
    const dir = tempDir(name);
    const env = { DATA_DIR: dir };
    return {
      env,
      config: benchConfig(env),
      open: () => new SqliteEventStore(path.join(dir, 'events.db')),
      remove: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (!mongo) throw new Error('A MongoDB store needs a MongoDB server');
  const database = `bench_${name.replace(/\W/g, '_')}_${process.pid}_${counter++}`;
  const env = { MONGODB_URI: mongo.uri, MONGODB_DATABASE: database };
  const config = benchConfig(env);
  return {
    env,
    config,
    open: () => new MongoEventStore(config.mongo!),
    remove: async () => {
      const client = new MongoClient(mongo.uri);
      try {
        await client.db(database).dropDatabase();
      } finally {
        await client.close();
      }
    },
  };
}

/** Starts the real server (Express + Apollo, port 0 on loopback) over a store. */
export async function startBenchServer(config: Config, store: EventStore): Promise<ServerHandle> {
  const logger = createLogger(config.logLevel);
  return startServer({ config, store, logger });
}

/** Starts the real server over the store the configuration names. */
export async function startServerAt(location: StoreLocation): Promise<ServerHandle> {
  const logger = createLogger(location.config.logLevel);
  return startServer({ config: location.config, store: createStore(location.config, logger), logger });
}
