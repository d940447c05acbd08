import type { RequestHandler } from 'express';
import { ErrorCode, HTTP_STATUS } from '../../core/errors';
import { graphqlErrorBody } from './auth.http';

/** Content types a cross-site page may send in a "simple" request, without a CORS preflight. */
const SIMPLE_CONTENT_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);

/** Headers whose presence means the browser had to ask first (Apollo's names, for its clients). */
const PREFLIGHT_HEADERS = ['apollo-require-preflight', 'x-apollo-operation-name'];

/**
 * The CSRF rule of `/graphql` (docs/errors.md#csrf): a POST must be one a browser sends cross-site
 * only after a CORS preflight, i.e. carry a `Content-Type` other than the three simple ones
 * (`application/json` does), or a non-empty `Apollo-Require-Preflight` or `X-Apollo-Operation-Name`
 * header; others get 400 BAD_REQUEST. GET passes: Apollo runs only queries over GET (a mutation is
 * 405), queries change nothing, keys travel in headers (never cookies, so a cross-site request
 * carries none), and CORS decides who may read the answer. This replaces Apollo's own check,
 * which refuses every GET without those headers, even `Accept: application/json` (a safelisted
 * header a cross-site page may send anyway).
 */
export function csrfGuard(): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    const preflighted = type !== undefined && type !== '' && !SIMPLE_CONTENT_TYPES.has(type);
    if (preflighted || PREFLIGHT_HEADERS.some((name) => String(req.headers[name] ?? '') !== '')) return next();
    res
      .status(HTTP_STATUS[ErrorCode.BAD_REQUEST])
      .json(
        graphqlErrorBody(
          'Refused as a possible cross-site request forgery: send POST with Content-Type: application/json (or an Apollo-Require-Preflight header)',
          ErrorCode.BAD_REQUEST,
        ),
      );
  };
}
