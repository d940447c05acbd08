/**
 * MADSci's snake_case JSON of each typed report, as its `/utilization/*` routes answer: same
 * keys, same order, same numbers. JSON numbers do not tell Python's ints from floats, so
 * these serializers write plain numbers; the CSV (`report-csv.ts`) is where the difference shows.
 * Maps keyed by id (`node_summary`, `user_utilization`, ...) are JavaScript objects, so their key
 * order is the object's (integer-like ids first), as the CSV's.
 */
import { pyFixed, pyIso, pyIsoUtc } from './python';
import type {
  PeriodExperiment,
  PeriodTrend,
  SessionUtilizationReport,
  UserUtilizationReport,
  UtilizationPeriodsReport,
  UtilizationSession,
} from './report-types';

type Json = Record<string, unknown>;

/** `isoformat()` of a naive UTC instant, or null. */
const iso = (date: Date | null): string | null => (date === null ? null : pyIso(date.getTime()));

/** MADSci's readable duration object (`display` in the largest unit below the next). */
export function durationObject(seconds: number): Json {
  const minutes = seconds / 60;
  const hours = seconds / 3600;
  const [display, unit, value]: [string, string, number] =
    seconds < 60
      ? [`${pyFixed(seconds, 1)}s`, 'seconds', seconds]
      : seconds < 3600
        ? [`${pyFixed(minutes, 1)}m`, 'minutes', minutes]
        : [`${pyFixed(hours, 1)}h`, 'hours', hours];
  return { display, seconds, minutes, hours, primary_unit: unit, primary_value: value };
}

/** A session in MADSci's `session_details` shape. */
function sessionJson(s: UtilizationSession): Json {
  const idle = s.durationSeconds - s.activeSeconds;
  const nodeUtilizations: Json = {};
  for (const n of s.nodes) {
    nodeUtilizations[n.nodeId] = {
      node_id: n.nodeId,
      node_name: n.nodeName,
      display_name: n.displayName,
      utilization_percent: n.utilizationPercent,
      state: n.state,
      timing: {
        busy_time: durationObject(n.busySeconds),
        idle_time: durationObject(n.idleSeconds),
        total_time: durationObject(n.totalSeconds),
      },
      raw_hours: { busy: n.busyTimeHours, idle: n.idleTimeHours, total: n.totalTimeHours },
      busy_time_hours: n.busyTimeHours,
      idle_time_hours: n.idleTimeHours,
    };
  }
  return {
    session_type: s.sessionType,
    session_id: s.sessionId,
    session_name: s.sessionName,
    start_time: iso(s.startTime),
    end_time: iso(s.endTime),
    timing: {
      duration: durationObject(s.durationSeconds),
      active_time: durationObject(s.activeSeconds),
      idle_time: durationObject(idle),
    },
    system_utilization_percent: s.systemUtilizationPercent,
    total_experiments: s.totalExperiments,
    experiment_details: s.experiments.map((x) => ({
      experiment_id: x.experimentId,
      experiment_name: x.experimentName,
      display_name: x.displayName,
    })),
    nodes_active: s.nodesActive,
    node_utilizations: nodeUtilizations,
    raw_hours: { duration: s.durationHours, active: s.activeTimeHours, idle: idle / 3600 },
    duration_hours: s.durationHours,
    active_time_hours: s.activeTimeHours,
  };
}

