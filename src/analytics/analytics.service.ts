import fs from 'node:fs';
import path from 'node:path';
import type { EventFilter } from '../events/event.types';
import type { EventService } from '../events/event.service';
import { BadUserInputError } from '../core/errors';
import type { EventDocument } from '../store/event-document';
import type { EventStore } from '../store/event-store';
import { AnalyticsLookups, AnalyticsReader } from './analytics-reader';
import { EventGroupBy, TimeBucket, UtilizationPeriod, UtilizationReportKind } from './analytics.enums';
import { countEvents, type EventCountRow } from './event-counts';
import { isValidTimeZone } from './period-buckets';
import { buildPeriodsReport } from './periods-report';
import { periodsReportCsv, sessionReportCsv, userReportCsv } from './report-csv';
import { DEFAULT_REPORT_TIMEZONE, savedReportName } from './report-files';
import { periodsReportJson, sessionReportJson, userReportJson } from './report-json';
import {
  withRenderings,
  type Rendered,
  type SessionUtilizationReport,
  type UserUtilizationReport,
  type UtilizationPeriodsReport,
} from './report-types';
import { analysisWindow, buildSessionReport, type ReportContext } from './session-report';
import { resolveSourceNames, type SourceNameRequest, type SourceNames } from './source-names';
import { buildUserReport } from './user-report';

/** Arguments of the periods report. */
export interface PeriodsArgs {
  from?: Date | null;
  to?: Date | null;
  period?: UtilizationPeriod | null;
  /** IANA zone of the buckets. Default {@link DEFAULT_REPORT_TIMEZONE} (MADSci's). */
  timezone?: string | null;
  /** Add the user summary after the key metrics (docs/madsci-compatibility.md#d3-user-summary-in-the-periods-report). Default true. */
  includeUsers?: boolean | null;
  /**
   * What an unknown zone does: `reject` (BAD_USER_INPUT, the default) or `utc` (MADSci's REST
   * behaviour: buckets in UTC, the requested name echoed).
   */
  unknownTimezone?: 'reject' | 'utc';
}

/** What {@link AnalyticsService.saveReport} wrote. */
export interface ExportOutcome {
  path: string;
  bytes: number;
}

/** File names may hold letters, digits, `.`, `_`, `-` and spaces; no separators, no leading dot. */
const SAFE_FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9 ._-]{0,199}$/;

/**
 * Utilization reports with MADSci's semantics (docs/utilization-reports.md; decisions in docs/madsci-compatibility.md), event
 * counts for dashboards, and exports. Knows nothing of GraphQL or HTTP. Every report reads the
 * events it needs through the store's streaming read, so memory follows the size of the report,
 * not of the window.
 */
