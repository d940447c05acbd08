import type { AnalyticsLookups, AnalyticsReader } from './analytics-reader';
import { div, F, pySum, pyTitle, roundFloat, val, last8, type PyNum } from './python';
import type {
  SessionExperiment,
  SessionNodeUtilization,
  SessionUtilizationReport,
  UtilizationSession,
} from './report-types';
import {
  ACTIVITY_TYPES,
  analyseSessions,
  defaultSession,
  deriveSessions,
  LIFECYCLE_TYPES,
  type SessionAnalysis,
  type SessionSpec,
} from './sessions';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** What every report builder needs: how to read, how to look names up, and the time. */
export interface ReportContext {
  reader: AnalyticsReader;
  lookups: AnalyticsLookups;
  /** Epoch milliseconds of "now" (generated_at, and the window of an empty collection). */
  now: number;
}

/** An instant range in epoch milliseconds. */
export interface Window {
  from: number;
  to: number;
}

/**
 * The analysis window (docs/utilization-reports.md#analysis-window): both bounds as given (even reversed); one bound gives 24 hours
 * from or to it; none gives the whole collection with a minute either side, or the last 24 hours
 * when the collection is empty (MADSci's intended fallback: docs/madsci-compatibility.md#d5-fallbacks-instead-of-crashes).
 */
export async function analysisWindow(
  reader: AnalyticsReader,
  now: number,
  from?: number | null,
  to?: number | null,
): Promise<Window> {
  if (from != null && to != null) return { from, to };
  if (from != null) return { from, to: from + DAY_MS };
  if (to != null) return { from: to - DAY_MS, to };
  const extent = await reader.extent();
  if (extent) return { from: extent.first - 60_000, to: extent.last + 60_000 };
  return { from: now - DAY_MS, to: now };
}

/** MADSci's `sessionName`, as MADSci behaves (docs/madsci-compatibility.md#d12-session-names). */
function sessionName(spec: SessionSpec): string {
  return spec.sessionType === 'default_analysis'
    ? 'Complete Database Analysis'
    : `${pyTitle(spec.sessionType)} ${last8(spec.sessionId)}`;
}

/**
 * Every id the entries of these analyses need looked up, so that one pass answers all: node
 * names are asked for workcells too, and workcell names (periods report) for every session.
 */
function lookupNeeds(
  analyses: readonly SessionAnalysis[],
  options: { experimentNames: boolean; workcellNames?: boolean },
) {
  const nodes = new Set<string>();
  const experiments = new Set<string>();
  const workcells = new Set<string>();
  for (const a of analyses) {
    for (const n of a.nodes) nodes.add(n.nodeId);
    if (options.experimentNames) for (const x of a.experimentIds) experiments.add(x);
    if (options.workcellNames && (a.spec.sessionType === 'workcell' || a.spec.sessionType === 'lab'))
      workcells.add(a.spec.sessionId);
  }
  return { workcellChecks: [...nodes], nodes: [...nodes], experiments: [...experiments], workcells: [...workcells] };
}

/** Analyses sessions and turns them into the report's sessions, names resolved. */
export async function sessionEntries(
  ctx: ReportContext,
  specs: readonly SessionSpec[],
  options: { experimentNames: boolean; workcellNames?: boolean },
): Promise<UtilizationSession[]> {
  const analyses = await analyseSessions(specs, (from, to) => ctx.reader.chunks(ACTIVITY_TYPES, { from, to }));
  await ctx.lookups.resolve(lookupNeeds(analyses, options));
  return analyses.map((a) => toSession(a, ctx.lookups));
}

/** A session's analysis as the typed report shows it (docs/utilization-reports.md#session-report): workcells removed from its nodes, utilizations to one decimal. */
function toSession(a: SessionAnalysis, lookups: AnalyticsLookups): UtilizationSession {
  const nodes: SessionNodeUtilization[] = a.nodes
    .filter((n) => !lookups.isWorkcell(n.nodeId))
    .map((n) => {
      const name = lookups.nodeName(n.nodeId);
      return {
        nodeId: n.nodeId,
        nodeName: name,
        displayName: name ? `${name} (${last8(n.nodeId)})` : `Node ${last8(n.nodeId)}`,
        utilizationPercent: roundFloat(n.utilization, 1),
        state: n.state,
        busyTimeHours: val(n.busySeconds) / 3600,
        idleTimeHours: val(n.idleSeconds) / 3600,
        totalTimeHours: n.totalSeconds / 3600,
        busySeconds: val(n.busySeconds),
        idleSeconds: val(n.idleSeconds),
        totalSeconds: n.totalSeconds,
      };
    });
  const experiments: SessionExperiment[] = a.experimentIds.map((id) => {
    const name = lookups.experimentName(id);
    return { experimentId: id, experimentName: name, displayName: name || `Experiment ${last8(id)}` };
  });
  return {
    sessionType: a.spec.sessionType,
    sessionId: a.spec.sessionId,
    sessionName: sessionName(a.spec),
    startTime: new Date(a.spec.start),
    endTime: new Date(a.spec.end),
    durationHours: a.durationSeconds / 3600,
    activeTimeHours: val(a.activeSeconds) / 3600,
    systemUtilizationPercent: roundFloat(a.utilization, 1),
    totalExperiments: experiments.length,
    experiments,
    nodesActive: nodes.length,
    nodes,
    durationSeconds: a.durationSeconds,
    activeSeconds: val(a.activeSeconds),
  };
}

