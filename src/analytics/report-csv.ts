import Papa from 'papaparse';
import { analysisType } from './report-json';
import { csvCell, F, pyIso, pyIsoUtc, type PyJson } from './python';
import type {
  PeriodTopUser,
  SessionUtilizationReport,
  UserUtilization,
  UserUtilizationReport,
  UtilizationPeriodsReport,
} from './report-types';

/**
 * MADSci's CSV of each typed report. Python's csv module prints an int as `0` and a float as
 * `0.0`, so every figure goes through {@link float} or stays a plain integer; where MADSci's
 * figure is an int only because there was nothing to add up (`sum([])`, `x if items else 0`), the
 * rule says so beside the cell.
 */

/** A cell: text, an int, a float ({@link F}), None, or a payload value as sent. */
type Cell = PyJson;

/** A figure Python holds as a float. */
const float = (x: number): Cell => F(x);
/** A figure that is a float when `isFloat`, else Python's int (always 0 here). */
const floatIf = (isFloat: boolean, x: number): Cell => (isFloat ? F(x) : x);
const iso = (date: Date | null): Cell => (date === null ? null : pyIso(date.getTime()));

/**
 * Items in the order of a JavaScript object keyed by `key` (integer-like keys first, later
 * duplicates replacing earlier ones in place): the order MADSci's JSON maps show, which the CSV
 * follows.
 */
function inKeyOrder<T>(items: readonly T[], key: (item: T) => string): T[] {
  return Object.values(Object.fromEntries(items.map((item) => [key(item), item]))) as T[];
}

/**
 * Rows written the way Python's csv module writes them (docs/utilization-reports.md#csv-layout): comma separated,
 * quotes only where needed, CRLF after every row (an empty row is just CRLF).
 */
function toCsv(rows: readonly (readonly Cell[])[]): string {
  if (rows.length === 0) return '';
  return `${Papa.unparse(
    rows.map((row) => row.map(csvCell)),
    { newline: '\r\n' },
  )}\r\n`;
}

/** The session report as MADSci's CSV (docs/utilization-reports.md#session-report-csv). Its totals add up at least one session, so they are floats. */
export function sessionReportCsv(r: SessionUtilizationReport): string {
  const any = r.sessions.length > 0;
  const rows: Cell[][] = [
    ['=== UTILIZATION REPORT ==='],
    [],
    ['Report Metadata'],
    ['Generated At', pyIsoUtc(r.generatedAt.getTime())],
    ['Analysis Start', iso(r.analysisStart)],
    ['Analysis End', iso(r.analysisEnd)],
    ['Total Sessions', r.totalSessions],
    ['Analysis Duration (hours)', float(r.analysisDurationHours)],
    [],
    ['Overall Summary'],
    ['Total Sessions', r.totalSessions],
    ['Total System Runtime (hours)', floatIf(any, r.totalSystemRuntimeHours)],
    ['Total Active Time (hours)', floatIf(any, r.totalActiveTimeHours)],
    ['Average System Utilization (%)', floatIf(any, r.averageSystemUtilizationPercent)],
    ['Total Experiments', r.totalExperiments],
    ['Nodes Tracked', r.nodesTracked],
    [],
  ];
  if (any) {
    rows.push(
      ['=== SESSION DETAILS ==='],
      [
        'Session Type',
        'Session Name',
        'Start Time',
        'End Time',
        'Duration (hours)',
        'System Utilization (%)',
        'Total Experiments',
        'Nodes Active',
      ],
    );
    for (const s of r.sessions) {
      rows.push([
        s.sessionType,
        s.sessionName,
        iso(s.startTime),
        iso(s.endTime),
        float(s.durationHours),
        float(s.systemUtilizationPercent),
        s.totalExperiments,
        s.nodesActive,
      ]);
    }
    rows.push([]);
  }
  const nodes = inKeyOrder(r.nodes, (n) => n.nodeId);
  if (nodes.length > 0) {
    rows.push(
      ['=== NODE SUMMARY ==='],
      ['Node ID', 'Average Utilization (%)', 'Total Busy Time (hours)', 'Sessions Active'],
    );
    for (const n of nodes)
      rows.push([n.nodeId, float(n.averageUtilizationPercent), float(n.totalBusyTimeHours), n.sessionsActive]);
  }
  return toCsv(rows);
}