/** The session report as MADSci's `/utilization/sessions` JSON. */
export function sessionReportJson(r: SessionUtilizationReport): Json {
  const nodeSummary: Json = {};
  for (const n of r.nodes) {
    nodeSummary[n.nodeId] = {
      average_utilization_percent: n.averageUtilizationPercent,
      total_busy_time_hours: n.totalBusyTimeHours,
      sessions_active: n.sessionsActive,
    };
  }
  return {
    report_metadata: {
      generated_at: pyIsoUtc(r.generatedAt.getTime()),
      analysis_start: iso(r.analysisStart),
      analysis_end: iso(r.analysisEnd),
      total_sessions: r.totalSessions,
      analysis_duration_hours: r.analysisDurationHours,
    },
    overall_summary: {
      total_sessions: r.totalSessions,
      total_system_runtime_hours: r.totalSystemRuntimeHours,
      total_active_time_hours: r.totalActiveTimeHours,
      average_system_utilization_percent: r.averageSystemUtilizationPercent,
      total_experiments: r.totalExperiments,
      nodes_tracked: r.nodesTracked,
      node_summary: nodeSummary,
      analysis_period: {
        start_time: iso(r.analysisStart),
        end_time: iso(r.analysisEnd),
        duration_hours: r.analysisDurationHours,
      },
    },
    session_details: r.sessions.map(sessionJson),
  };
}

/** The user report as MADSci's `/utilization/user` JSON. */
export function userReportJson(r: UserUtilizationReport): Json {
  const byAuthor: Json = {};
  for (const u of r.users) {
    byAuthor[u.author] = {
      author: u.author,
      total_workflows: u.totalWorkflows,
      completed_workflows: u.completedWorkflows,
      failed_workflows: u.failedWorkflows,
      cancelled_workflows: u.cancelledWorkflows,
      total_runtime_hours: u.totalRuntimeHours,
      average_workflow_duration_hours: u.averageWorkflowDurationHours,
      shortest_workflow_hours: u.shortestWorkflowHours,
      longest_workflow_hours: u.longestWorkflowHours,
      completion_rate_percent: u.completionRatePercent,
      workflows: u.workflows.map((w) => ({
        workflow_id: w.workflowId,
        workflow_name: w.workflowName,
        start_time: iso(w.startTime),
        end_time: iso(w.endTime),
        duration_hours: w.durationHours,
        status: w.status,
      })),
    };
  }
  return {
    report_metadata: {
      generated_at: pyIsoUtc(r.generatedAt.getTime()),
      analysis_start: iso(r.analysisStart),
      analysis_end: iso(r.analysisEnd),
      total_workflows: r.totalWorkflows,
      total_users: r.totalUsers,
      workflows_with_authors: r.workflowsWithAuthors,
      workflows_without_authors: r.workflowsWithoutAuthors,
    },
    system_summary: {
      total_workflows: r.totalWorkflows,
      total_runtime_hours: r.totalRuntimeHours,
      average_workflow_duration_hours: r.averageWorkflowDurationHours,
      completion_rate_percent: r.completionRatePercent,
      workflows_with_known_authors: r.workflowsWithAuthors,
      author_attribution_rate_percent: r.authorAttributionRatePercent,
    },
    user_utilization: byAuthor,
  };
}

/** MADSci's `analysis_type` of a period (`DAILY` -> `daily`). */
export const analysisType = (r: UtilizationPeriodsReport): string => r.period.toLowerCase();

function trendJson(t: PeriodTrend): Json {
  if (t.direction === 'insufficient_data') return { direction: t.direction, change_percent: t.changePercent };
  return {
    direction: t.direction,
    change_percent: t.changePercent,
    first_value: t.firstValue,
    last_value: t.lastValue,
    active_periods_analyzed: t.activePeriodsAnalyzed,
  };
}

function experimentJson(x: PeriodExperiment): Json {
  return {
    experiment_id: x.experimentId,
    experiment_name: x.experimentName,
    start_time: iso(x.startTime),
    end_time: iso(x.endTime),
    status: x.status,
    duration_hours: x.durationHours,
    duration_display: x.durationDisplay,
  };
}

