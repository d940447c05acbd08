import { HeaderMap, type ApolloServerPlugin, type HTTPGraphQLHead } from '@apollo/server';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import type { Request, RequestHandler, Response } from 'express';
import {
  execute,
  getOperationAST,
  GraphQLError,
  type DocumentNode,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { Principal } from '../../auth/auth.service';
import { tracingActive } from '../../core/tracing';
import { httpCredentials } from '../http/auth.http';
import type { Services } from '../services';
import { authorizeOperation } from './authorize-operation';
import { createContext, type GraphQLContext } from './context';
import { applyErrorStatus } from './graphql-errors';
import { assertVariableLimits, type VariableLimits } from './limits';
import { httpOperationMetrics, type HttpOperationMetrics } from './metrics.plugin';

/*
 * The fast path of `POST /graphql` (docs/performance.md#graphql-over-http): a request whose query
 * text Apollo has already parsed and validated is answered by executing that document directly,
 * with the same context, role check, variable limits, metrics, error formatting, status rules,
 * headers and body bytes as Apollo Server's request pipeline (`@apollo/server` 5.5:
 * `runHttpQuery`, `processGraphQLRequest`, `normalizeAndFormatErrors`, and
 * `@as-integrations/express5`), without its per-request machinery (header copies, the query's
 * SHA-256, the document cache's promise, the plugins' promise hooks, content negotiation).
 *
 * Only what is provably answered alike is taken; everything else goes to Apollo untouched: GET,
 * batches, `extensions` (APQ), unknown query texts, an `Accept` header outside the table below,
 * subscriptions, a missing operation, and every refusal before execution (an invalid key, a role
 * too low, a cost or input depth over the limits, variables that do not coerce): these checks are
 * pure, so Apollo repeats them and answers as if the fast path did not exist. Once execution has
 * begun, the fast path answers itself, whatever the result. Off while OpenTelemetry tracing is on
 * (its GraphQL and Express spans are Apollo's).
 */

/** Query texts longer than this are not kept (they go through Apollo's own document cache). */
const MAX_QUERY_LENGTH = 16 * 1024;
/** Documents kept; past this the oldest is dropped. */
const MAX_DOCUMENTS = 1000;

/**
 * `Content-Type` Apollo answers a single result with, for the `Accept` headers clients commonly
 * send (Apollo's `chooseContentTypeForSingleResultResponse`: the negotiated choice among JSON,
 * `application/graphql-response+json` and JSON with `callbackSpec`). No header (or an empty one)
 * is JSON in Apollo's code; the others are checked against Apollo by test/graphql-fast-path.test.ts.
 * Any other `Accept` goes through Apollo.
 */
const JSON_TYPE = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json; charset=utf-8';
export const FAST_PATH_ACCEPT: ReadonlyMap<string, string> = new Map([
  ['', JSON_TYPE],
  ['*/*', JSON_TYPE],
  ['application/json', JSON_TYPE],
  ['application/graphql-response+json', GRAPHQL_RESPONSE_TYPE],
  ['application/graphql-response+json, application/json', GRAPHQL_RESPONSE_TYPE],
  ['application/graphql-response+json,application/json;q=0.9', GRAPHQL_RESPONSE_TYPE],
  ['application/graphql-response+json, application/json;q=0.9', GRAPHQL_RESPONSE_TYPE],
]);

/** A document Apollo parsed and validated, and its operations by name ('' for none given). */
interface KnownDocument {
  document: DocumentNode;
  /** The schema Apollo executes with. */
  schema: GraphQLSchema;
  /** By the name asked for; undefined (none given) is not '' (a name no operation has). */
  operations: Map<string | undefined, OperationDefinitionNode | null>;
}

/** What a fast-path request carries (Apollo's `GraphQLRequest` from a POST body). */
interface FastRequest {
  query: string;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
  contentType: string;
}

/** The fast path of one server (see the comment at the top of this file). */
export interface GraphqlFastPath {
  /** The Apollo plugin that hands the fast path every document Apollo validated. */
  readonly plugin: ApolloServerPlugin<GraphQLContext>;
  /** The handler of `POST /graphql`: answers what it can, else calls `apollo` (Apollo's middleware). */
  handler(apollo: RequestHandler): RequestHandler;
  /** Whether requests may take the fast path (tests turn it off to compare with Apollo). */
  enabled: boolean;
  /** Requests answered by the fast path so far. */
  readonly served: number;
  /** Sends every later request to Apollo (called when Apollo starts draining). */
  close(): void;
}

/** Everything the fast path shares with Apollo's configuration. */
export interface GraphqlFastPathOptions {
  services: Services;
  limits: VariableLimits;
  /** Apollo's `formatError` (the same function). */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
}

/** Creates the fast path; its {@link GraphqlFastPath.plugin} must be one of Apollo's plugins. */
export function createGraphqlFastPath(options: GraphqlFastPathOptions): GraphqlFastPath {
  const { services, limits, formatError } = options;
  const documents = new Map<string, KnownDocument>();
  let served = 0;
  let closed = false;

  const remember = (source: string | undefined, document: DocumentNode | undefined, schema: GraphQLSchema) => {
    if (source === undefined || document === undefined || source.length > MAX_QUERY_LENGTH) return;
    if (documents.has(source)) return;
    if (documents.size >= MAX_DOCUMENTS) documents.delete(documents.keys().next().value!);
    documents.set(source, { document, schema, operations: new Map() });
  };
  // didResolveOperation runs once Apollo has a validated document (parsed now or from its cache).
  const listener = {
    async didResolveOperation({
      source,
      document,
      schema,
    }: {
      source?: string;
      document?: DocumentNode;
      schema: GraphQLSchema;
    }) {
      remember(source, document, schema);
    },
  };

  const fastPath: GraphqlFastPath = {
    plugin: { requestDidStart: async () => listener },
    enabled: true,
    get served() {
      return served;
    },
    close() {
      closed = true;
    },
    handler(apollo) {
      return (req, res, next) => {
        if (!fastPath.enabled || closed || tracingActive()) return apollo(req, res, next);
        const request = fastRequest(req);
        const known = request && documents.get(request.query);
        const operation = known && operationOf(known, request.operationName);
        if (!request || !known || !operation || operation.operation === 'subscription') return apollo(req, res, next);
        // Apollo's context: an invalid key is refused there.
        let principal: Principal;
        try {
          principal = services.auth.authenticate(httpCredentials(req.headers));
          // Apollo's didResolveOperation hooks, in the order of its plugins: roles, then limits.
          authorizeOperation(services.auth, principal, known.document, request.operationName);
          assertVariableLimits(known.schema, known.document, request.variables, request.operationName, limits);
        } catch {
          return apollo(req, res, next);
        }
        const metrics = httpOperationMetrics();
        const finish = (outcome: ExecutionResult | GraphQLError) => {
          // No data: graphql-js refused the variables before running anything; Apollo codes
          // those errors itself (BAD_USER_INPUT, 400), so it answers them.
          if (!(outcome instanceof GraphQLError) && outcome.data === undefined) return apollo(req, res, next);
          served++;
          metrics.resolved(operation.name?.value || null, operation.operation);
          respond(res, request.contentType, outcome, metrics, formatError);
          return undefined;
        };
        let running: ReturnType<typeof execute>;
        try {
          running = execute({
            schema: known.schema,
            document: known.document,
            contextValue: createContext(services, principal),
            variableValues: request.variables,
            operationName: request.operationName,
          });
        } catch (error) {
          return finish(ensureGraphQLError(error));
        }
        return isPromiseLike(running)
          ? running.then(finish, (error: unknown) => finish(ensureGraphQLError(error)))
          : finish(running);
      };
    },
  };
  return fastPath;
}

/**
 * Writes the answer as Apollo would (the end of its `processGraphQLRequest` and `runHttpQuery`,
 * and the Express integration): a result's errors counted and formatted, or, when execution threw,
 * that error alone with status 500 unless it names one (Apollo's `sendErrorResponse`); then our
 * status rule, the content type, the headers in Apollo's order, the status, and the JSON.
 */
function respond(
  res: Response,
  contentType: string,
  outcome: ExecutionResult | GraphQLError,
  metrics: HttpOperationMetrics,
  formatError: GraphqlFastPathOptions['formatError'],
): void {
  const http: HTTPGraphQLHead = { headers: new HeaderMap() };
  const thrown = outcome instanceof GraphQLError;
  const errors = thrown ? [outcome] : outcome.errors;
  const singleResult: FormattedExecutionResult = thrown ? {} : { data: outcome.data, extensions: outcome.extensions };
  if (errors) {
    metrics.errors(errors);
    singleResult.errors = formatErrors(errors, formatError, http);
  }
  if (thrown && !http.status) http.status = 500;
  applyErrorStatus({ http, body: { kind: 'single', singleResult } });
  metrics.sent();
  if (!http.headers.get('content-type')) http.headers.set('content-type', contentType);
  for (const [name, value] of http.headers) res.setHeader(name, value);
  res.statusCode = http.status || 200;
  // Apollo's default stringifyResult, over its field order (errors, data, extensions).
  const { errors: formatted, data, extensions } = singleResult;
  res.send(`${JSON.stringify({ errors: formatted, data, extensions })}\n`);
}

/** The request Apollo would build from this POST (its `runHttpQuery`), or null when it is not a plain one. */
function fastRequest(req: Request): FastRequest | null {
  if (req.method !== 'POST') return null;
  const contentType = FAST_PATH_ACCEPT.get(req.headers.accept ?? '');
  if (contentType === undefined) return null;
  const body: unknown = req.body;
  if (!isRecord(body) || 'extensions' in body) return null;
  const { query, variables, operationName } = body;
  if (typeof query !== 'string' || query === '') return null;
  if (variables !== undefined && variables !== null && !isRecord(variables)) return null;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
  return {
    query,
    operationName: typeof operationName === 'string' ? operationName : undefined,
    variables: isRecord(variables) ? variables : undefined,
    contentType,
  };
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T>).then === 'function';
}

