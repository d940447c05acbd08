import express, { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import { appErrorOf, ErrorCode } from '../../core/errors';
import { RETRY_AFTER_HEADER } from '../http/retry-after';
import type { Logger } from '../../core/logger';
import { Role } from '../../core/roles';
import { logOtlpRecords } from '../../events/otlp-logs';
import { requireRole } from '../http/auth.http';
import { bodyParserFailure } from '../http/body-errors';
import { rateLimitMiddleware } from '../http/rate-limit';
import type { Services } from '../services';
import { decodeJsonLogs, decodeProtobufLogs, encodeLogsResponse, encodeStatus, OtlpDecodeError } from './otlp-decode';

/*
 * The OTLP/HTTP logs door: `POST /v1/logs` (docs/opentelemetry.md#send-opentelemetry-logs), as
 * https://opentelemetry.io/docs/specs/otlp/#otlphttp says: protobuf or JSON bodies, gzip or
 * deflate, the answer in the request's encoding, partial success for rejected records, and
 * google.rpc.Status bodies (with our error code as ErrorInfo.reason) for failures.
 */

type Format = 'protobuf' | 'json';

const CONTENT_TYPES: Readonly<Record<string, Format>> = {
  'application/x-protobuf': 'protobuf',
  'application/protobuf': 'protobuf',
  'application/json': 'json',
};

/** gRPC status codes of the HTTP statuses this door answers (google.rpc.Code). */
const GRPC_CODE: Readonly<Record<number, number>> = { 400: 3, 401: 16, 403: 7, 413: 8, 415: 3, 429: 8, 503: 14 };

/** The request's format, from its Content-Type (parameters ignored), or null for any other. */
function formatOf(req: Request): Format | null {
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase() ?? '';
  return CONTENT_TYPES[type] ?? null;
}

/** Sends a google.rpc.Status failure in the request's encoding (JSON when it has none we read). */
function sendStatus(res: Response, format: Format | null, status: number, code: string, message: string): void {
  const as = format ?? 'json';
  res
    .status(status)
    .type(as === 'json' ? 'application/json' : 'application/x-protobuf')
    .send(encodeStatus(as, GRPC_CODE[status] ?? 13, message, code));
}

/** The door: rate limit, writer role, body, decode, the service, the answer. */
export function createOtlpLogsRouter(services: Services, logger: Logger): Router {
  const { config } = services;
  const router = Router();
  const jsonStatus = (status: number) => (message: string, code: ErrorCode) =>
    JSON.parse(encodeStatus('json', GRPC_CODE[status] ?? 13, message, code) as string) as unknown;
  router.post(
    '/v1/logs',
    rateLimitMiddleware(services.rateLimiter, (detail) => jsonStatus(429)(detail, ErrorCode.RATE_LIMITED)),
    requireRole(services.auth, Role.WRITER, 'Sending logs', (message, code) =>
      jsonStatus(code === ErrorCode.UNAUTHENTICATED ? 401 : 403)(message, code),
    ),
    (req, res, next) => {
      if (formatOf(req) === null) {
        sendStatus(
          res,
          null,
          415,
          ErrorCode.BAD_REQUEST,
          'Content-Type must be application/x-protobuf or application/json (OTLP/HTTP)',
        );
        return;
      }
      next();
    },
    // Any content type was checked above; gzip and deflate are inflated, the limit applies to the inflated body.
    express.raw({ type: () => true, limit: config.limits.maxBodyBytes, inflate: true }),
    async (req, res) => {
      const format = formatOf(req)!;
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      try {
        const request = format === 'json' ? decodeJsonLogs(body) : decodeProtobufLogs(body);
        const outcome = await logOtlpRecords(services.events, request, config.limits.maxBatchSize);
        const partial =
          outcome.rejectedCount > 0 ? { rejected: outcome.rejectedCount, errorMessage: outcome.errorMessage } : null;
        res
          .status(200)
          .type(format === 'json' ? 'application/json' : 'application/x-protobuf')
          .send(encodeLogsResponse(format, partial));
      } catch (error) {
        if (error instanceof OtlpDecodeError) return sendStatus(res, format, 400, ErrorCode.BAD_REQUEST, error.message);
        const own = appErrorOf(error);
        if (own && own.status < 500) return sendStatus(res, format, own.status, own.code, own.message);
        if (own?.status === 503) {
          // Retryable (OTLP: 503 with Retry-After); exporters send the batch again.
          res.set(...RETRY_AFTER_HEADER);
          return sendStatus(res, format, 503, own.code, own.message);
        }
        logger.error({ err: error }, 'OTLP logs export failed');
        sendStatus(res, format, 500, ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error');
      }
    },
  );
  // Body parser failures: too large (413), bad encoding or aborted (415 or 400).
  const bodyErrors: ErrorRequestHandler = (error: { type?: string; status?: number }, req, res, next) => {
    if (res.headersSent) return next(error);
    const failure = bodyParserFailure(error, config.limits.maxBodyBytes);
    if (!failure) return next(error);
    const status = failure.code === ErrorCode.BAD_REQUEST && failure.status !== 415 ? 400 : failure.status;
    sendStatus(res, formatOf(req), status, failure.code, failure.message);
  };
  router.use('/v1/logs', bodyErrors);
  return router;
}
