import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import { startServer, type ServerHandle } from '../../src/app/server';
import { createLogger } from '../../src/core/logger';
import { createStore } from '../../src/store/create-store';
import { storeEnv, testConfig, type StoreKind } from './stores';

/** A GraphQL response as the client sees it. */
export interface GqlResponse<T> {
  status: number;
  data?: T | null;
  errors?: GraphQLFormattedError[];
}

/** A real server on a free port, over a fresh store, with a typed client. */
export interface TestServer {
  kind: StoreKind;
  handle: ServerHandle;
  url: string;
  /** Runs a typed operation over HTTP. */
  gql<T, V>(document: TypedDocumentNode<T, V>, variables?: V): Promise<GqlResponse<T>>;
  /** Runs an operation and fails the test on GraphQL errors. */
  ok<T, V>(document: TypedDocumentNode<T, V>, variables?: V): Promise<T>;
  /** POSTs a raw body to /graphql. */
  post(body: string, headers?: Record<string, string>): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * Starts a server of this kind with extra environment; `options.clock` replaces the lifecycle's
 * clock (archive times, retention thresholds), so a test can move time.
 */
export async function startTestServer(
  kind: StoreKind,
  env: Record<string, string> = {},
  options: { clock?: () => Date } = {},
): Promise<TestServer> {
  const { env: storeVars, cleanup } = storeEnv(kind);
  let handle: Awaited<ReturnType<typeof startServer>>;
  try {
    const config = testConfig({ ...storeVars, ...env });
    const logger = createLogger(config.logLevel);
    handle = await startServer({ config, store: createStore(config, logger), logger, clock: options.clock });
  } catch (error) {
    await cleanup(); // a server that refuses to start (as some tests expect) leaves no data behind
    throw error;
  }
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${handle.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  const gql = async <T, V>(document: TypedDocumentNode<T, V>, variables?: V): Promise<GqlResponse<T>> => {
    const response = await post(JSON.stringify({ query: print(document), variables }));
    const json = (await response.json()) as { data?: T | null; errors?: GraphQLFormattedError[] };
    return { status: response.status, ...json };
  };
  return {
    kind,
    handle,
    url: handle.url,
    gql,
    ok: async (document, variables) => {
      const result = await gql(document, variables);
      if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
      return result.data!;
    },
    post,
    stop: async () => {
      await handle.stop();
      await cleanup();
    },
  };
}
