import fs from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import type { EventFilter } from '../events/event.types';
import type { EventService } from '../events/event.service';
import { BadUserInputError } from '../core/errors';
import type { EventDocument } from '../store/event-document';
import type { EventStore } from '../store/event-store';
import { AnalyticsLookups, AnalyticsReader } from './analytics-reader';
import { EventGroupBy, TimeBucket, UtilizationPeriod, UtilizationReportKind } from './analytics.enums';
import { countEvents, type EventCountRow } from './event-counts';
import { buildPeriodsReport, isValidTimeZone, type PeriodsReport, type PeriodType } from './periods-report';
import { toPlain, val, type PyJson, type PyNum } from './python';
import { periodsReportCsv, sessionReportCsv, userReportCsv } from './report-csv';
import { analysisWindow, buildSessionReport, type ReportContext, type SessionReport } from './session-report';
import { buildUserReport, type UserReport } from './user-report';

const num = (x: PyNum): number => val(x);
const date = (ms: number): Date => new Date(ms);

/** A report as MADSci's JSON (`report`) and CSV (`csv`, built when first asked for). */
abstract class ReportResult {
  private csvText: string | null = null;
  private json: Record<string, unknown> | null = null;

  constructor(protected readonly tree: PyJson) {}

  protected abstract toCsv(tree: PyJson): string;

  /** MADSci's JSON shape, same keys and numbers. */
  get report(): Record<string, unknown> {
    return (this.json ??= toPlain(this.tree) as Record<string, unknown>);
  }

  /** MADSci's CSV layout (CRLF rows). */
  get csv(): string {
    return (this.csvText ??= this.toCsv(this.tree));
  }
}

/** The session utilization report (MADSci's `/utilization/sessions`). */
export class SessionUtilizationResult extends ReportResult {
  readonly generatedAt: Date;
  readonly analysisStart: Date;
  readonly analysisEnd: Date;
  readonly totalSessions: number;
  readonly analysisDurationHours: number;
  readonly totalSystemRuntimeHours: number;
  readonly totalActiveTimeHours: number;
  readonly averageSystemUtilizationPercent: number;
  readonly totalExperiments: number;
  readonly nodesTracked: number;
  readonly sessions;
  readonly nodes;

  constructor(r: SessionReport) {
    super(r.tree);
    this.generatedAt = date(r.generatedAt);
    this.analysisStart = date(r.window.from);
    this.analysisEnd = date(r.window.to);
    this.totalSessions = r.entries.length;
    this.analysisDurationHours = (r.window.to - r.window.from) / 1000 / 3600;
    this.totalSystemRuntimeHours = num(r.summary.totalSystemRuntimeHours);
    this.totalActiveTimeHours = num(r.summary.totalActiveTimeHours);
    this.averageSystemUtilizationPercent = num(r.summary.averageSystemUtilizationPercent);
    this.totalExperiments = r.summary.totalExperiments;
    this.nodesTracked = r.summary.nodes.length;
    this.sessions = r.entries.map((e) => ({
      sessionType: e.spec.sessionType,
      sessionId: e.spec.sessionId,
      sessionName: e.sessionName,
      startTime: date(e.spec.start),
      endTime: date(e.spec.end),
      durationHours: e.durationHours,
      activeTimeHours: e.activeHours,
      systemUtilizationPercent: e.utilizationPercent,
      totalExperiments: e.experiments.length,
      experiments: e.experiments.map((x) => ({ experimentId: x.id, experimentName: x.name, displayName: x.displayName })),
      nodesActive: e.nodes.length,
      nodes: e.nodes.map((n) => ({
        nodeId: n.nodeId,
        nodeName: n.nodeName,
        displayName: n.displayName,
        utilizationPercent: n.utilizationPercent,
        state: n.state,
        busyTimeHours: n.busyHours,
        idleTimeHours: n.idleHours,
        totalTimeHours: n.totalHours,
      })),
    }));
    this.nodes = r.summary.nodes.map((n) => ({
      nodeId: n.nodeId,
      averageUtilizationPercent: num(n.averageUtilizationPercent),
      totalBusyTimeHours: num(n.totalBusyTimeHours),
      sessionsActive: n.sessionsActive,
    }));
  }

