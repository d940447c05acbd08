import type { EventStore } from './event-store';

/**
 * The store calls whose failures reach callers. `init` and `close` are left out: a server that
 * cannot start reports the driver's own words to its operator.
 */
const STORE_CALLS = [
  'ping',
  'insertMany',
  'findByIds',
  'find',
  'exists',
  'count',
  'stream',
  'findIds',
  'setArchived',
  'deleteMany',
  'replaceAll',
  'mergeAll',
  'countGroups',
  'acquireLease',
  'releaseLease',
] as const satisfies readonly Exclude<keyof EventStore, 'init' | 'close' | 'engine'>[];

/**
 * Makes every {@link EventStore} call of a store class report its failures through `translate`
 * (a driver's outage errors become `StoreUnavailableError`), once, on the class's prototype: the
 * promise-returning calls and the `stream` iterables alike. Methods keep their names and `this`.
 */
export function translateStoreErrors(
  storeClass: { prototype: EventStore },
  translate: (error: unknown) => unknown,
): void {
  const proto = storeClass.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of STORE_CALLS) {
    const method = proto[name];
    if (!method) continue; // an optional call the store does not have
    if (name === 'stream') {
      proto[name] = async function* (this: unknown, ...args: unknown[]) {
        try {
          yield* method.apply(this, args) as AsyncIterable<unknown>;
        } catch (error) {
          throw translate(error);
        }
      };
    } else {
      proto[name] = async function (this: unknown, ...args: unknown[]) {
        try {
          return await method.apply(this, args);
        } catch (error) {
          throw translate(error);
        }
      };
    }
  }
}
