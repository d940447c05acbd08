import type { RequestHandler } from 'express';

const ALLOWED_METHODS = 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT';

/**
 * CORS as MADSci configures Starlette's middleware: every method and header, no credentials.
 * `origins` is `['*']` (any origin: `Access-Control-Allow-Origin: *`) or a list of exact origins
 * (the matching one is echoed, with `Vary: Origin`; others get no CORS headers). Preflight
 * requests (`OPTIONS` with `Access-Control-Request-Method`) are answered here with 200.
 */
export function corsMiddleware(origins: readonly string[]): RequestHandler {
  const any = origins.includes('*');
  const allowed = new Set(origins);
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (!any) res.vary('Origin');
    const allowOrigin = origin === undefined ? null : any ? '*' : allowed.has(origin) ? origin : null;
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (allowOrigin) res.set('Access-Control-Allow-Origin', allowOrigin);
    if (!preflight) return next();
    if (!allowOrigin) {
      res.status(400).type('text/plain').send('Disallowed CORS origin');
      return;
    }
    res.set({
      'Access-Control-Allow-Methods': ALLOWED_METHODS,
      'Access-Control-Max-Age': '600',
      ...(req.headers['access-control-request-headers']
        ? { 'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] }
        : {}),
    });
    res.status(200).type('text/plain').send('OK');
  };
}