  protected toCsv(tree: PyJson): string {
    return sessionReportCsv(tree);
  }
}

/** The user utilization report (MADSci's `/utilization/user`). */
export class UserUtilizationResult extends ReportResult {
  readonly generatedAt: Date;
  readonly analysisStart: Date;
  readonly analysisEnd: Date;
  readonly totalWorkflows: number;
  readonly totalUsers: number;
  readonly workflowsWithAuthors: number;
  readonly workflowsWithoutAuthors: number;
  readonly totalRuntimeHours: number;
  readonly averageWorkflowDurationHours: number;
  readonly completionRatePercent: number;
  readonly authorAttributionRatePercent: number;
  readonly users;

  constructor(r: UserReport) {
    super(r.tree);
    this.generatedAt = date(r.generatedAt);
    this.analysisStart = date(r.window.from);
    this.analysisEnd = date(r.window.to);
    this.totalWorkflows = r.system.totalWorkflows;
    this.totalUsers = r.users.length;
    this.workflowsWithAuthors = r.system.workflowsWithAuthors;
    this.workflowsWithoutAuthors = r.system.totalWorkflows - r.system.workflowsWithAuthors;
    this.totalRuntimeHours = num(r.system.totalRuntimeHours);
    this.averageWorkflowDurationHours = num(r.system.averageWorkflowDurationHours);
    this.completionRatePercent = num(r.system.completionRatePercent);
    this.authorAttributionRatePercent = num(r.system.authorAttributionRatePercent);
    this.users = r.users.map((u) => ({
      author: u.author,
      totalWorkflows: u.totalWorkflows,
      completedWorkflows: u.completedWorkflows,
      failedWorkflows: u.failedWorkflows,
      cancelledWorkflows: u.cancelledWorkflows,
      totalRuntimeHours: num(u.totalRuntimeHours),
      averageWorkflowDurationHours: num(u.averageWorkflowDurationHours),
      shortestWorkflowHours: u.shortestWorkflowHours === null ? null : num(u.shortestWorkflowHours),
      longestWorkflowHours: u.longestWorkflowHours === null ? null : num(u.longestWorkflowHours),
      completionRatePercent: num(u.completionRatePercent),
      workflows: u.workflows.map((w) => ({
        workflowId: w.workflowId,
        workflowName: w.workflowName,
        startTime: w.startTime === null ? null : date(w.startTime),
        endTime: w.endTime === null ? null : date(w.endTime),
        durationHours: w.durationSeconds === null ? null : w.durationSeconds / 3600,
        status: w.status,
      })),
    }));
  }

  protected toCsv(tree: PyJson): string {
    return userReportCsv(tree);
  }
}

/** The time-series report (MADSci's `/utilization/periods`). */
export class UtilizationPeriodsResult extends ReportResult {
  readonly period: UtilizationPeriod;
  readonly timezone: string;
  readonly generatedAt: Date;
  readonly periodStart: Date;
  readonly periodEnd: Date;
  readonly totalPeriods: number;
  readonly averageUtilization: number;
  readonly peakUtilization: number;
  readonly peakPeriod: string | null;
  readonly totalExperiments: number;
  readonly totalRuntimeHours: number;
  readonly totalActiveTimeHours: number;
  readonly activePeriods: number;
  readonly periods;
  readonly nodes;
  readonly workcells;
  readonly topUsers;

