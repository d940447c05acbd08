import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** The graphql-ws endpoint of a server at `http://host:port`. */
export function wsUrl(httpUrl: string): string {
  return `${httpUrl.replace(/^http/, 'ws')}/graphql`;
}

/** A graphql-ws client over `ws` (Node 20 has no global WebSocket), connecting at once, never retrying. */
export function liveClient(httpUrl: string): Client {
  return createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => undefined,
  });
}

/** What one subscription received, with promises to wait on it. */
export class Received<T> {
  readonly values: T[] = [];
  /** Errors in `next` payloads and `error` messages, as the client saw them. */
  readonly errors: GraphQLFormattedError[] = [];
  completed = false;
  private readonly waiters: { check: () => boolean; resolve: () => void }[] = [];

  constructor(readonly unsubscribe: () => void) {}

  /** Resolves when `check` holds; rejects after `timeoutMs` naming `what` (a guard, not an assertion on time). */
  until(check: (received: this) => boolean, what: string, timeoutMs = 45_000): Promise<void> {
    if (check(this)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `Timed out waiting for ${what}: ${this.values.length} values, ${this.errors.length} errors, completed=${this.completed}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push({
        check: () => check(this),
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Resolves once `count` values arrived. */
  untilCount(count: number, timeoutMs?: number): Promise<void> {
    return this.until((r) => r.values.length >= count, `${count} values`, timeoutMs);
  }

  /** Resolves once the subscription ended (completed or errored). */
  untilEnded(timeoutMs?: number): Promise<void> {
    return this.until((r) => r.completed, 'the end of the subscription', timeoutMs);
  }

  /** @internal */
  notify(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i]!;
      if (waiter.check()) {
        this.waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }
}

/** Subscribes with a typed document; `pick` takes the value out of each payload's data. */
export function subscribe<TData, TVars, T>(
  client: Client,
  document: TypedDocumentNode<TData, TVars>,
  variables: TVars,
  pick: (data: TData) => T,
): Received<T> {
  let received: Received<T> | null = null;
  const unsubscribe = client.subscribe<TData>(
    { query: print(document), variables: variables as Record<string, unknown> },
    {
      next: (result) => {
        if (result.errors) received!.errors.push(...result.errors);
        if (result.data) received!.values.push(pick(result.data as TData));
        received!.notify();
      },
      error: (error) => {
        const list = Array.isArray(error)
          ? (error as GraphQLFormattedError[])
          : [
              {
                message:
                  error instanceof Error ? error.message : String((error as { reason?: string }).reason ?? error),
              },
            ];
        received!.errors.push(...list);
        received!.completed = true;
        received!.notify();
      },
      complete: () => {
        received!.completed = true;
        received!.notify();
      },
    },
  );
  received = new Received<T>(unsubscribe);
  return received;
}

/** A graphql-transport-ws message as it travels on the wire. */
export interface WireMessage {
  type: string;
  id?: string;
  payload?: unknown;
}

/**
 * A graphql-ws connection spoken by hand over `ws`, for what the client library hides: never
 * initialising, not answering pings (`autoPong: false`), or not reading at all (`pause()`).
 */
export class RawLiveSocket {
  readonly socket: WebSocket;
  readonly messages: WireMessage[] = [];
  /** Resolves with the close code once the socket closed. */
  readonly closed: Promise<number>;
  private readonly waiters: { check: (m: WireMessage) => boolean; resolve: (m: WireMessage) => void }[] = [];

  /** `headers`: extra headers of the upgrade request (e.g. a browser's `Origin`). */
  constructor(httpUrl: string, options: { autoPong?: boolean; headers?: Record<string, string> } = {}) {
    this.socket = new WebSocket(wsUrl(httpUrl), 'graphql-transport-ws', {
      autoPong: options.autoPong ?? true,
      ...(options.headers ? { headers: options.headers } : {}),
    });
    this.closed = new Promise((resolve) => this.socket.once('close', (code) => resolve(code)));
    this.socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as WireMessage;
      this.messages.push(message);
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const waiter = this.waiters[i]!;
        if (waiter.check(message)) {
          this.waiters.splice(i, 1);
          waiter.resolve(message);
        }
      }
    });
  }

  /** Waits for the socket to open. */
  opened(): Promise<void> {
    if (this.socket.readyState === WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
  }

  send(message: WireMessage): void {
    this.socket.send(JSON.stringify(message));
  }

  /** Opens, sends `connection_init` and waits for the acknowledgement. */
  async init(): Promise<void> {
    await this.opened();
    const ack = this.next((m) => m.type === 'connection_ack');
    this.send({ type: 'connection_init' });
    await ack;
  }

  /** The next message (from now on) that satisfies `check`. */
  next(check: (m: WireMessage) => boolean, timeoutMs = 45_000): Promise<WireMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Timed out waiting for a message (${this.messages.length} received)`)),
        timeoutMs,
      );
      this.waiters.push({
        check,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  subscribe(id: string, query: string, variables: Record<string, unknown> = {}): void {
    this.send({ id, type: 'subscribe', payload: { query, variables } });
  }

  close(): void {
    this.socket.terminate();
  }
}