/** A node of the overall summary ((docs/utilization-reports.md#overall-summary)). */
export interface NodeSummary {
  nodeId: string;
  averageUtilizationPercent: PyNum;
  totalBusyTimeHours: PyNum;
  sessionsActive: number;
}

/** The overall summary of session entries ((docs/utilization-reports.md#overall-summary)), also what an hourly bucket reports. */
export interface OverallSummary {
  totalSessions: number;
  totalSystemRuntimeHours: PyNum;
  totalActiveTimeHours: PyNum;
  averageSystemUtilizationPercent: PyNum;
  totalExperiments: number;
  nodes: NodeSummary[];
}

/** The overall summary of sessions ((docs/utilization-reports.md#overall-summary)); an hourly bucket of the periods report is one too. */
export function overallSummary(entries: readonly UtilizationSession[]): OverallSummary {
  const nodes = new Map<string, { utilizations: PyNum[]; busy: PyNum; sessions: number }>();
  for (const entry of entries) {
    for (const n of entry.nodes) {
      let node = nodes.get(n.nodeId);
      if (!node) nodes.set(n.nodeId, (node = { utilizations: [], busy: 0, sessions: 0 }));
      node.busy = F(val(node.busy) + n.busyTimeHours);
      node.utilizations.push(F(n.utilizationPercent));
      node.sessions += 1;
    }
  }
  return {
    totalSessions: entries.length,
    totalSystemRuntimeHours: pySum(entries.map((e) => F(e.durationHours))),
    totalActiveTimeHours: pySum(entries.map((e) => F(e.activeTimeHours))),
    averageSystemUtilizationPercent:
      entries.length > 0 ? div(pySum(entries.map((e) => F(e.systemUtilizationPercent))), entries.length) : 0,
    totalExperiments: entries.reduce((sum, e) => sum + e.experiments.length, 0),
    nodes: [...nodes].map(([nodeId, node]) => ({
      nodeId,
      averageUtilizationPercent: div(pySum(node.utilizations), node.utilizations.length),
      totalBusyTimeHours: node.busy,
      sessionsActive: node.sessions,
    })),
  };
}

/** Lifecycle events of a window: the few events sessions are derived from. */
export function lifecycleEvents(ctx: ReportContext, window: Window) {
  return ctx.reader.list(LIFECYCLE_TYPES, window);
}

/** Builds the session report for a window (docs/utilization-reports.md#session-report). */
export async function buildSessionReport(ctx: ReportContext, window: Window): Promise<SessionUtilizationReport> {
  const { from, to } = window;
  const lifecycle = from <= to ? await lifecycleEvents(ctx, window) : [];
  let specs = deriveSessions(lifecycle, from, to);
  if (specs.length === 0) specs = [defaultSession(from, to)];
  const entries = await sessionEntries(ctx, specs, { experimentNames: true });
  const summary = overallSummary(entries);
  return {
    generatedAt: new Date(ctx.now),
    analysisStart: new Date(from),
    analysisEnd: new Date(to),
    totalSessions: entries.length,
    analysisDurationHours: (to - from) / 1000 / 3600,
    totalSystemRuntimeHours: val(summary.totalSystemRuntimeHours),
    totalActiveTimeHours: val(summary.totalActiveTimeHours),
    averageSystemUtilizationPercent: val(summary.averageSystemUtilizationPercent),
    totalExperiments: summary.totalExperiments,
    nodesTracked: summary.nodes.length,
    sessions: entries,
    nodes: summary.nodes.map((n) => ({
      nodeId: n.nodeId,
      averageUtilizationPercent: val(n.averageUtilizationPercent),
      totalBusyTimeHours: val(n.totalBusyTimeHours),
      sessionsActive: n.sessionsActive,
    })),
  };
}
