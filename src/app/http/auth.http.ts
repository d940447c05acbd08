import type { IncomingHttpHeaders } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { GraphQLError } from 'graphql';
import { ErrorCode } from '../../core/errors';
import type { AuthService, Credentials, Principal } from '../../auth/auth.service';
import type { Role } from '../../core/roles';

/** Credentials of an HTTP request: `Authorization` and `X-API-Key`. */
export function httpCredentials(headers: IncomingHttpHeaders): Credentials {
  return { authorization: headers.authorization, apiKey: headers['x-api-key'] };
}

/**
 * Credentials of a graphql-ws connection: `connectionParams` with `Authorization`,
 * `X-API-Key` or `apiKey` (any case), as browsers cannot set WebSocket headers.
 */
export function connectionParamCredentials(params: Readonly<Record<string, unknown>> | undefined): Credentials {
  const lower = Object.fromEntries(Object.entries(params ?? {}).map(([key, value]) => [key.toLowerCase(), value]));
  return { authorization: lower.authorization, apiKey: lower['x-api-key'] ?? lower.apikey };
}

/** HTTP status of an auth failure. */
export function authStatus(error: unknown): 401 | 403 | null {
  if (!(error instanceof GraphQLError)) return null;
  if (error.extensions.code === ErrorCode.UNAUTHENTICATED) return 401;
  if (error.extensions.code === ErrorCode.FORBIDDEN) return 403;
  return null;
}

/**
 * Express middleware admitting callers whose role allows `role` (or the role `role(req)` names for
 * this request); others get 401 or 403 with a body in the route family's own dialect (`body(message, code)`).
 */
export function requireRole(
  auth: AuthService,
  role: Role | ((req: Request) => Role),
  what: string,
  body: (message: string, code: ErrorCode) => unknown,
): RequestHandler {
  return (req, res, next) => {
    let principal: Principal;
    try {
      principal = auth.authenticate(httpCredentials(req.headers));
      auth.require(principal, typeof role === 'function' ? role(req) : role, what);
    } catch (error) {
      const status = authStatus(error);
      if (status === null) return next(error);
      if (status === 401) res.set('WWW-Authenticate', 'Bearer');
      res.status(status).json(body((error as GraphQLError).message, status === 401 ? ErrorCode.UNAUTHENTICATED : ErrorCode.FORBIDDEN));
      return;
    }
    next();
  };
}

/** GraphQL-shaped error body, for non-GraphQL routes that speak GraphQL's error dialect. */
export const graphqlErrorBody = (message: string, code: ErrorCode) => ({ errors: [{ message, extensions: { code } }] });
