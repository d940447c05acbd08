import DataLoader from 'dataloader';
import type { EventDocument } from '../store/event-document';
import type { EventService } from './event.service';

/** Loads events by id, batching every lookup of one operation into one store round trip. */
export type EventLoader = DataLoader<string, EventDocument | null>;

/** Made per operation in the context factory, so nothing is cached across requests. */
export function createEventLoader(events: EventService): EventLoader {
  return new DataLoader<string, EventDocument | null>(
    async (ids) => {
      const found = await events.findByIds(ids);
      const byId = new Map(found.map((doc) => [doc._id, doc]));
      return ids.map((id) => byId.get(id) ?? null);
    },
    { maxBatchSize: 1000 },
  );
}
