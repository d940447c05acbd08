import type { ErrorRequestHandler } from 'express';
import type { Config } from '../../core/config';
import { ErrorCode } from '../../core/errors';
import { graphqlErrorBody } from './auth.http';

/** How a body parser's failure is answered: its status, code and message. */
export interface BodyParserFailure {
  status: number;
  code: ErrorCode;
  message: string;
}

/**
 * A body parser's failure (Express's `json`/`raw`): too large (413 PAYLOAD_TOO_LARGE, naming
 * `MAX_BODY_BYTES`), or malformed, undecodable or aborted (BAD_REQUEST with the parser's 4xx);
 * null for any other error. Every door that parses bodies answers these in its own format.
 */
export function bodyParserFailure(
  error: { type?: string; status?: number },
  maxBodyBytes: number,
): BodyParserFailure | null {
  if (error.type === 'entity.too.large') {
    return {
      status: 413,
      code: ErrorCode.PAYLOAD_TOO_LARGE,
      message: `Request body larger than ${maxBodyBytes} bytes`,
    };
  }
  if (error.status !== undefined && error.status >= 400 && error.status < 500) {
    return { status: error.status, code: ErrorCode.BAD_REQUEST, message: 'Malformed request body' };
  }
  return null;
}

/**
 * The last handler of the GraphQL and download routes: body parser failures
 * ({@link bodyParserFailure}) and anything else that reached Express (500
 * INTERNAL_SERVER_ERROR), as GraphQL-shaped errors with a code.
 */
export function bodyErrorHandler(config: Config): ErrorRequestHandler {
  return (error: { type?: string; status?: number }, _req, res, next) => {
    if (res.headersSent) return next(error);
    const failure = bodyParserFailure(error, config.limits.maxBodyBytes);
    if (failure) {
      res.status(failure.status).json(graphqlErrorBody(failure.message, failure.code));
      return;
    }
    res.status(500).json(graphqlErrorBody('Internal server error', ErrorCode.INTERNAL_SERVER_ERROR));
  };
}
