import type { RequestHandler } from 'express';
import type { EventStore } from '../../store/event-store';
import { metrics, registry } from '../../metrics/metrics';

/**
 * `GET /metrics`: Prometheus text. Each scrape pings the database once (through the instrumented
 * store, so the ping lands in the latency histogram) and sets `lab_events_db_up`.
 */
export function metricsHandler(store: EventStore): RequestHandler {
  return async (_req, res, next) => {
    try {
      const ping = await store.ping();
      metrics.dbUp.set({ engine: store.engine }, ping.connected ? 1 : 0);
      res.setHeader('Content-Type', registry.contentType);
      res.setHeader('Cache-Control', 'no-store');
      res.end(await registry.metrics());
    } catch (error) {
      next(error);
    }
  };
}
