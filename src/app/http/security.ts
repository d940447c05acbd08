import type { RequestHandler } from 'express';
import helmet from 'helmet';
import type { Config } from '../../core/config';
import { corsMiddleware } from './cors';

/**
 * Security headers on every response (helmet's defaults: HSTS, nosniff, frame and referrer
 * policies, cross-origin policies) with a Content-Security-Policy for API responses that allows
 * nothing: JSON, CSV and NDJSON need no scripts or frames. The IDE and dashboard pages
 * (src/ide/html-page.ts) set their own policy when they answer, which replaces this one, so
 * their bundles, workers and WebSocket keep working.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
    },
  });
}

/**
 * CORS for `/graphql` and `/export`: the same policy and implementation as the MADSci REST
 * routes (`CORS_ORIGINS`, `*` by default; no credentials, API keys travel in headers).
 */
export function apiCors(config: Config): RequestHandler {
  return corsMiddleware(config.corsOrigins);
}