  constructor(r: PeriodsReport, period: UtilizationPeriod) {
    super(r.tree);
    this.period = period;
    this.timezone = r.timezone;
    this.generatedAt = date(r.generatedAt);
    this.periodStart = date(r.window.from);
    this.periodEnd = date(r.window.to);
    this.totalPeriods = r.buckets.length;
    this.averageUtilization = num(r.keyMetrics.averageUtilization);
    this.peakUtilization = num(r.keyMetrics.peakUtilization);
    this.peakPeriod = r.keyMetrics.peakPeriod;
    this.totalExperiments = r.keyMetrics.totalExperiments;
    this.totalRuntimeHours = num(r.keyMetrics.totalRuntimeHours);
    this.totalActiveTimeHours = num(r.keyMetrics.totalActiveTimeHours);
    this.activePeriods = r.keyMetrics.activePeriods;
    this.periods = r.buckets.map((b) => ({
      periodNumber: b.bucket.index + 1,
      periodType: b.bucket.periodInfo.type,
      periodDisplay: b.bucket.periodInfo.display,
      periodShort: b.bucket.periodInfo.short,
      start: date(b.bucket.start),
      end: date(b.bucket.end),
      startTimeUtc: date(b.startUtc),
      utilization: num(b.utilization),
      experiments: b.experiments,
      runtimeHours: num(b.runtime),
      activeTimeHours: num(b.active),
    }));
    this.nodes = r.nodes.map((n) => ({
      nodeId: n.nodeId,
      nodeName: n.nodeName,
      displayName: n.displayName,
      averageUtilization: num(n.averageUtilization),
      peakUtilization: num(n.peakUtilization),
      peakPeriod: n.peakPeriod,
      totalBusyHours: num(n.totalBusyHours),
    }));
    this.workcells = r.workcells.map((w) => ({
      workcellId: w.workcellId,
      workcellName: w.workcellName,
      displayName: w.displayName,
      averageUtilization: num(w.averageUtilization),
      peakUtilization: num(w.peakUtilization),
      peakPeriod: w.peakPeriod,
      totalExperiments: w.totalExperiments,
      totalRuntimeHours: num(w.totalRuntimeHours),
      totalActiveTimeHours: num(w.totalActiveTimeHours),
    }));
    this.topUsers = r.users
      ? [...r.users.users]
          .sort((a, b) => num(b.totalRuntimeHours) - num(a.totalRuntimeHours))
          .slice(0, 10)
          .map((u) => ({
            author: u.author,
            totalWorkflows: u.totalWorkflows,
            totalRuntimeHours: num(u.totalRuntimeHours),
            completionRatePercent: num(u.completionRatePercent),
            averageWorkflowDurationHours: num(u.averageWorkflowDurationHours),
          }))
      : null;
  }

  protected toCsv(tree: PyJson): string {
    return periodsReportCsv(tree);
  }
}

/** Arguments of the periods report. */
export interface PeriodsArgs {
  from?: Date | null;
  to?: Date | null;
  period?: UtilizationPeriod | null;
  /** IANA zone of the buckets. Default `America/Chicago` (MADSci's). */
  timezone?: string | null;
  /** Add the user summary after the key metrics (decision Q3). Default true. */
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

const PERIOD_TYPES: Record<UtilizationPeriod, PeriodType> = {
  [UtilizationPeriod.HOURLY]: 'hourly',
  [UtilizationPeriod.DAILY]: 'daily',
  [UtilizationPeriod.WEEKLY]: 'weekly',
  [UtilizationPeriod.MONTHLY]: 'monthly',
};

/** File names may hold letters, digits, `.`, `_`, `-` and spaces; no separators, no leading dot. */
const SAFE_FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9 ._-]{0,199}$/;

