import type { ErrorRequestHandler, Request } from 'express';
import { appErrorOf, ErrorCode, ServiceUnavailableError, type AppError } from '../../core/errors';
import { bodyParserFailure } from '../http/body-errors';
import { issue, RequestValidationError } from './rest.errors';
import type { MadsciRouterOptions } from './rest.route';
import { locOfField, snakeCase } from './wire';
import { RETRY_AFTER_HEADER } from '../http/retry-after';

/** Service argument names that come from query parameters, and the parameter each one is. */
const QUERY_FIELDS: Record<string, (string | number)[]> = {
  limit: ['query', 'number'],
  offset: ['query', 'offset'],
  olderThanDays: ['query', 'older_than_days'],
};

/**
 * A service's message for bad input, in the wire's words. Services name fields as the API does
 * (`source.nodeId`, `olderThanDays`) and begin their message with the field they name; MADSci's
 * wire names the same field in snake_case (`source.node_id`), as its `loc` does.
 */
function wireMessage(error: AppError): string {
  const field = error.field;
  if (!field) return error.message;
  // `event.source.nodeId` is named in the message from below its root (`source.nodeId`).
  for (const named of [field, field.split('.').slice(1).join('.')]) {
    if (named && error.message.startsWith(`${named} `))
      return `${snakeCase(named)}${error.message.slice(named.length)}`;
  }
  return error.message;
}

/** The value at a `loc` of the request, for the `input` of a 422. */
function inputAt(req: Request, loc: (string | number)[]): unknown {
  let value: unknown = loc[0] === 'query' ? req.query : req.body;
  for (const key of loc.slice(1)) {
    if (value === null || typeof value !== 'object') return null;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

/**
 * The one place REST answers get their status and body, as MADSci answers: 422
 * `{"detail": [...]}` for invalid input (the door's own, the body parser's, and the services'
 * BAD_USER_INPUT), 503 when the database is unreachable, `{"detail": "<message>"}` with the
 * error's status for every other AppError, and 500 `Internal Server Error` (plain text, logged)
 * for anything unexpected.
 */
export function restErrorHandler({ logger, config }: MadsciRouterOptions): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    const parserError = error as { type?: string; status?: number; message?: string };
    const failure = bodyParserFailure(parserError, config.limits.maxBodyBytes);
    if (failure?.code === ErrorCode.PAYLOAD_TOO_LARGE) {
      res.status(failure.status).json({ detail: failure.message });
      return;
    }
    if (parserError.type === 'entity.parse.failed') {
      res.status(422).json({
        detail: [
          issue('json_invalid', ['body', 0], 'JSON decode error', {}, { error: parserError.message ?? 'invalid JSON' }),
        ],
      });
      return;
    }
    const own = appErrorOf(error);
    if (own instanceof RequestValidationError) {
      res.status(422).json({ detail: own.issues });
      return;
    }
    if (own?.code === ErrorCode.BAD_USER_INPUT) {
      const loc = QUERY_FIELDS[own.field ?? ''] ?? (own.field === 'selector' ? ['body'] : locOfField(own.field));
      res
        .status(422)
        .json({ detail: [issue('value_error', loc, `Value error, ${wireMessage(own)}`, inputAt(req, loc))] });
      return;
    }
    if (own?.code === ErrorCode.SERVICE_UNAVAILABLE) {
      res
        .status(503)
        .set(...RETRY_AFTER_HEADER)
        .json({ detail: new ServiceUnavailableError().message });
      return;
    }
    if (own) {
      res.status(own.status).json({ detail: own.message });
      return;
    }
    if (parserError.status !== undefined && parserError.status >= 400 && parserError.status < 500) {
      res.status(parserError.status).json({ detail: parserError.message ?? 'Bad request' });
      return;
    }
    logger.error({ err: error, method: req.method, path: req.path }, 'Unhandled error in a MADSci REST route');
    res.status(500).type('text/plain').send('Internal Server Error');
  };
}
