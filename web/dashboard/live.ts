/**
 * The live feed: `eventLogged(filter)` over graphql-ws. The client reconnects by itself; after a
 * reconnect the subscription is restarted with `after` = the last event received, so the server
 * replays what was missed (duplicates are dropped by id by the caller).
 */
import { createClient, type Client } from 'graphql-ws';
import { useEffect, useRef, useState } from 'react';
import { liveSubscription, type EventFilter, type EventRow, type LiveResult } from './api';

export type LiveStatus = { state: 'connecting' | 'live' | 'reconnecting' } | { state: 'unavailable'; message: string };

/** The page's graphql-ws client and whether its socket is up. */
export interface LiveConnection {
  client: Client;
  connected: boolean;
}

/** One graphql-ws client for the page, connected lazily, retrying without end. */
export function createLiveConnection(
  url: string,
  connectionParams: () => Record<string, string> = () => ({}),
): LiveConnection {
  const client = createClient({
    url,
    connectionParams,
    lazy: true,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    keepAlive: 15_000,
  });
  const connection: LiveConnection = { client, connected: false };
  client.on('connected', () => {
    connection.connected = true;
  });
  client.on('closed', () => {
    connection.connected = false;
  });
  return connection;
}

function isGraphQLErrorList(error: unknown): error is { message: string }[] {
  return Array.isArray(error) && error.every((item) => typeof item === 'object' && item !== null && 'message' in item);
}

/** Subscribes to live events matching `filter` while mounted; `onEvent` gets each one. */
export function useLiveEvents(
  connection: LiveConnection,
  filter: EventFilter,
  filterKey: string,
  onEvent: (event: EventRow) => void,
): LiveStatus {
  const [status, setStatus] = useState<LiveStatus>({ state: 'connecting' });
  const onEventRef = useRef(onEvent);
  onEventRef.current = onEvent;

  useEffect(() => {
    const { client } = connection;
    let disposed = false;
    let lastId: string | null = null;
    let unsubscribe: (() => void) | null = null;

    const start = () => {
      unsubscribe?.();
      const withAfter = lastId !== null;
      unsubscribe = client.subscribe<LiveResult>(
        { query: liveSubscription(withAfter), variables: withAfter ? { filter, after: lastId } : { filter } },
        {
          next: (result) => {
            if (result.errors?.length) {
              setStatus({ state: 'unavailable', message: result.errors.map((e) => e.message).join('; ') });
              return;
            }
            const event = result.data?.eventLogged;
            if (!event) return;
            lastId = event.id;
            onEventRef.current(event);
          },
          error: (error) => {
            if (disposed) return;
            // GraphQL errors (the schema has no such subscription, a bad filter) are final.
            const message = isGraphQLErrorList(error)
              ? error.map((e) => e.message).join('; ')
              : error instanceof Error
                ? error.message
                : 'connection failed';
            setStatus({ state: 'unavailable', message });
          },
          complete: () => undefined,
        },
      );
    };

    const offConnected = client.on('connected', (_socket, _payload, wasRetry) => {
      if (disposed) return;
      setStatus({ state: 'live' });
      if (wasRetry && lastId !== null) start();
    });
    const offClosed = client.on('closed', () => {
      if (!disposed) setStatus((previous) => (previous.state === 'unavailable' ? previous : { state: 'reconnecting' }));
    });
    setStatus({ state: connection.connected ? 'live' : 'connecting' });
    start();
    return () => {
      disposed = true;
      offConnected();
      offClosed();
      unsubscribe?.();
    };
    // filterKey stands for filter: the subscription restarts only when the filter changes.
  }, [connection, filterKey]);

  return status;
}
