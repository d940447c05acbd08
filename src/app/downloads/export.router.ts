import type { ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { coerceInputValue, type GraphQLInputType, type GraphQLSchema } from 'graphql';
import Papa from 'papaparse';
import { EventLogLevel } from '../../events/event.enums';
import type { EventFilter } from '../../events/event.types';
import { DOWNLOAD_BOOLEANS, parseBooleanWord } from '../../core/booleans';
import { appErrorOf, BadUserInputError, NotFoundError } from '../../core/errors';
import { parseIsoInstant } from '../../core/time';
import { SOURCE_KEYS, type EventDocument } from '../../store/event-document';
import { UtilizationPeriod, UtilizationReportKind } from '../../analytics/analytics.enums';
import type { AnalyticsService, PeriodsArgs } from '../../analytics/analytics.service';
import { REPORT_DOWNLOAD_NAMES } from '../../analytics/report-files';
import { RETRY_AFTER_HEADER } from '../http/retry-after';

/** Events per write to the response. */
const ROWS_PER_WRITE = 500;

const CAMEL_SOURCE = SOURCE_KEYS.map((key) => key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()));

/** CSV columns of an event download: the GraphQL `Event` fields, `source` flattened. */
const EVENT_COLUMNS = [
  'id',
  'eventType',
  'logLevel',
  'logLevelValue',
  'alert',
  'eventTimestamp',
  'receivedAt',
  ...CAMEL_SOURCE,
  'eventData',
  'traceId',
  'spanId',
  'archived',
  'archivedAt',
];

/** An event in the GraphQL `Event` shape (enum names, ISO instants), for NDJSON. */
function eventJson(doc: EventDocument): Record<string, unknown> {
  const source: Record<string, string | null> = {};
  SOURCE_KEYS.forEach((key, i) => (source[CAMEL_SOURCE[i]!] = doc.source[key] ?? null));
  return {
    id: doc._id,
    eventType: doc.event_type.toUpperCase(),
    logLevel: EventLogLevel[doc.log_level] ?? null,
    logLevelValue: doc.log_level,
    alert: doc.alert,
    eventTimestamp: doc.event_timestamp.toISOString(),
    receivedAt: doc.received_at.toISOString(),
    source,
    eventData: doc.event_data,
    traceId: doc.trace_id,
    spanId: doc.span_id,
    archived: doc.archived,
    archivedAt: doc.archived_at ? doc.archived_at.toISOString() : null,
  };
}

/** An event as a CSV row in {@link EVENT_COLUMNS} order (`eventData` as JSON text). */
function eventRow(doc: EventDocument): (string | number | boolean)[] {
  const e = eventJson(doc);
  const source = e.source as Record<string, string | null>;
  return [
    doc._id,
    e.eventType as string,
    (e.logLevel as string | null) ?? '',
    doc.log_level,
    doc.alert,
    e.eventTimestamp as string,
    e.receivedAt as string,
    ...CAMEL_SOURCE.map((key) => source[key] ?? ''),
    JSON.stringify(doc.event_data),
    doc.trace_id ?? '',
    doc.span_id ?? '',
    doc.archived,
    (e.archivedAt as string | null) ?? '',
  ];
}

/**
 * Sends an error, the one place downloads map errors: an AppError (bad input: 400) with its
 * status and the GraphQL-shaped body this server uses outside REST; anything else to Express
 * (500).
 */
export function failDownload(res: Response, next: NextFunction, error: unknown): void {
  if (res.headersSent) {
    // A stream that failed half-way can only be cut off.
    res.destroy(error instanceof Error ? error : undefined);
    return;
  }
  const own = appErrorOf(error);
  if (!own) return next(error);
  if (own.status === 503) res.set(...RETRY_AFTER_HEADER);
  res.status(own.status).json({ errors: [{ message: own.message, extensions: own.extensions }] });
}

/** A single query-string parameter (repeats and nested forms are refused). */
function param(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new BadUserInputError(`${name} must be given once, as text`, name);
  return value;
}

function instantParam(req: Request, name: string): Date | null {
  const text = param(req, name);
  if (text === undefined || text === '') return null;
  const date = parseIsoInstant(text);
  if (!date)
    throw new BadUserInputError(
      `${name} must be an ISO-8601 date-time, got ${JSON.stringify(text.slice(0, 80))}`,
      name,
    );
  return date;
}

function periodParam(req: Request): UtilizationPeriod | null {
  const text = param(req, 'period');
  if (text === undefined || text === '') return null;
  const period = text.toUpperCase() as UtilizationPeriod;
  if (!Object.values(UtilizationPeriod).includes(period))
    throw new BadUserInputError(`period must be one of ${Object.values(UtilizationPeriod).join(', ')}`, 'period');
  return period;
}

/** A boolean parameter (true/false, 1/0, yes/no in any case; not trimmed), null when absent or empty. */
function booleanParam(req: Request, name: string): boolean | null {
  const text = param(req, name);
  if (text === undefined || text === '') return null;
  const value = parseBooleanWord(text, DOWNLOAD_BOOLEANS);
  if (value === undefined) throw new BadUserInputError(`${name} must be true or false`, name);
  return value;
}

/** The report arguments of a download, as the GraphQL queries take them. */
function reportArgs(req: Request): PeriodsArgs {
  return {
    from: instantParam(req, 'from'),
    to: instantParam(req, 'to'),
    period: periodParam(req),
    timezone: param(req, 'timezone') || null,
    includeUsers: booleanParam(req, 'includeUsers'),
  };
}