/** Apollo's `isStringRecord`: an object, not an array or a Buffer. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Buffer.isBuffer(value) && !Array.isArray(value);
}

/** The operation graphql-js runs for this name (cached per document). */
function operationOf(known: KnownDocument, name: string | undefined): OperationDefinitionNode | null {
  const cached = known.operations.get(name);
  if (cached !== undefined) return cached;
  const operation = getOperationAST(known.document, name) ?? null;
  known.operations.set(name, operation);
  return operation;
}

/** Apollo's `ensureGraphQLError`. */
function ensureGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  const original = error instanceof Error ? error : new GraphQLError(`Unexpected error value: ${String(error)}`);
  return original instanceof GraphQLError ? original : new GraphQLError(original.message, { originalError: original });
}

/**
 * Apollo's `normalizeAndFormatErrors` without stack traces (`includeStacktraceInErrorResponses`
 * is off): the code defaults to INTERNAL_SERVER_ERROR, `extensions.http` moves to the response's
 * status and headers, then `formatError`; a `formatError` that throws yields Apollo's generic error.
 */
function formatErrors(
  errors: readonly GraphQLError[],
  formatError: GraphqlFastPathOptions['formatError'],
  head: HTTPGraphQLHead,
): GraphQLFormattedError[] {
  return errors.map((error) => {
    try {
      const extensions: Record<string, unknown> = {
        ...error.extensions,
        code: error.extensions.code ?? ApolloServerErrorCode.INTERNAL_SERVER_ERROR,
      };
      if (isPartialHead(extensions.http)) {
        if (extensions.http.status) head.status = extensions.http.status;
        if (extensions.http.headers) for (const [name, value] of extensions.http.headers) head.headers.set(name, value);
        delete extensions.http;
      }
      return formatError({ ...error.toJSON(), extensions }, error);
    } catch {
      return { message: 'Internal server error', extensions: { code: ApolloServerErrorCode.INTERNAL_SERVER_ERROR } };
    }
  });
}

/** Apollo's `isPartialHTTPGraphQLHead`. */
function isPartialHead(value: unknown): value is { status?: number; headers?: Map<string, string> } {
  return (
    !!value &&
    typeof value === 'object' &&
    (!('status' in value) || typeof value.status === 'number') &&
    (!('headers' in value) || value.headers instanceof Map)
  );
}