/** An author's runtime and average: Python's int 0 when none of their workflows has a duration. */
const userFigures = (u: UserUtilization | PeriodTopUser): [Cell, Cell] => [
  floatIf(u.timedWorkflows > 0, u.totalRuntimeHours),
  floatIf(u.timedWorkflows > 0, u.averageWorkflowDurationHours),
];

/** The user report as MADSci's "detailed" CSV (docs/utilization-reports.md#user-report-csv). */
export function userReportCsv(r: UserUtilizationReport): string {
  const anyWorkflow = r.totalWorkflows > 0;
  const rows: Cell[][] = [
    ['=== DETAILED USER UTILIZATION REPORT ==='],
    [],
    ['Report Metadata'],
    ['Generated At', pyIsoUtc(r.generatedAt.getTime())],
    ['Analysis Start', iso(r.analysisStart)],
    ['Analysis End', iso(r.analysisEnd)],
    ['Total Users', r.totalUsers],
    ['Total Workflows', r.totalWorkflows],
    [],
    ['System Summary'],
    ['Total Workflows', r.totalWorkflows],
    ['Total Runtime (hours)', float(r.totalRuntimeHours)],
    ['Average Workflow Duration (hours)', floatIf(r.reportedDurations > 0, r.averageWorkflowDurationHours)],
    ['Completion Rate (%)', floatIf(anyWorkflow, r.completionRatePercent)],
    ['Author Attribution Rate (%)', floatIf(anyWorkflow, r.authorAttributionRatePercent)],
    [],
    ['=== USER DETAILS ==='],
    [
      'Author',
      'Total Workflows',
      'Completed',
      'Failed',
      'Cancelled',
      'Total Runtime (hours)',
      'Avg Duration (hours)',
      'Completion Rate (%)',
      'Shortest (hours)',
      'Longest (hours)',
    ],
  ];
  for (const u of inKeyOrder(r.users, (user) => user.author)) {
    const [runtime, average] = userFigures(u);
    const shortest = u.shortestWorkflowHours === null ? null : float(u.shortestWorkflowHours);
    const longest = u.longestWorkflowHours === null ? null : float(u.longestWorkflowHours);
    rows.push([
      u.author,
      u.totalWorkflows,
      u.completedWorkflows,
      u.failedWorkflows,
      u.cancelledWorkflows,
      runtime,
      average,
      float(u.completionRatePercent),
      shortest,
      longest,
    ]);
  }
  return toCsv(rows);
}

/**
 * The periods report as MADSci's CSV (docs/utilization-reports.md#periods-report-csv). A bucket no session overlaps has int 0
 * figures; the totals are floats once one bucket has a session; the average is a float when a
 * bucket it averages has a session (monthly: any bucket, as it divides the totals); a peak is a
 * float when there is one.
 */
