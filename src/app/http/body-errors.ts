import type { ErrorRequestHandler } from 'express';
import type { Config } from '../../core/config';
import { ErrorCode } from '../../core/errors';
import { graphqlErrorBody } from './auth.http';

/**
 * The last handler of the GraphQL and download routes: body parser failures (too large: 413
 * PAYLOAD_TOO_LARGE; not JSON: BAD_REQUEST with the parser's 4xx) and anything else that reached
 * Express (500 INTERNAL_SERVER_ERROR), as GraphQL-shaped errors with a code.
 */
export function bodyErrorHandler(config: Config): ErrorRequestHandler {
  return (error: { type?: string; status?: number }, _req, res, next) => {
    if (res.headersSent) return next(error);
    if (error.type === 'entity.too.large') {
      res
        .status(413)
        .json(
          graphqlErrorBody(`Request body larger than ${config.limits.maxBodyBytes} bytes`, ErrorCode.PAYLOAD_TOO_LARGE),
        );
      return;
    }
    if (error.status !== undefined && error.status >= 400 && error.status < 500) {
      res.status(error.status).json(graphqlErrorBody('Malformed request body', ErrorCode.BAD_REQUEST));
      return;
    }
    res.status(500).json(graphqlErrorBody('Internal server error', ErrorCode.INTERNAL_SERVER_ERROR));
  };
}
