import {
  createSourceEventStream,
  execute,
  print,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLError,
} from 'graphql';

type MaybePromise<T> = T | Promise<T>;

/** Where one subscription's frames go: its socket and its graphql-ws id. */
export interface FrameTarget {
  /** The subscription's id, as the client chose it. */
  id: string;
  /** Whether the socket can still take frames. */
  open(): boolean;
  /**
   * Writes one text frame whose payload is `prefix` then `body`, without waiting for it to be
   * flushed (back-pressure is `bufferedAmount`). `body` is shared by every socket the event goes
   * to: it must not be changed.
   */
  send(prefix: Buffer, body: Buffer): void;
}

/** A result as it goes on the wire, encoded once for every subscriber of the same operation. */
interface EncodedResult {
  /** UTF-8 of `JSON.stringify` of the `next` message's payload (errors formatted), then the message's closing `}`. */
  body: Buffer;
  /** The result's errors (for the error metrics), or null. */
  errors: readonly GraphQLError[] | null;
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function';

/** Options of {@link createSharedFrameSubscribe}. */
export interface SharedFrameOptions {
  /** The subscription's frame target, from its context (set by the door's `context` hook); null: no socket. */
  targetOf: (contextValue: unknown) => FrameTarget | null;
  /** The payload of a `next` message for a result: errors formatted as the door formats them. */
  toPayload: (result: ExecutionResult) => unknown;
  /** Called once per frame sent whose result has errors (metrics). */
  onErrorsSent?: (errors: readonly GraphQLError[]) => void;
}

/**
 * graphql-js `subscribe` for the graphql-ws door, with each live event encoded once per distinct
 * operation and sent as the same frame text to every socket that runs it: subscriptions with the
 * same operation text, operation name and variables (a thousand dashboards running the same
 * query, with the same filter) share one `execute` and one `JSON.stringify` of the result per
 * event. A `next` frame is `{"id":<id>,"type":"next","payload":<payload>}`: only the id differs
 * per subscription, so each frame is a prefix encoded once per subscription and the payload with
 * its closing `}`, encoded to UTF-8 once per event and operation: the same bytes go to every
 * socket.
 *
 * The frames are written to the socket here, in event order, as the subscription's source
 * (a live `Subscriber`) hands events out; back-pressure is the socket's `bufferedAmount`, which
 * the subscriber checks as events arrive (SLOW_CONSUMER). To graphql-ws the subscription is an
 * async iterator that yields nothing and ends when the source ends (complete) or fails (an
 * `error` frame, after every frame already written), and whose `return` (the client's complete,
 * the socket closing) stops the sending at once. Everything else (subscribe, validation, hooks,
 * ping/pong, errors) stays graphql-ws's. Without a frame target (a caller outside the door) the
 * results are yielded as graphql-js would.
 *
 * The shared result is computed with the context of whichever subscription asked first: fields
 * under `Subscription` must not depend on who asks (authorization belongs at subscribe time,
 * where each subscription runs its own `subscribe` and validation). Encoded results are kept per
 * event object in a WeakMap, so they go when the event does.
 */
export function createSharedFrameSubscribe(
  options: SharedFrameOptions,
): (args: ExecutionArgs) => Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
  const documentKeys = new WeakMap<DocumentNode, string>();
  const results = new WeakMap<object, Map<string, MaybePromise<ExecutionResult>>>();
  const encoded = new WeakMap<object, Map<string, MaybePromise<EncodedResult>>>();
  const documentKey = (document: DocumentNode) => {
    let key = documentKeys.get(document);
    if (key === undefined) {
      key = document.loc?.source.body ?? print(document);
      documentKeys.set(document, key);
    }
    return key;
  };
  /** A per-event cache entry of `cache` for `key`, computed by `make` on first use. */
  const shared = <T>(cache: WeakMap<object, Map<string, T>>, event: object, key: string, make: () => T): T => {
    let byKey = cache.get(event);
    if (!byKey) {
      byKey = new Map();
      cache.set(event, byKey);
    }
    let value = byKey.get(key);
    if (value === undefined) {
      value = make();
      byKey.set(key, value);
    }
    return value;
  };
  const encode = (result: ExecutionResult): EncodedResult => ({
    body: Buffer.from(`${JSON.stringify(options.toPayload(result))}}`),
    errors: result.errors && result.errors.length > 0 ? result.errors : null,
  });