/** `?filter=<JSON>` coerced as GraphQL coerces an `EventFilter` variable (enum names, ISO dates). */
function filterParam(req: Request, filterType: GraphQLInputType): EventFilter | null {
  const text = param(req, 'filter');
  if (text === undefined || text === '') return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BadUserInputError('filter must be an EventFilter as JSON', 'filter');
  }
  const problems: string[] = [];
  const filter = coerceInputValue(json, filterType, (path, _value, error) => {
    problems.push(path.length > 0 ? `filter.${path.join('.')}: ${error.message}` : error.message);
  });
  if (problems.length > 0) throw new BadUserInputError(`Invalid filter: ${problems.join('; ')}`, 'filter');
  return filter as EventFilter;
}

/** Waits until the response can take more, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Writes text chunks, respecting backpressure; stops early when the client goes away. */
async function pipeChunks(res: Response, chunks: AsyncIterable<string>): Promise<void> {
  for await (const chunk of chunks) {
    if (res.destroyed) return;
    if (!res.write(chunk)) await drained(res);
  }
  if (!res.destroyed) res.end();
}

/**
 * The documents of `docs`, the first one read before this resolves: a database that cannot be
 * read fails here, while an error can still be answered with a status (503), not after the
 * download's first bytes (a CSV's header line) went out and it can only be cut off.
 */
async function firstRead(docs: AsyncIterable<EventDocument>): Promise<AsyncIterable<EventDocument>> {
  const iterator = docs[Symbol.asyncIterator]();
  const first = await iterator.next();
  return {
    async *[Symbol.asyncIterator]() {
      try {
        if (first.done) return;
        yield first.value;
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
      } finally {
        // A client gone early ends the store's cursor too.
        await iterator.return?.();
      }
    },
  };
}

/** Groups a stream of documents into arrays. */
async function* batches(docs: AsyncIterable<EventDocument>, size: number): AsyncGenerator<EventDocument[]> {
  let batch: EventDocument[] = [];
  for await (const doc of docs) {
    batch.push(doc);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** The report of each `/export/utilization/<name>.csv` path. */
const REPORT_PATHS: Readonly<Record<string, UtilizationReportKind>> = {
  sessions: UtilizationReportKind.SESSIONS,
  users: UtilizationReportKind.USERS,
  periods: UtilizationReportKind.PERIODS,
};

/**
 * Downloads, mounted at `/export`: utilization reports as MADSci's CSV
 * (`/utilization/{sessions,users,periods}.csv?from=&to=&period=&timezone=&includeUsers=`) and
 * every event an `EventFilter` matches (`/events.csv`, `/events.ndjson`, `?filter=<JSON>`),
 * streamed oldest first with backpressure. Bad arguments answer 400 with a `BAD_USER_INPUT` body.
 */
export function createExportRouter(options: { analytics: AnalyticsService; schema: GraphQLSchema }): Router {
  const { analytics } = options;
  const filterType = options.schema.getType('EventFilter') as GraphQLInputType | undefined;
  if (!filterType) throw new Error('The schema has no EventFilter input type');
  const router = express.Router();

  router.get('/utilization/:report.csv', async (req, res, next) => {
    const kind = REPORT_PATHS[req.params.report as string];
    if (!kind) {
      next();
      return;
    }
    try {
      const { csv } = await analytics.reportCsv(kind, reportArgs(req));
      res
        .status(200)
        .set({
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': `attachment; filename="${REPORT_DOWNLOAD_NAMES[kind]}"`,
          'Cache-Control': 'no-store',
        })
        .send(csv);
    } catch (error) {
      failDownload(res, next, error);
    }
  });

  /** An event download: the events `?filter=` matches, oldest first, as `encode` writes each batch. */
  const eventDownload =
    (contentType: string, fileName: string, encode: (docs: AsyncIterable<EventDocument>) => AsyncIterable<string>) =>
    async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        const docs = await firstRead(analytics.streamEvents(filterParam(req, filterType)));
        res.status(200).set({
          'Content-Type': contentType,
          'Content-Disposition': `attachment; filename="${fileName}"`,
          'Cache-Control': 'no-store',
        });
        await pipeChunks(res, encode(docs));
      } catch (error) {
        failDownload(res, next, error);
      }
    };

  router.get(
    '/events.csv',
    eventDownload('text/csv; charset=utf-8', 'events.csv', async function* (docs) {
      yield `${Papa.unparse([EVENT_COLUMNS], { newline: '\r\n' })}\r\n`;
      for await (const batch of batches(docs, ROWS_PER_WRITE))
        yield `${Papa.unparse(batch.map(eventRow), { newline: '\r\n' })}\r\n`;
    }),
  );

  router.get(
    '/events.ndjson',
    eventDownload('application/x-ndjson; charset=utf-8', 'events.ndjson', async function* (docs) {
      for await (const batch of batches(docs, ROWS_PER_WRITE))
        yield batch.map((doc) => `${JSON.stringify(eventJson(doc))}\n`).join('');
    }),
  );
  // A path no download serves: NOT_FOUND in the downloads' shape, not the MADSci 404 of other paths.
  router.use((req, res, next) => {
    const path = `${req.baseUrl}${req.path === '/' ? '' : req.path}`;
    failDownload(res, next, new NotFoundError(`No download at ${path}`));
  });

  return router;
}
