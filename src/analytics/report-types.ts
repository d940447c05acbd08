/**
 * The utilization reports as one typed shape each: what the analytics service builds, what the
 * GraphQL object types expose (they implement these interfaces), and what MADSci's JSON
 * (`report-json.ts`) and CSV (`report-csv.ts`) are rendered from. Instants are `Date`s, figures
 * plain numbers. Members marked "MADSci's JSON only" have no GraphQL field; they carry what the
 * snake_case JSON shows beyond the typed fields (seconds behind hours, zoned labels, series,
 * trends), or what decides whether Python printed a figure as an int or a float.
 */
import type { UtilizationPeriod } from './analytics.enums';
import type { SessionSpec } from './sessions';

/** A JSON value taken from an event payload as it is (experiment names, completion statuses). */
export type JsonValue = null | string | number | boolean | JsonValue[] | { [key: string]: JsonValue };

/** An experiment that ran in a session. */
export interface SessionExperiment {
  experimentId: string;
  experimentName: string | null;
  displayName: string;
}

/** One node in one session. */
export interface SessionNodeUtilization {
  nodeId: string;
  nodeName: string | null;
  displayName: string;
  /** busy / active x 100, one decimal. */
  utilizationPercent: number;
  state: 'busy' | 'idle';
  busyTimeHours: number;
  idleTimeHours: number;
  totalTimeHours: number;
  /** MADSci's JSON only: the seconds the hours come from (its `timing` objects print them). */
  busySeconds: number;
  idleSeconds: number;
  totalSeconds: number;
}

/** A session: a period during which a workcell or lab ran (or the whole window). */
export interface UtilizationSession {
  sessionType: SessionSpec['sessionType'];
  sessionId: string;
  sessionName: string;
  startTime: Date;
  endTime: Date;
  durationHours: number;
  activeTimeHours: number;
  /** active / duration x 100, one decimal. */
  systemUtilizationPercent: number;
  totalExperiments: number;
  experiments: SessionExperiment[];
  nodesActive: number;
  nodes: SessionNodeUtilization[];
  /** MADSci's JSON only: the seconds behind `durationHours` and `activeTimeHours`. */
  durationSeconds: number;
  activeSeconds: number;
}

/** A node over every session of the report. */
export interface NodeUtilizationSummary {
  nodeId: string;
  averageUtilizationPercent: number;
  totalBusyTimeHours: number;
  sessionsActive: number;
}

/** The session utilization report (MADSci's `/utilization/sessions`). */
export interface SessionUtilizationReport {
  generatedAt: Date;
  analysisStart: Date;
  analysisEnd: Date;
  totalSessions: number;
  analysisDurationHours: number;
  totalSystemRuntimeHours: number;
  totalActiveTimeHours: number;
  averageSystemUtilizationPercent: number;
  totalExperiments: number;
  nodesTracked: number;
  sessions: UtilizationSession[];
  nodes: NodeUtilizationSummary[];
}

/** A workflow as the user report sees it. */
export interface UserWorkflow {
  workflowId: string;
  workflowName: string;
  startTime: Date | null;
  endTime: Date | null;
  durationHours: number | null;
  /** Usually `completed`, `failed`, `cancelled`, `running` or `started`; any string a producer sent. */
  status: string;
}

/** One workflow author's figures. */
export interface UserUtilization {
  author: string;
  totalWorkflows: number;
  completedWorkflows: number;
  failedWorkflows: number;
  cancelledWorkflows: number;
  totalRuntimeHours: number;
  averageWorkflowDurationHours: number;
  shortestWorkflowHours: number | null;
  longestWorkflowHours: number | null;
  completionRatePercent: number;
  workflows: UserWorkflow[];
  /** MADSci's CSV only: workflows with a known duration (none: runtime and average are Python's int 0). */
  timedWorkflows: number;
}

/** The user utilization report (MADSci's `/utilization/user`). */
export interface UserUtilizationReport {
  generatedAt: Date;
  analysisStart: Date;
  analysisEnd: Date;
  totalWorkflows: number;
  totalUsers: number;
  workflowsWithAuthors: number;
  workflowsWithoutAuthors: number;
  totalRuntimeHours: number;
  averageWorkflowDurationHours: number;
  completionRatePercent: number;
  authorAttributionRatePercent: number;
  users: UserUtilization[];
  /**
   * MADSci's CSV only: completions whose `duration_seconds` was a number, the only durations
   * the system totals read (none: the system average is Python's int 0).
   */
  reportedDurations: number;
}

/** MADSci's `period_info.type` of a bucket. */
export type PeriodKind = 'period' | 'day' | 'week' | 'month';

/** One bucket of the periods report. */
export interface UtilizationPeriodPoint {
  periodNumber: number;
  periodType: PeriodKind;
  periodDisplay: string;
  periodShort: string;
  /** Bucket start and end (unclipped). */
  start: Date;
  end: Date;
  /** Start as analysed: daily and monthly buckets are clipped to the window. */
  startTimeUtc: Date;
  utilization: number;
  experiments: number;
  runtimeHours: number;
  activeTimeHours: number;
  /** MADSci's JSON only: zoned `YYYY-MM-DD` (daily) or `YYYY-MM` (monthly), else empty. */
  date: string;
  /** MADSci's JSON only: zoned start `YYYY-MM-DDTHH:MM:SS` (daily, monthly), else empty. */
  localStartTime: string;
  /** MADSci's CSV only: sessions overlapping the bucket (none: its figures are Python's int 0). */
  sessions: number;
}

