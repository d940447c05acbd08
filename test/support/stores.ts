import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../src/core/config';
import type { EventStore } from '../../src/store/event-store';
import { MongoEventStore } from '../../src/store/mongo/mongo-event-store';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-event-store';

export type StoreKind = 'sqlite' | 'mongodb';

/** Both stores: every shared test runs on each. */
export const STORE_KINDS: readonly StoreKind[] = ['sqlite', 'mongodb'];

let counter = 0;

/** A unique name for a test's database or file. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`;
}

/**
 * Environment for a server of this kind: a fresh SQLite file, or a fresh database on the suite's
 * MongoDB server (FerretDB unless MONGODB_URI is given).
 */
export function storeEnv(kind: StoreKind): { env: Record<string, string>; cleanup: () => Promise<void> } {
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-test-'));
    return { env: { DATA_DIR: dir }, cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const uri = inject('mongoUri');
  const database = uniqueName('test');
  return {
    env: { MONGODB_URI: uri, MONGODB_DATABASE: database },
    cleanup: async () => {
      const client = new MongoClient(uri);
      try {
        await client.db(database).dropDatabase();
      } finally {
        await client.close();
      }
    },
  };
}

/** Configuration for tests: port 0, quiet logs, plus the given environment. */
export function testConfig(env: Record<string, string>): Config {
  return loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env });
}

/** A fresh, initialised store of this kind, and how to dispose of it. */
export async function openStore(kind: StoreKind): Promise<{ store: EventStore; dispose: () => Promise<void> }> {
  const { env, cleanup } = storeEnv(kind);
  const config = testConfig(env);
  const store = config.mongo
    ? new MongoEventStore(config.mongo)
    : new SqliteEventStore(path.join(config.dataDir, 'events.db'));
  await store.init();
  return {
    store,
    dispose: async () => {
      await store.close();
      await cleanup();
    },
  };
}
