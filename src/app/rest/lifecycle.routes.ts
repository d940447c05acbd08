import { ArchiveState } from '../../events/event.enums';
import { AppError, appErrorOf, ErrorCode } from '../../core/errors';
import { issue, IssueCollector, RequestValidationError } from './rest.errors';
import type { MadsciRoute, MadsciRouterOptions } from './rest.route';
import { formatMadsciTimestamp, objectBody, parseDateTime, sendEventMap } from './wire';
import { QueryReader } from './query-reader';

/**
 * MADSci's archive, purge and backup routes (docs/madsci-compatibility.md#d25-archive-purge-and-backup-routes) over the lifecycle services:
 * `POST /events/archive`, `GET /events/archived`, `DELETE /events/archived`, `POST /backup`,
 * `GET /backup/status` (and `GET /backup`, the path MADSci's Python client 0.8 calls).
 */
export function lifecycleRoutes({ services, config }: MadsciRouterOptions): MadsciRoute[] {
  const { archive, backups, events } = services;
  const maxPage = config.limits.maxPageSize;
  /** MADSci answers unexpected failures of these routes with 500 and `{"detail": "<prefix>: <error>"}`. */
  const failed = (prefix: string, error: unknown): unknown => {
    // Bad input keeps its 422; any other failure is this route's 500 with MADSci's prefix.
    if (appErrorOf(error)?.code === ErrorCode.BAD_USER_INPUT) return error;
    const text = config.production ? 'internal error' : error instanceof Error ? error.message : String(error);
    return new AppError(ErrorCode.INTERNAL_SERVER_ERROR, `${prefix}: ${text}`);
  };

  const backupStatus: MadsciRoute['handler'] = async (_req, res) => {
    try {
      const status = await backups.status();
      res.json({
        backup_enabled: status.enabled,
        backup_dir: status.directory,
        available_backups: status.backups.map((backup) => ({
          path: backup.path,
          created_at: formatMadsciTimestamp(backup.createdAt),
          size_bytes: backup.sizeBytes,
          is_valid: backup.valid,
        })),
      });
    } catch (error) {
      throw failed('Failed to get backup status', error);
    }
  };

  return [
    {
      method: 'post',
      path: '/events/archive',
      handler: async (req, res) => {
        const request = parseArchiveRequest(req.body);
        try {
          const outcome = await archive.archive(request);
          res.json({ archived_count: outcome.archivedCount, message: outcome.message });
        } catch (error) {
          throw failed('Failed to archive events', error);
        }
      },
    },
    {
      method: 'get',
      path: '/events/archived',
      handler: async (req, res) => {
        const q = new QueryReader(req);
        const number = q.pageSize('number', 100, maxPage);
        const offset = q.int('offset', 0, 0);
        q.done();
        // MADSci: most recently archived first.
        const page = await events.page({
          filter: { archived: ArchiveState.ARCHIVED },
          limit: number,
          offset,
          order: { field: 'archived_at', direction: -1 },
        });
        sendEventMap(res, page.items);
      },
    },
    {
      method: 'delete',
      path: '/events/archived',
      handler: async (req, res) => {
        const q = new QueryReader(req);
        const days = q.int('older_than_days', 365, 0);
        q.done();
        try {
          const outcome = await archive.purge(days);
          res.json({ deleted_count: outcome.deletedCount, message: outcome.message });
        } catch (error) {
          throw failed('Failed to purge archived events', error);
        }
      },
    },
    {
      method: 'post',
      path: '/backup',
      handler: async (req, res) => {
        // The body is optional: `{"description": "..."}` or nothing (MADSci's suffix is then "manual_backup").
        const body: unknown = req.body;
        let description: string | null = null;
        if (body !== undefined && body !== null) {
          const value =
            typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>).description : body;
          if (typeof value === 'string') description = value;
          else if (value !== undefined && value !== null) {
            throw new RequestValidationError([
              issue('string_type', ['body', 'description'], 'Input should be a valid string', value),
            ]);
          }
        }
        try {
          const info = await backups.create(description);
          res.json({ backup_path: info.path, status: 'completed' });
        } catch (error) {
          throw failed('Failed to create backup', error);
        }
      },
    },
    { method: 'get', path: '/backup/status', handler: backupStatus },
    { method: 'get', path: '/backup', handler: backupStatus },
  ];
}

/**
 * MADSci's `ArchiveEventsRequest`: `event_ids` (string list), `before_date` (date-time),
 * `batch_size` (int; null or 0 = the configured batch size). One of the first two is required.
 */
function parseArchiveRequest(body: unknown): { ids: string[] | null; before: Date | null; batchSize: number | null } {
  const issues = new IssueCollector();
  const request = objectBody(body);
  let ids: string[] | null = null;
  if (request.event_ids !== undefined && request.event_ids !== null) {
    if (!Array.isArray(request.event_ids)) {
      issues.add(issue('list_type', ['body', 'event_ids'], 'Input should be a valid list', request.event_ids));
    } else {
      ids = [];
      request.event_ids.forEach((id, i) => {
        if (typeof id === 'string') ids!.push(id);
        else issues.add(issue('string_type', ['body', 'event_ids', i], 'Input should be a valid string', id));
      });
    }
  }
  let before: Date | null = null;
  if (request.before_date !== undefined && request.before_date !== null) {
    before = parseDateTime(request.before_date) ?? null;
    if (!before)
      issues.add(
        issue('datetime_parsing', ['body', 'before_date'], 'Input should be a valid datetime', request.before_date),
      );
  }
  let batchSize: number | null = null;
  if (request.batch_size !== undefined && request.batch_size !== null) {
    const value =
      typeof request.batch_size === 'string' && /^\s*\d+\s*$/.test(request.batch_size)
        ? Number(request.batch_size)
        : request.batch_size;
    if (typeof value === 'number' && Number.isInteger(value)) batchSize = value;
    else
      issues.add(issue('int_parsing', ['body', 'batch_size'], 'Input should be a valid integer', request.batch_size));
  }
  issues.throwIfAny();
  if ((ids === null || ids.length === 0) && before === null) {
    throw new RequestValidationError([
      issue('value_error', ['body'], 'Value error, Either event_ids or before_date must be provided', body, {
        error: {},
      }),
    ]);
  }
  return { ids, before, batchSize };
}
