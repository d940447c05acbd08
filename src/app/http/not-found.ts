import type { RequestHandler } from 'express';
import { ErrorCode, HTTP_STATUS } from '../../core/errors';

/**
 * The answer to a path no route serves, after every router: JSON, never Express's HTML page, as
 * FastAPI, hence MADSci, answers: 404 `{"detail": "Not Found"}` (docs/errors.md). The downloads
 * answer their own unknown paths in their dialect (`src/app/downloads/export.router.ts`).
 */
export function notFoundHandler(): RequestHandler {
  return (_req, res) => {
    res.status(HTTP_STATUS[ErrorCode.NOT_FOUND]).json({ detail: 'Not Found' });
  };
}