/** A point of a node's series in the periods report (MADSci's JSON only). */
export interface NodeSeriesPoint {
  periodNumber: number;
  periodType: PeriodKind;
  periodDisplay: string;
  date: string;
  utilization: number;
  busyHours: number;
}

/** A point of a workcell's series in the periods report (MADSci's JSON only). */
export interface WorkcellSeriesPoint {
  periodNumber: number;
  periodType: PeriodKind;
  periodDisplay: string;
  date: string;
  utilization: number;
  experiments: number;
  runtimeHours: number;
  activeTimeHours: number;
}

/** A node of the periods report. */
export interface PeriodNodeUtilization {
  nodeId: string;
  nodeName: string | null;
  displayName: string;
  averageUtilization: number;
  peakUtilization: number;
  peakPeriod: string | null;
  totalBusyHours: number;
  /** MADSci's JSON only. */
  peakContext: string;
  series: NodeSeriesPoint[];
}

/** A workcell (or lab) of the periods report. */
export interface PeriodWorkcellUtilization {
  workcellId: string;
  workcellName: string;
  displayName: string;
  averageUtilization: number;
  peakUtilization: number;
  peakPeriod: string | null;
  totalExperiments: number;
  totalRuntimeHours: number;
  totalActiveTimeHours: number;
  /** MADSci's JSON only. */
  peakContext: string;
  /** MADSci's JSON only: the buckets where it ran. */
  series: WorkcellSeriesPoint[];
}

/** One of the periods report's top authors. */
export type PeriodTopUser = Pick<
  UserUtilization,
  | 'author'
  | 'totalWorkflows'
  | 'totalRuntimeHours'
  | 'completionRatePercent'
  | 'averageWorkflowDurationHours'
  | 'timedWorkflows'
>;

/** The user part of the periods report beyond its top users (MADSci's JSON only). */
export interface PeriodUserSummary {
  totalUsers: number;
  authorAttributionRatePercent: number;
  totalWorkflows: number;
  totalRuntimeHours: number;
  completionRatePercent: number;
}

/** MADSci's trend of a series: first and last active period compared. */
export type PeriodTrend =
  | { direction: 'insufficient_data'; changePercent: 0 }
  | {
      direction: 'increasing' | 'decreasing' | 'stable';
      changePercent: number;
      firstValue: number;
      lastValue: number;
      activePeriodsAnalyzed: number;
    };

/** An experiment that started in the window of a periods report. */
export interface PeriodExperiment {
  experimentId: string;
  /** The payload's `experiment_design.experiment_name` as sent, `Unknown Experiment` without one. */
  experimentName: JsonValue;
  startTime: Date;
  endTime: Date | null;
  /** The completion's `status` as sent; `completed` without one, `in_progress` before completion. */
  status: JsonValue;
  durationHours: number | null;
  durationDisplay: string;
}

/** The time-series report (MADSci's `/utilization/periods`). */
export interface UtilizationPeriodsReport {
  period: UtilizationPeriod;
  timezone: string;
  generatedAt: Date;
  periodStart: Date;
  periodEnd: Date;
  totalPeriods: number;
  averageUtilization: number;
  peakUtilization: number;
  peakPeriod: string | null;
  totalExperiments: number;
  totalRuntimeHours: number;
  totalActiveTimeHours: number;
  /** Buckets with at least one experiment. */
  activePeriods: number;
  periods: UtilizationPeriodPoint[];
  nodes: PeriodNodeUtilization[];
  workcells: PeriodWorkcellUtilization[];
  /** Up to 10 authors by runtime; null unless the users were asked for. */
  topUsers: PeriodTopUser[] | null;
  /** MADSci's JSON only. */
  peakContext: string;
  userSummary: PeriodUserSummary | null;
  trends: { utilization: PeriodTrend; experiments: PeriodTrend };
  /** Experiments of the report's sessions that started in the window: the first 50, and how many there were. */
  experimentDetails: { total: number; experiments: PeriodExperiment[] };
}

/** A report with MADSci's renderings of it, each built when first read. */
export interface MadsciRenderings {
  /** MADSci's JSON (snake_case keys, same numbers). */
  readonly report: Record<string, unknown>;
  /** MADSci's CSV (CRLF rows). */
  readonly csv: string;
}

/** A typed report and its MADSci renderings, as the analytics service returns it. */
export type Rendered<T> = T & MadsciRenderings;

/** Adds lazily built MADSci renderings to a typed report (the object itself is kept). */
export function withRenderings<T extends object>(
  report: T,
  json: (report: T) => Record<string, unknown>,
  csv: (report: T) => string,
): Rendered<T> {
  let jsonText: Record<string, unknown> | undefined;
  let csvText: string | undefined;
  return Object.defineProperties(report, {
    report: { get: () => (jsonText ??= json(report)), enumerable: false },
    csv: { get: () => (csvText ??= csv(report)), enumerable: false },
  }) as Rendered<T>;
}
