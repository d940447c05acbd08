import type { RequestHandler } from 'express';
import { ErrorCode, HTTP_STATUS } from '../../core/errors';
import { graphqlErrorBody } from './auth.http';

/**
 * The answer to a path no route serves, after every router: JSON, never Express's HTML page.
 * Downloads (`/export/...`) answer in their GraphQL-shaped dialect (NOT_FOUND); every other path
 * as FastAPI, hence MADSci, does: 404 `{"detail": "Not Found"}` (docs/errors.md).
 */
export function notFoundHandler(): RequestHandler {
  return (req, res) => {
    const status = HTTP_STATUS[ErrorCode.NOT_FOUND];
    if (req.path === '/export' || req.path.startsWith('/export/')) {
      res.status(status).json(graphqlErrorBody(`No download at ${req.path}`, ErrorCode.NOT_FOUND));
      return;
    }
    res.status(status).json({ detail: 'Not Found' });
  };
}
