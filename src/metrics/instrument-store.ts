import { traced } from '../core/tracing';
import type { EventStore } from '../store/event-store';
import { metrics } from './metrics';

/** Calls not timed: start-up, shutdown, and `stream` (its time is the consumer's pace). */
const UNTIMED = new Set<PropertyKey>(['init', 'close', 'stream', 'constructor']);

/**
 * The same store, with a span per call when tracing is on, and the latency of every promise-returning call recorded in
 * `lab_events_db_operation_duration_seconds` (label `operation` = method name). A Proxy, so
 * methods added to {@link EventStore} later are timed too, and `instanceof` still holds.
 */
export function instrumentStore<S extends EventStore>(store: S): S {
  // Keyed by name, remembering which function was wrapped: a method replaced on the store
  // (a test spying on calls) is wrapped anew rather than bypassed.
  const wrapped = new Map<PropertyKey, { method: unknown; timed: unknown }>();
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || UNTIMED.has(property) || typeof property !== 'string') return value;
      const cached = wrapped.get(property);
      if (cached?.method === value) return cached.timed;
      const method = value as (...args: unknown[]) => unknown;
      const timed = function (this: unknown, ...args: unknown[]): unknown {
        const stop = metrics.dbDuration.startTimer({ engine: target.engine, operation: property });
        let result: unknown;
        try {
          // A span per store call when tracing is on (docs/opentelemetry.md#trace-the-server).
          result = traced(
            `${target.engine} ${property}`,
            { attributes: { 'db.system.name': target.engine, 'db.operation.name': property } },
            () => method.apply(target, args),
          );
        } catch (error) {
          stop({ outcome: 'error' });
          throw error;
        }
        if (result instanceof Promise) {
          return result.then(
            (resolved: unknown) => {
              stop({ outcome: 'ok' });
              return resolved;
            },
            (error: unknown) => {
              stop({ outcome: 'error' });
              throw error;
            },
          );
        }
        return result;
      };
      wrapped.set(property, { method: value, timed });
      return timed;
    },
  });
}
