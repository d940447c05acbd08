import path from 'node:path';
import type { Config } from '../core/config';
import type { Logger } from '../core/logger';
import type { EventStore } from './event-store';
import { MongoEventStore } from './mongo/mongo-event-store';
import { SqliteEventStore } from './sqlite/sqlite-event-store';

/** MongoDB when configured, else the embedded SQLite file `<DATA_DIR>/events.db`. Not yet initialised. */
export function createStore(config: Config, logger: Logger): EventStore {
  if (config.mongo) {
    return new MongoEventStore({
      ...config.mongo,
      onWarning: (message, error) => logger.warn({ err: error }, message),
    });
  }
  return new SqliteEventStore(path.join(config.dataDir, 'events.db'), {
    onProgress: (message) => logger.info(message),
  });
}
