import type { IncomingHttpHeaders } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { ForbiddenError, UnauthenticatedError, type ErrorCode } from '../../core/errors';
import type { AuthService, Credentials, Principal } from '../../auth/auth.service';
import type { Role } from '../../core/roles';
import { crossSiteOrigin } from './cross-site';

/** Credentials of an HTTP request: `Authorization` and `X-API-Key`, and the other site's page that sent it, if any. */
export function httpCredentials(headers: IncomingHttpHeaders): Credentials {
  return {
    authorization: headers.authorization,
    apiKey: headers['x-api-key'],
    crossSiteOrigin: crossSiteOrigin(headers),
  };
}

/**
 * Credentials of a graphql-ws connection: `connectionParams` with `Authorization`,
 * `X-API-Key` or `apiKey` (any case), as browsers cannot set WebSocket headers; and the other
 * site's page that opened it, from the upgrade request's headers (WebSockets know no CORS).
 */
export function connectionParamCredentials(
  params: Readonly<Record<string, unknown>> | undefined,
  upgradeHeaders: IncomingHttpHeaders,
): Credentials {
  const lower = Object.fromEntries(Object.entries(params ?? {}).map(([key, value]) => [key.toLowerCase(), value]));
  return {
    authorization: lower.authorization,
    apiKey: lower['x-api-key'] ?? lower.apikey,
    crossSiteOrigin: crossSiteOrigin(upgradeHeaders),
  };
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
      if (!(error instanceof UnauthenticatedError || error instanceof ForbiddenError)) return next(error);
      if (error instanceof UnauthenticatedError) res.set('WWW-Authenticate', 'Bearer');
      res.status(error.status).json(body(error.message, error.code));
      return;
    }
    next();
  };
}

/** GraphQL-shaped error body, for non-GraphQL routes that speak GraphQL's error dialect. */
export const graphqlErrorBody = (message: string, code: ErrorCode) => ({ errors: [{ message, extensions: { code } }] });