export class AnalyticsService {
  constructor(
    private readonly store: EventStore,
    private readonly events: EventService,
    private readonly options: { exportDir: string },
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** A fresh reader and lookup cache per report (MADSci caches names per request). */
  private context(): ReportContext {
    const reader = new AnalyticsReader(this.store);
    return { reader, lookups: new AnalyticsLookups(reader), now: this.clock().getTime() };
  }

  /**
   * Sessions and their utilization (docs/utilization-reports.md#session-report). Without `from`/`to` the window is the whole
   * collection; with one of them, 24 hours from or to it.
   */
  async sessionUtilization(
    args: { from?: Date | null; to?: Date | null } = {},
  ): Promise<Rendered<SessionUtilizationReport>> {
    const ctx = this.context();
    const window = await analysisWindow(ctx.reader, ctx.now, args.from?.getTime(), args.to?.getTime());
    return withRenderings(await buildSessionReport(ctx, window), sessionReportJson, sessionReportCsv);
  }

  /** Workflow authors and their runtimes (docs/utilization-reports.md#user-report); window as {@link sessionUtilization}. */
  async userUtilization(args: { from?: Date | null; to?: Date | null } = {}): Promise<Rendered<UserUtilizationReport>> {
    const ctx = this.context();
    const window = await analysisWindow(ctx.reader, ctx.now, args.from?.getTime(), args.to?.getTime());
    return withRenderings(await buildUserReport(ctx, window), userReportJson, userReportCsv);
  }

  /**
   * Utilization per hour, day, week or month in a time zone (docs/utilization-reports.md#buckets-and-time-zones: bucket edges
   * follow the zone's rules, DST included).
   * @throws BadUserInputError when the window is empty or reversed, or the zone is unknown.
   */
  async utilizationPeriods(args: PeriodsArgs = {}): Promise<Rendered<UtilizationPeriodsReport>> {
    const period = args.period ?? UtilizationPeriod.DAILY;
    const timezone = args.timezone ?? DEFAULT_REPORT_TIMEZONE;
    let zone = timezone;
    if (!isValidTimeZone(timezone)) {
      if (args.unknownTimezone !== 'utc')
        throw new BadUserInputError(
          `Unknown time zone ${JSON.stringify(timezone)}; use an IANA name such as "America/Chicago" or "UTC"`,
          'timezone',
        );
      zone = 'UTC';
    }
    const ctx = this.context();
    const window = await analysisWindow(ctx.reader, ctx.now, args.from?.getTime(), args.to?.getTime());
    if (window.from >= window.to) {
      throw new BadUserInputError(
        `Invalid analysis time period: start time must be before end time (${new Date(window.from).toISOString()} >= ${new Date(window.to).toISOString()})`,
        'from',
      );
    }
    const report = await buildPeriodsReport(ctx, window, period, timezone, {
      includeUsers: args.includeUsers ?? true,
      zone,
    });
    return withRenderings(report, periodsReportJson, periodsReportCsv);
  }

  /**
   * Event counts per group and, with `bucket`, per time bucket in `timezone`, counted by the
   * store. Empty buckets inside the range appear with count 0.
   */
  eventCounts(args: {
    filter?: EventFilter | null;
    groupBy: EventGroupBy;
    bucket?: TimeBucket | null;
    timezone?: string | null;
  }): Promise<EventCountRow[]> {
    const selector = this.events.selectorFor(args.filter);
    return countEvents(this.store, selector, {
      groupBy: args.groupBy,
      bucket: args.bucket,
      timezone: args.timezone,
      from: args.filter?.from,
      to: args.filter?.to,
    });
  }

  /**
   * The names the events give to nodes, workcells, experiments and workflows, resolved as the
   * reports resolve them (docs/utilization-reports.md#names-and-the-workcell-test); null where no
   * event names the id. For showing names instead of ids.
   * @throws BadUserInputError when a kind holds more than MAX_SOURCE_NAME_IDS (source-names.ts) ids.
   */
  sourceNames(request: SourceNameRequest): Promise<SourceNames> {
    return resolveSourceNames(this.store, request);
  }

  /** Every event a filter matches, oldest first, streamed in chunks (for downloads). */
  streamEvents(filter: EventFilter | null | undefined): AsyncIterable<EventDocument> {
    return this.store.stream(this.events.selectorFor(filter), { order: { field: 'event_timestamp', direction: 1 } });
  }

  /** A report's CSV and MADSci's file name for it. */
  async reportCsv(report: UtilizationReportKind, args: PeriodsArgs): Promise<{ csv: string; fileName: string }> {
    const fileName = savedReportName(report, this.clock(), args.period);
    switch (report) {
      case UtilizationReportKind.SESSIONS:
        return { csv: (await this.sessionUtilization(args)).csv, fileName };
      case UtilizationReportKind.USERS:
        return { csv: (await this.userUtilization(args)).csv, fileName };
      case UtilizationReportKind.PERIODS:
        return { csv: (await this.utilizationPeriods(args)).csv, fileName };
    }
  }

  /**
   * Writes a report's CSV into the export directory (docs/madsci-compatibility.md#d8-server-side-csv-files): under MADSci's file name, or
   * `fileName`, which must be a plain file name; anything that would land outside the directory
   * is refused. Overwrites a file of the same name.
   * @throws BadUserInputError for an unsafe file name.
   */
  async saveReport(
    report: UtilizationReportKind,
    args: PeriodsArgs & { fileName?: string | null },
  ): Promise<ExportOutcome> {
    if (args.fileName != null) this.exportPath(args.fileName);
    const { csv, fileName } = await this.reportCsv(report, args);
    const file = this.exportPath(args.fileName ?? fileName);
    await fs.promises.mkdir(this.options.exportDir, { recursive: true });
    const data = Buffer.from(csv, 'utf8');
    const partial = `${file}.partial-${process.pid}`;
    await fs.promises.writeFile(partial, data);
    await fs.promises.rename(partial, file);
    return { path: file, bytes: data.length };
  }

  /** The absolute path of a file name inside the export directory. @throws BadUserInputError when it is not a plain name there. */
  exportPath(fileName: string): string {
    const dir = path.resolve(this.options.exportDir);
    const file = path.resolve(dir, fileName);
    if (!SAFE_FILE_NAME.test(fileName) || path.dirname(file) !== dir) {
      throw new BadUserInputError(
        'fileName must be a plain file name (letters, digits, ".", "_", "-", spaces) inside the export directory',
        'fileName',
      );
    }
    return file;
  }
}
