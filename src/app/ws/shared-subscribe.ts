import {
  createSourceEventStream,
  execute,
  print,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
} from 'graphql';

type MaybePromise<T> = T | Promise<T>;

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function';

/**
 * graphql-js `subscribe`, with the per-event execution shared between subscriptions: one live
 * event reaches every subscriber as the same object, and subscriptions with the same operation
 * text and variables (a thousand dashboards running the same query) then get the same result, so
 * it is computed once per event instead of once per subscriber. Otherwise identical to graphql-js
 * (source stream from `createSourceEventStream`, each event executed with it as `rootValue`).
 *
 * The shared result is computed with the context of whichever subscription asked first: fields
 * under `Subscription` must not depend on who asks (authorization belongs at subscribe time,
 * where each subscription runs its own `subscribe` and validation). Results are kept per event
 * object in a WeakMap, so they go when the event does.
 */
export function createSharedSubscribe(): (
  args: ExecutionArgs,
) => Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
  const documentKeys = new WeakMap<DocumentNode, string>();
  const results = new WeakMap<object, Map<string, MaybePromise<ExecutionResult>>>();
  const documentKey = (document: DocumentNode) => {
    let key = documentKeys.get(document);
    if (key === undefined) {
      key = document.loc?.source.body ?? print(document);
      documentKeys.set(document, key);
    }
    return key;
  };
  return async (args) => {
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source;
    const key = `${args.operationName ?? ''}\u0000${documentKey(args.document)}\u0000${JSON.stringify(args.variableValues ?? {})}`;
    return mapAsyncIterator(source, (payload) => {
      if (typeof payload !== 'object' || payload === null) return execute({ ...args, rootValue: payload });
      let byKey = results.get(payload);
      if (!byKey) {
        byKey = new Map();
        results.set(payload, byKey);
      }
      let result = byKey.get(key);
      if (result === undefined) {
        result = execute({ ...args, rootValue: payload });
        byKey.set(key, result);
      }
      return result;
    });
  };
}

/** Maps each value of an async iterable; `return` and `throw` reach the source (graphql-js's own helper is internal). */
function mapAsyncIterator<T, U>(iterable: AsyncIterable<T>, map: (value: T) => MaybePromise<U>): AsyncGenerator<U> {
  const iterator = iterable[Symbol.asyncIterator]();
  const step = async (result: IteratorResult<T>): Promise<IteratorResult<U>> => {
    if (result.done) return { done: true, value: undefined };
    try {
      return { done: false, value: await map(result.value) };
    } catch (error) {
      await iterator.return?.().catch(() => undefined);
      throw error;
    }
  };
  const mapped: AsyncGenerator<U> = {
    next: async () => step(await iterator.next()),
    return: async () => (iterator.return ? step(await iterator.return()) : { done: true, value: undefined }),
    throw: async (error?: unknown) => {
      if (iterator.throw) return step(await iterator.throw(error));
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return mapped;
}