/**
 * Utilization reports with MADSci's semantics (spec section 4, decisions in section 11), event
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
   * Sessions and their utilization (spec 4.2-4.6). Without `from`/`to` the window is the whole
   * collection; with one of them, 24 hours from or to it.
   */
  async sessionUtilization(args: { from?: Date | null; to?: Date | null } = {}): Promise<SessionUtilizationResult> {
    const ctx = this.context();
    const window = await analysisWindow(ctx.reader, ctx.now, args.from?.getTime(), args.to?.getTime());
    return new SessionUtilizationResult(await buildSessionReport(ctx, window));
  }

  /** Workflow authors and their runtimes (spec 4.7); window as {@link sessionUtilization}. */
  async userUtilization(args: { from?: Date | null; to?: Date | null } = {}): Promise<UserUtilizationResult> {
    const ctx = this.context();
    const window = await analysisWindow(ctx.reader, ctx.now, args.from?.getTime(), args.to?.getTime());
    return new UserUtilizationResult(await buildUserReport(ctx, window));
  }

  /**
   * Utilization per hour, day, week or month in a time zone (spec 4.8, decision Q4: bucket edges
   * follow the zone's rules, DST included).
   * @throws BadUserInputError when the window is empty or reversed, or the zone is unknown.
   */
  async utilizationPeriods(args: PeriodsArgs = {}): Promise<UtilizationPeriodsResult> {
    const period = args.period ?? UtilizationPeriod.DAILY;
    const timezone = args.timezone ?? 'America/Chicago';
    let zone = timezone;
    if (!isValidTimeZone(timezone)) {
      if (args.unknownTimezone !== 'utc') throw new BadUserInputError(`Unknown time zone ${JSON.stringify(timezone)}; use an IANA name such as "America/Chicago" or "UTC"`, 'timezone');
      zone = 'UTC';
    }
    const ctx = this.context();
    const window = await analysisWindow(ctx.reader, ctx.now, args.from?.getTime(), args.to?.getTime());
    if (window.from >= window.to) {
      throw new BadUserInputError(`Invalid analysis time period: start time must be before end time (${new Date(window.from).toISOString()} >= ${new Date(window.to).toISOString()})`, 'from');
    }
    const report = await buildPeriodsReport(ctx, window, PERIOD_TYPES[period], timezone, { includeUsers: args.includeUsers ?? true, zone });
    return new UtilizationPeriodsResult(report, period);
  }

  /**
   * Event counts per group and, with `bucket`, per time bucket in `timezone`, counted by the
   * store. Empty buckets inside the range appear with count 0.
   */
  eventCounts(args: { filter?: EventFilter | null; groupBy: EventGroupBy; bucket?: TimeBucket | null; timezone?: string | null }): Promise<EventCountRow[]> {
    const selector = this.events.selectorFor(args.filter);
    return countEvents(this.store, selector, { groupBy: args.groupBy, bucket: args.bucket, timezone: args.timezone, from: args.filter?.from, to: args.filter?.to });
  }

  /** Every event a filter matches, oldest first, streamed in chunks (for downloads). */
  streamEvents(filter: EventFilter | null | undefined): AsyncIterable<EventDocument> {
    return this.store.stream(this.events.selectorFor(filter), { order: { field: 'event_timestamp', direction: 1 } });
  }

  /** A report's CSV and MADSci's file name for it. */
  async reportCsv(report: UtilizationReportKind, args: PeriodsArgs): Promise<{ csv: string; fileName: string }> {
    const day = DateTime.fromJSDate(this.clock()).toFormat('yyyyMMdd');
    switch (report) {
      case UtilizationReportKind.SESSIONS:
        return { csv: (await this.sessionUtilization(args)).csv, fileName: `madsci_utilization_report_basic_${day}.csv` };
      case UtilizationReportKind.USERS:
        return { csv: (await this.userUtilization(args)).csv, fileName: `madsci_user_utilization_detailed_${day}.csv` };
      case UtilizationReportKind.PERIODS: {
        const period = args.period ?? UtilizationPeriod.DAILY;
        return { csv: (await this.utilizationPeriods({ ...args, period })).csv, fileName: `madsci_utilization_periods_${PERIOD_TYPES[period]}_${day}.csv` };
      }
    }
  }

  /**
   * Writes a report's CSV into the export directory (decision Q8): under MADSci's file name, or
   * `fileName`, which must be a plain file name; anything that would land outside the directory
   * is refused. Overwrites a file of the same name.
   * @throws BadUserInputError for an unsafe file name.
   */
  async saveReport(report: UtilizationReportKind, args: PeriodsArgs & { fileName?: string | null }): Promise<ExportOutcome> {
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
      throw new BadUserInputError('fileName must be a plain file name (letters, digits, ".", "_", "-", spaces) inside the export directory', 'fileName');
    }
    return file;
  }
}