  return async (args) => {
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source;
    const key = `${args.operationName ?? ''}\u0000${documentKey(args.document)}\u0000${JSON.stringify(args.variableValues ?? {})}`;
    const run = (event: unknown) => execute({ ...args, rootValue: event });
    const target = options.targetOf(args.contextValue);
    if (!target) {
      return mapAsyncIterator(source, (event) =>
        typeof event === 'object' && event !== null ? shared(results, event, key, () => run(event)) : run(event),
      );
    }
    const encodedFor = (event: unknown): MaybePromise<EncodedResult> => {
      const make = (): MaybePromise<EncodedResult> => {
        const result = run(event);
        return isPromise(result) ? result.then(encode) : encode(result);
      };
      return typeof event === 'object' && event !== null ? shared(encoded, event, key, make) : make();
    };
    return sendFrames(source, target, encodedFor, options.onErrorsSent);
  };
}

/** A source that can hand out at once the events it already holds (a live `Subscriber`). */
interface ReadyEvents {
  /** The events held now, in order, removed from the source; none when it has to wait (a replay) or has ended. */
  takeReady(): readonly unknown[];
}

const hasReadyEvents = (iterator: unknown): iterator is ReadyEvents =>
  typeof (iterator as Partial<ReadyEvents> | null)?.takeReady === 'function';

const isPromise = <T>(value: MaybePromise<T>): value is Promise<T> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/**
 * Pulls `source` and writes one `next` frame per event to `target`, in order; see
 * {@link createSharedFrameSubscribe}. Returns the iterator graphql-ws runs the subscription by.
 */
function sendFrames(
  source: AsyncIterable<unknown>,
  target: FrameTarget,
  encodedFor: (event: unknown) => MaybePromise<EncodedResult>,
  onErrorsSent: ((errors: readonly GraphQLError[]) => void) | undefined,
): AsyncGenerator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  const prefix = Buffer.from(`{"id":${JSON.stringify(target.id)},"type":"next","payload":`);
  let stopped = false;
  const send = ({ body, errors }: EncodedResult) => {
    if (stopped || !target.open()) return;
    target.send(prefix, body);
    if (errors) onErrorsSent?.(errors);
  };
  const ready = hasReadyEvents(iterator) ? () => iterator.takeReady() : null;
  const pump = async (): Promise<void> => {
    while (!stopped) {
      const step = await iterator.next();
      if (step.done || stopped) return;
      const result = encodedFor(step.value);
      send(isPromise(result) ? await result : result);
      // What the source already holds goes out now, in order, without a wait per event.
      if (!ready || stopped) continue;
      for (const event of ready()) {
        const more = encodedFor(event);
        send(isPromise(more) ? await more : more);
        if (stopped) return;
      }
    }
  };
  // Ends as the source ends; a failure of the source (SLOW_CONSUMER, a failed replay) or of an
  // encoding rejects, after every frame before it was written, and graphql-ws sends the error.
  const finished = pump().catch(async (error: unknown) => {
    stopped = true;
    await iterator.return?.()?.catch(() => undefined);
    throw error;
  });
  // graphql-ws always waits on `next` while the subscription runs; should it stop waiting first,
  // a late failure must not become an unhandled rejection.
  finished.catch(() => undefined);
  const done = (): IteratorResult<ExecutionResult> => ({ done: true, value: undefined });
  const stop = async (): Promise<IteratorResult<ExecutionResult>> => {
    stopped = true;
    await iterator.return?.();
    return done();
  };
  const frames: AsyncGenerator<ExecutionResult> = {
    next: async () => {
      await finished;
      return done();
    },
    return: stop,
    throw: async (error?: unknown) => {
      await stop();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return frames;
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
