import type { AnalyticsLookups, AnalyticsReader } from './analytics-reader';
import { div, F, pyFixed, pyIso, pyIsoUtc, pySum, pyTitle, roundFloat, val, last8, type PyJson, type PyNum } from './python';
import { ACTIVITY_TYPES, analyseSessions, defaultSession, deriveSessions, LIFECYCLE_TYPES, type SessionAnalysis, type SessionSpec } from './sessions';

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
 * The analysis window of spec 4.2: both bounds as given (even reversed); one bound gives 24 hours
 * from or to it; none gives the whole collection with a minute either side, or the last 24 hours
 * when the collection is empty (decision Q5: MADSci's intended fallback).
 */
export async function analysisWindow(reader: AnalyticsReader, now: number, from?: number | null, to?: number | null): Promise<Window> {
  if (from != null && to != null) return { from, to };
  if (from != null) return { from, to: from + DAY_MS };
  if (to != null) return { from: to - DAY_MS, to };
  const extent = await reader.extent();
  if (extent) return { from: extent.first - 60_000, to: extent.last + 60_000 };
  return { from: now - DAY_MS, to: now };
}

/** MADSci's readable duration object (spec 4.1.7). */
export function durationObject(secondsValue: PyNum): PyJson {
  const s = val(secondsValue);
  const minutes = s / 60;
  const hours = s / 3600;
  const [display, unit, value]: [string, string, PyNum] =
    s < 60 ? [`${pyFixed(s, 1)}s`, 'seconds', secondsValue] : s < 3600 ? [`${pyFixed(minutes, 1)}m`, 'minutes', F(minutes)] : [`${pyFixed(hours, 1)}h`, 'hours', F(hours)];
  return { display, seconds: secondsValue, minutes: F(minutes), hours: F(hours), primary_unit: unit, primary_value: value };
}

/** A node of a session entry (spec 4.5 NodeEntry), workcells removed. */
export interface NodeEntry {
  nodeId: string;
  nodeName: string | null;
  displayName: string;
  /** Rounded to one decimal, as MADSci reports it. */
  utilizationPercent: number;
  state: 'busy' | 'idle';
  busySeconds: PyNum;
  idleSeconds: PyNum;
  totalSeconds: number;
  busyHours: number;
  idleHours: number;
  totalHours: number;
}

/** A session entry of the session report (spec 4.5). */
export interface SessionEntry {
  spec: SessionSpec;
  /** Decision Q12: MADSci's observed names, `"<Type> <last8>"`. */
  sessionName: string;
  durationSeconds: number;
  activeSeconds: PyNum;
  durationHours: number;
  activeHours: number;
  /** Rounded to one decimal. */
  utilizationPercent: number;
  experiments: { id: string; name: string | null; displayName: string }[];
  nodes: NodeEntry[];
}

/** Spec 4.1.8 `sessionName`, as MADSci behaves (decision Q12). */
function sessionName(spec: SessionSpec): string {
  return spec.sessionType === 'default_analysis' ? 'Complete Database Analysis' : `${pyTitle(spec.sessionType)} ${last8(spec.sessionId)}`;
}

/**
 * Every id the entries of these analyses need looked up, so that one pass answers all: node
 * names are asked for workcells too, and workcell names (periods report) for every session.
 */
function lookupNeeds(analyses: readonly SessionAnalysis[], options: { experimentNames: boolean; workcellNames?: boolean }) {
  const nodes = new Set<string>();
  const experiments = new Set<string>();
  const workcells = new Set<string>();
  for (const a of analyses) {
    for (const n of a.nodes) nodes.add(n.nodeId);
    if (options.experimentNames) for (const x of a.experimentIds) experiments.add(x);
    if (options.workcellNames && (a.spec.sessionType === 'workcell' || a.spec.sessionType === 'lab')) workcells.add(a.spec.sessionId);
  }
  return { workcellChecks: [...nodes], nodes: [...nodes], experiments: [...experiments], workcells: [...workcells] };
}

/** Analyses sessions and turns them into entries, names resolved. */
export async function sessionEntries(ctx: ReportContext, specs: readonly SessionSpec[], options: { experimentNames: boolean; workcellNames?: boolean }): Promise<SessionEntry[]> {
  const analyses = await analyseSessions(specs, (from, to) => ctx.reader.events(ACTIVITY_TYPES, { from, to }));
  await ctx.lookups.resolve(lookupNeeds(analyses, options));
  return analyses.map((a) => toEntry(a, ctx.lookups));
}

function toEntry(a: SessionAnalysis, lookups: AnalyticsLookups): SessionEntry {
  const nodes: NodeEntry[] = a.nodes
    .filter((n) => !lookups.isWorkcell(n.nodeId))
    .map((n) => {
      const name = lookups.nodeName(n.nodeId);
      return {
        nodeId: n.nodeId,
        nodeName: name,
        displayName: name ? `${name} (${last8(n.nodeId)})` : `Node ${last8(n.nodeId)}`,
        utilizationPercent: roundFloat(n.utilization, 1),
        state: n.state,
        busySeconds: n.busySeconds,
        idleSeconds: n.idleSeconds,
        totalSeconds: n.totalSeconds,
        busyHours: val(n.busySeconds) / 3600,
        idleHours: val(n.idleSeconds) / 3600,
        totalHours: n.totalSeconds / 3600,
      };
    });
  return {
    spec: a.spec,
    sessionName: sessionName(a.spec),
    durationSeconds: a.durationSeconds,
    activeSeconds: a.activeSeconds,
    durationHours: a.durationSeconds / 3600,
    activeHours: val(a.activeSeconds) / 3600,
    utilizationPercent: roundFloat(a.utilization, 1),
    experiments: a.experimentIds.map((id) => {
      const name = lookups.experimentName(id);
      return { id, name, displayName: name || `Experiment ${last8(id)}` };
    }),
    nodes,
  };
}

/** A session entry in MADSci's JSON shape (spec 4.5). */
export function sessionEntryJson(entry: SessionEntry): PyJson {
  const duration = F(entry.durationSeconds);
  const idle = entry.durationSeconds - val(entry.activeSeconds);
  const nodeUtilizations: Record<string, PyJson> = {};
  for (const n of entry.nodes) {
    nodeUtilizations[n.nodeId] = {
      node_id: n.nodeId,
      node_name: n.nodeName,
      display_name: n.displayName,
      utilization_percent: F(n.utilizationPercent),
      state: n.state,
      timing: { busy_time: durationObject(n.busySeconds), idle_time: durationObject(n.idleSeconds), total_time: durationObject(F(n.totalSeconds)) },
      raw_hours: { busy: F(n.busyHours), idle: F(n.idleHours), total: F(n.totalHours) },
      busy_time_hours: F(n.busyHours),
      idle_time_hours: F(n.idleHours),
    };
  }
  return {
    session_type: entry.spec.sessionType,
    session_id: entry.spec.sessionId,
    session_name: entry.sessionName,
    start_time: pyIso(entry.spec.start),
    end_time: pyIso(entry.spec.end),
    timing: { duration: durationObject(duration), active_time: durationObject(entry.activeSeconds), idle_time: durationObject(F(idle)) },
    system_utilization_percent: F(entry.utilizationPercent),
    total_experiments: entry.experiments.length,
    experiment_details: entry.experiments.map((x) => ({ experiment_id: x.id, experiment_name: x.name, display_name: x.displayName })),
    nodes_active: entry.nodes.length,
    node_utilizations: nodeUtilizations,
    raw_hours: { duration: F(entry.durationHours), active: F(entry.activeHours), idle: F(idle / 3600) },
    duration_hours: F(entry.durationHours),
    active_time_hours: F(entry.activeHours),
  };
}

/** A node of the overall summary (spec 4.6). */
export interface NodeSummary {
  nodeId: string;
  averageUtilizationPercent: PyNum;
  totalBusyTimeHours: PyNum;
  sessionsActive: number;
}

/** The overall summary of session entries (spec 4.6), also what an hourly bucket reports. */
export interface OverallSummary {
  totalSessions: number;
  totalSystemRuntimeHours: PyNum;
  totalActiveTimeHours: PyNum;
  averageSystemUtilizationPercent: PyNum;
  totalExperiments: number;
  nodes: NodeSummary[];
}

export function overallSummary(entries: readonly SessionEntry[]): OverallSummary {
  const nodes = new Map<string, { utilizations: PyNum[]; busy: PyNum; sessions: number }>();
  for (const entry of entries) {
    for (const n of entry.nodes) {
      let node = nodes.get(n.nodeId);
      if (!node) nodes.set(n.nodeId, (node = { utilizations: [], busy: 0, sessions: 0 }));
      node.busy = F(val(node.busy) + n.busyHours);
      node.utilizations.push(F(n.utilizationPercent));
      node.sessions += 1;
    }
  }
  return {
    totalSessions: entries.length,
    totalSystemRuntimeHours: pySum(entries.map((e) => F(e.durationHours))),
    totalActiveTimeHours: pySum(entries.map((e) => F(e.activeHours))),
    averageSystemUtilizationPercent: entries.length > 0 ? div(pySum(entries.map((e) => F(e.utilizationPercent))), entries.length) : 0,
    totalExperiments: entries.reduce((sum, e) => sum + e.experiments.length, 0),
    nodes: [...nodes].map(([nodeId, node]) => ({
      nodeId,
      averageUtilizationPercent: div(pySum(node.utilizations), node.utilizations.length),
      totalBusyTimeHours: node.busy,
      sessionsActive: node.sessions,
    })),
  };
}

/** The session utilization report (spec 4.5-4.6): MADSci's JSON tree plus typed figures. */
export interface SessionReport {
  generatedAt: number;
  window: Window;
  entries: SessionEntry[];
  summary: OverallSummary;
  /** MADSci's JSON, Python ints and floats told apart (for the CSV). */
  tree: PyJson;
}

/** Lifecycle events of a window: the few events sessions are derived from. */
export function lifecycleEvents(ctx: ReportContext, window: Window) {
  return ctx.reader.list(LIFECYCLE_TYPES, window);
}

/** Builds the session report for a window (spec 4.3-4.6). */
export async function buildSessionReport(ctx: ReportContext, window: Window): Promise<SessionReport> {
  const { from, to } = window;
  const lifecycle = from <= to ? await lifecycleEvents(ctx, window) : [];
  let specs = deriveSessions(lifecycle, from, to);
  if (specs.length === 0) specs = [defaultSession(from, to)];
  const entries = await sessionEntries(ctx, specs, { experimentNames: true });
  const summary = overallSummary(entries);
  return { generatedAt: ctx.now, window, entries, summary, tree: sessionReportTree(ctx.now, window, entries, summary) };
}

function sessionReportTree(generatedAt: number, window: Window, entries: readonly SessionEntry[], summary: OverallSummary): PyJson {
  const nodeSummary: Record<string, PyJson> = {};
  for (const n of summary.nodes) {
    nodeSummary[n.nodeId] = { average_utilization_percent: n.averageUtilizationPercent, total_busy_time_hours: n.totalBusyTimeHours, sessions_active: n.sessionsActive };
  }
  const windowHours = F((window.to - window.from) / 1000 / 3600);
  return {
    report_metadata: {
      generated_at: pyIsoUtc(generatedAt),
      analysis_start: pyIso(window.from),
      analysis_end: pyIso(window.to),
      total_sessions: entries.length,
      analysis_duration_hours: windowHours,
    },
    overall_summary: {
      total_sessions: summary.totalSessions,
      total_system_runtime_hours: summary.totalSystemRuntimeHours,
      total_active_time_hours: summary.totalActiveTimeHours,
      average_system_utilization_percent: summary.averageSystemUtilizationPercent,
      total_experiments: summary.totalExperiments,
      nodes_tracked: summary.nodes.length,
      node_summary: nodeSummary,
      analysis_period: { start_time: pyIso(window.from), end_time: pyIso(window.to), duration_hours: windowHours },
    },
    session_details: entries.map(sessionEntryJson),
  };
}