export function periodsReportCsv(r: UtilizationPeriodsReport): string {
  const type = analysisType(r);
  const anySession = r.periods.some((p) => p.sessions > 0);
  const averageIsFloat = type === 'monthly' ? anySession : r.periods.some((p) => p.experiments > 0 && p.sessions > 0);
  const rows: Cell[][] = [
    ['=== UTILIZATION PERIODS REPORT ==='],
    [],
    ['Metadata'],
    ['Analysis Type', type],
    ['Generated At', pyIsoUtc(r.generatedAt.getTime())],
    ['Period Start', iso(r.periodStart)],
    ['Period End', iso(r.periodEnd)],
    ['User Timezone', r.timezone],
    ['Total Periods', r.totalPeriods],
    [],
    ['Key Metrics'],
    ['Average Utilization (%)', floatIf(averageIsFloat, r.averageUtilization)],
    ['Peak Utilization (%)', floatIf(r.peakPeriod !== null, r.peakUtilization)],
    ['Peak Period', r.peakPeriod],
    ['Total Experiments', r.totalExperiments],
    ['Total Runtime (hours)', floatIf(anySession, r.totalRuntimeHours)],
    ['Total Active Time (hours)', floatIf(anySession, r.totalActiveTimeHours)],
    ['Active Periods', r.activePeriods],
    ['Total Periods', r.totalPeriods],
    [],
    ['=== TIME SERIES DATA ==='],
    [
      'Period Number',
      'Period Type',
      'Period Display',
      'Date',
      'Start Time',
      'Utilization (%)',
      'Experiments',
      'Runtime (hours)',
    ],
  ];
  for (const p of r.periods) {
    rows.push([
      p.periodNumber,
      p.periodType,
      p.periodDisplay,
      p.date,
      p.localStartTime,
      floatIf(p.sessions > 0, p.utilization),
      p.experiments,
      floatIf(p.sessions > 0, p.runtimeHours),
    ]);
  }
  rows.push([], ['=== NODE SUMMARY ===']);
  const nodes = inKeyOrder(r.nodes, (n) => n.nodeId);
  if (nodes.length > 0) {
    rows.push([
      'Node ID',
      'Node Name',
      'Display Name',
      'Average Utilization (%)',
      'Peak Utilization (%)',
      'Peak Period',
      'Total Busy (hours)',
    ]);
    for (const n of nodes) {
      rows.push([
        n.nodeId,
        n.nodeName,
        n.displayName,
        float(n.averageUtilization),
        floatIf(n.peakPeriod !== null, n.peakUtilization),
        n.peakPeriod,
        float(n.totalBusyHours),
      ]);
    }
  } else {
    rows.push([
      type === 'daily'
        ? 'No node activity detected during this daily analysis period'
        : 'No node data available for this time period',
    ]);
  }
  rows.push([]);
  const workcells = inKeyOrder(r.workcells, (w) => w.workcellId);
  if (workcells.length > 0) {
    rows.push(
      ['=== WORKCELL SUMMARY ==='],
      [
        'Workcell ID',
        'Workcell Name',
        'Display Name',
        'Average Utilization (%)',
        'Peak Utilization (%)',
        'Peak Period',
        'Total Experiments',
        'Total Runtime (hours)',
        'Total Active Time (hours)',
      ],
    );
    for (const w of workcells) {
      rows.push([
        w.workcellId,
        w.workcellName,
        w.displayName,
        float(w.averageUtilization),
        floatIf(w.peakPeriod !== null, w.peakUtilization),
        w.peakPeriod,
        w.totalExperiments,
        float(w.totalRuntimeHours),
        float(w.totalActiveTimeHours),
      ]);
    }
    rows.push([]);
  }
  if (r.userSummary) {
    rows.push(
      ['=== USER UTILIZATION ==='],
      [
        'Author',
        'Total Workflows',
        'Total Runtime (hours)',
        'Completion Rate (%)',
        'Average Workflow Duration (hours)',
      ],
    );
    for (const u of r.topUsers ?? []) {
      const [runtime, average] = userFigures(u);
      rows.push([u.author, u.totalWorkflows, runtime, float(u.completionRatePercent), average]);
    }
    rows.push([]);
  }
  const { total, experiments } = r.experimentDetails;
  if (experiments.length > 0) {
    rows.push(
      ['=== EXPERIMENT DETAILS ==='],
      ['Experiment ID', 'Experiment Name', 'Start Time', 'End Time', 'Status', 'Duration (hours)', 'Duration Display'],
    );
    for (const x of experiments) {
      rows.push([
        x.experimentId,
        x.experimentName,
        iso(x.startTime),
        iso(x.endTime),
        x.status,
        x.durationHours === null ? null : float(x.durationHours),
        x.durationDisplay,
      ]);
    }
    if (experiments.length < total) rows.push([`... and ${total - experiments.length} more experiments`]);
    rows.push([]);
  }
  return toCsv(rows);
}