/** The periods report as MADSci's `/utilization/periods` JSON (`user_utilization` only with the users). */
export function periodsReportJson(r: UtilizationPeriodsReport): Json {
  const out: Json = {
    summary_metadata: {
      analysis_type: analysisType(r),
      generated_at: pyIsoUtc(r.generatedAt.getTime()),
      period_start: iso(r.periodStart),
      period_end: iso(r.periodEnd),
      user_timezone: r.timezone,
      total_periods: r.totalPeriods,
      method: 'session_based_analysis_with_experiment_details_refactored',
    },
    key_metrics: {
      average_utilization: r.averageUtilization,
      peak_utilization: r.peakUtilization,
      peak_period: r.peakPeriod,
      peak_context: r.peakContext,
      total_experiments: r.totalExperiments,
      total_runtime_hours: r.totalRuntimeHours,
      total_active_time_hours: r.totalActiveTimeHours,
      active_periods: r.activePeriods,
      total_periods: r.totalPeriods,
    },
  };
  if (r.userSummary) {
    out.user_utilization = {
      total_users: r.userSummary.totalUsers,
      author_attribution_rate_percent: r.userSummary.authorAttributionRatePercent,
      top_users: (r.topUsers ?? []).map((u) => ({
        author: u.author,
        total_workflows: u.totalWorkflows,
        total_runtime_hours: u.totalRuntimeHours,
        completion_rate_percent: u.completionRatePercent,
        average_workflow_duration_hours: u.averageWorkflowDurationHours,
      })),
      system_totals: {
        total_workflows: r.userSummary.totalWorkflows,
        total_runtime_hours: r.userSummary.totalRuntimeHours,
        completion_rate_percent: r.userSummary.completionRatePercent,
      },
    };
  }
  out.node_summary = Object.fromEntries(
    r.nodes.map((n) => [
      n.nodeId,
      {
        node_id: n.nodeId,
        node_name: n.nodeName,
        display_name: n.displayName,
        average_utilization: n.averageUtilization,
        peak_utilization: n.peakUtilization,
        peak_period: n.peakPeriod,
        peak_context: n.peakContext,
        total_busy_hours: n.totalBusyHours,
      },
    ]),
  );
  out.workcell_summary = Object.fromEntries(
    r.workcells.map((w) => [
      w.workcellId,
      {
        workcell_id: w.workcellId,
        workcell_name: w.workcellName,
        display_name: w.displayName,
        average_utilization: w.averageUtilization,
        peak_utilization: w.peakUtilization,
        peak_period: w.peakPeriod,
        peak_context: w.peakContext,
        total_experiments: w.totalExperiments,
        total_runtime_hours: w.totalRuntimeHours,
        total_active_time_hours: w.totalActiveTimeHours,
      },
    ]),
  );
  out.trends = {
    utilization_trend: trendJson(r.trends.utilization),
    experiment_trend: trendJson(r.trends.experiments),
  };
  out.experiment_details = {
    total_experiments: r.experimentDetails.total,
    experiments: r.experimentDetails.experiments.map(experimentJson),
  };
  out.time_series = {
    system: r.periods.map((p) => ({
      period_number: p.periodNumber,
      period_type: p.periodType,
      period_display: p.periodDisplay,
      date: p.date,
      start_time: p.localStartTime,
      start_time_utc: iso(p.startTimeUtc),
      utilization: p.utilization,
      experiments: p.experiments,
      runtime_hours: p.runtimeHours,
      active_time_hours: p.activeTimeHours,
    })),
    nodes: Object.fromEntries(
      r.nodes
        .filter((n) => n.series.length > 0)
        .map((n) => [
          n.nodeId,
          n.series.map((s) => ({
            period_number: s.periodNumber,
            period_type: s.periodType,
            period_display: s.periodDisplay,
            date: s.date,
            utilization: s.utilization,
            busy_hours: s.busyHours,
          })),
        ]),
    ),
    workcells: Object.fromEntries(
      r.workcells
        .filter((w) => w.series.length > 0)
        .map((w) => [
          w.workcellId,
          w.series.map((s) => ({
            period_number: s.periodNumber,
            period_type: s.periodType,
            period_display: s.periodDisplay,
            date: s.date,
            utilization: s.utilization,
            experiments: s.experiments,
            runtime_hours: s.runtimeHours,
            active_time_hours: s.activeTimeHours,
            attributed: false,
          })),
        ]),
    ),
  };
  return out;
}
