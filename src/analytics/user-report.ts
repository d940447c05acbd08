import { DateTime } from 'luxon';
import { dig, firstName, workflowIdOf } from './analytics-event';
import { div, F, pyIso, pyIsoUtc, pyRound, pySum, roundFloat, val, type PyJson, type PyNum } from './python';
import type { ReportContext, Window } from './session-report';

/** Effective types the user report reads. */
export const WORKFLOW_TYPES = ['workflow_start', 'workflow_complete'] as const;

/** A workflow as the user report sees it (spec 4.7). */
export interface UserWorkflow {
  workflowId: string;
  workflowName: string;
  startTime: number | null;
  endTime: number | null;
  durationSeconds: number | null;
  /** Usually `completed`, `failed`, `cancelled`, `running` or `started`; any string a producer sent. */
  status: string;
}

/** One author's figures (spec 4.7). */
export interface UserStats {
  author: string;
  totalWorkflows: number;
  completedWorkflows: number;
  failedWorkflows: number;
  cancelledWorkflows: number;
  totalRuntimeHours: PyNum;
  averageWorkflowDurationHours: PyNum;
  shortestWorkflowHours: PyNum | null;
  longestWorkflowHours: PyNum | null;
  completionRatePercent: PyNum;
  workflows: UserWorkflow[];
}

/** System totals of the user report (spec 4.7, computed with MADSci's simpler rules). */
export interface UserSystemSummary {
  totalWorkflows: number;
  workflowsWithAuthors: number;
  totalRuntimeHours: PyNum;
  averageWorkflowDurationHours: PyNum;
  completionRatePercent: PyNum;
  authorAttributionRatePercent: PyNum;
}

/** The user utilization report: MADSci's JSON tree plus typed figures. */
export interface UserReport {
  generatedAt: number;
  window: Window;
  users: UserStats[];
  system: UserSystemSummary;
  tree: PyJson;
}

/** Spec 4.1.1 for timestamps found inside `event_data`: instants in epoch ms, or null. */
export function parseTimestamp(value: unknown): number | null {
  if (typeof value !== 'string' || value.length > 64) return null;
  const text = value.trim();
  // Offsets and `Z` are honoured; naive values are UTC.
  const parsed = DateTime.fromISO(text.includes('T') ? text : text.replace(' ', 'T'), { zone: 'utc' });
  return parsed.isValid ? parsed.toMillis() : null;
}

/** `float(x)` for a duration a producer sent, or null when it is not a number. */
function asFloat(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return null;
}

/** Spec 4.7 `extractAuthor`. */
function authorOf(data: Record<string, unknown>): string | null {
  return firstName(data.author, dig(data, 'definition_metadata', 'author'), dig(data, 'workflow_definition_metadata', 'author'));
}

/** The status a completion event reports (spec 4.7). */
function completionStatus(status: unknown): string {
  if (typeof status === 'string') return status;
  if (status !== null && typeof status === 'object' && !Array.isArray(status)) {
    const flags = status as Record<string, unknown>;
    const words = ['completed', 'failed', 'cancelled', 'running'];
    const flagged = words.find((word) => Boolean(flags[word]));
    if (flagged) return flagged;
    if (typeof flags.description === 'string') {
      const description = flags.description.toLowerCase();
      const named = words.find((word) => description.includes(word));
      if (named) return named;
    }
  }
  return 'completed';
}

/** Builds the user report of a window from its workflow events (spec 4.7). */
export async function buildUserReport(ctx: ReportContext, window: Window): Promise<UserReport> {
  interface Tracked extends UserWorkflow {
    author: string | null;
  }
  interface Totals {
    author: unknown;
    duration: PyNum | null;
    status: unknown;
  }
  const workflows = new Map<string, Tracked>();
  const totals = new Map<string, Totals>();
  for await (const e of ctx.reader.events(WORKFLOW_TYPES, window)) {
    const id = workflowIdOf(e);
    if (!id) continue;
    let wf = workflows.get(id);
    if (!wf) {
      const name = [e.data.name, e.data.workflow_name].find((v): v is string => typeof v === 'string');
      wf = { workflowId: id, workflowName: name ?? 'Unknown', author: authorOf(e.data), startTime: null, endTime: null, durationSeconds: null, status: 'unknown' };
      workflows.set(id, wf);
      totals.set(id, { author: e.data.author, duration: null, status: 'unknown' });
    }
    wf.author ??= authorOf(e.data);
    const total = totals.get(id)!;
    if (e.type.includes('start')) {
      wf.startTime = e.t;
      wf.status = 'started';
    } else if (e.type.includes('complete')) {
      wf.endTime = e.t;
      wf.status = completionStatus(e.data.status);
      const given = asFloat(e.data.duration_seconds);
      if (given !== null) wf.durationSeconds = given;
      else if (wf.startTime !== null) wf.durationSeconds = (wf.endTime - wf.startTime) / 1000;
      else {
        const started = parseTimestamp(e.data.start_time);
        const ended = parseTimestamp(e.data.end_time);
        wf.durationSeconds = started !== null && ended !== null ? (ended - started) / 1000 : null;
      }
      // The system totals keep MADSci's flat reading: the raw duration and status, no fallbacks.
      const raw = e.data.duration_seconds;
      total.duration = typeof raw === 'number' && Number.isFinite(raw) ? (Number.isInteger(raw) ? raw : F(raw)) : null;
      total.status = 'status' in e.data ? e.data.status : 'completed';
    }
  }

  const users = new Map<string, UserStats>();
  for (const wf of workflows.values()) {
    const author = wf.author ?? 'Unknown Author';
    let user = users.get(author);
    if (!user) {
      user = {
        author,
        totalWorkflows: 0,
        completedWorkflows: 0,
        failedWorkflows: 0,
        cancelledWorkflows: 0,
        totalRuntimeHours: 0,
        averageWorkflowDurationHours: 0,
        shortestWorkflowHours: null,
        longestWorkflowHours: null,
        completionRatePercent: 0,
        workflows: [],
      };
      users.set(author, user);
    }
    user.totalWorkflows += 1;
    if (wf.status === 'completed') user.completedWorkflows += 1;
    else if (wf.status === 'failed') user.failedWorkflows += 1;
    else if (wf.status === 'cancelled') user.cancelledWorkflows += 1;
    if (wf.durationSeconds !== null) {
      const hours = wf.durationSeconds / 3600;
      user.totalRuntimeHours = F(val(user.totalRuntimeHours) + hours);
      if (user.shortestWorkflowHours === null || hours < val(user.shortestWorkflowHours)) user.shortestWorkflowHours = F(hours);
      if (user.longestWorkflowHours === null || hours > val(user.longestWorkflowHours)) user.longestWorkflowHours = F(hours);
    }
    user.workflows.push({ workflowId: wf.workflowId, workflowName: wf.workflowName, startTime: wf.startTime, endTime: wf.endTime, durationSeconds: wf.durationSeconds, status: wf.status });
  }
  for (const user of users.values()) {
    user.completionRatePercent = F(roundFloat((user.completedWorkflows / user.totalWorkflows) * 100, 2));
    const durations = user.workflows.filter((w) => w.durationSeconds !== null).map((w) => F(w.durationSeconds! / 3600));
    if (durations.length > 0) user.averageWorkflowDurationHours = F(roundFloat(val(pySum(durations)) / durations.length, 3));
    user.totalRuntimeHours = pyRound(user.totalRuntimeHours, 2);
    if (user.shortestWorkflowHours !== null) user.shortestWorkflowHours = pyRound(user.shortestWorkflowHours, 3);
    if (user.longestWorkflowHours !== null) user.longestWorkflowHours = pyRound(user.longestWorkflowHours, 3);
  }

  const all = [...totals.values()];
  const durations = all.map((t) => t.duration).filter((d): d is PyNum => d !== null);
  const withAuthors = all.filter((t) => typeof t.author === 'string' && t.author.trim() !== '').length;
  const system: UserSystemSummary = {
    totalWorkflows: all.length,
    workflowsWithAuthors: withAuthors,
    totalRuntimeHours: F(roundFloat(val(pySum(durations)) / 3600, 2)),
    averageWorkflowDurationHours: durations.length > 0 ? F(roundFloat(val(pySum(durations)) / durations.length / 3600, 3)) : 0,
    completionRatePercent: all.length > 0 ? F(roundFloat((all.filter((t) => t.status === 'completed').length / all.length) * 100, 2)) : 0,
    authorAttributionRatePercent: all.length > 0 ? F(roundFloat((withAuthors / all.length) * 100, 2)) : 0,
  };
  const list = [...users.values()];
  return { generatedAt: ctx.now, window, users: list, system, tree: userReportTree(ctx.now, window, list, system) };
}

function userReportTree(generatedAt: number, window: Window, users: readonly UserStats[], system: UserSystemSummary): PyJson {
  const byAuthor: Record<string, PyJson> = {};
  for (const u of users) {
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
        start_time: w.startTime === null ? null : pyIso(w.startTime),
        end_time: w.endTime === null ? null : pyIso(w.endTime),
        duration_hours: w.durationSeconds === null ? null : div(w.durationSeconds, 3600),
        status: w.status,
      })),
    };
  }
  return {
    report_metadata: {
      generated_at: pyIsoUtc(generatedAt),
      analysis_start: pyIso(window.from),
      analysis_end: pyIso(window.to),
      total_workflows: system.totalWorkflows,
      total_users: users.length,
      workflows_with_authors: system.workflowsWithAuthors,
      workflows_without_authors: system.totalWorkflows - system.workflowsWithAuthors,
    },
    system_summary: {
      total_workflows: system.totalWorkflows,
      total_runtime_hours: system.totalRuntimeHours,
      average_workflow_duration_hours: system.averageWorkflowDurationHours,
      completion_rate_percent: system.completionRatePercent,
      workflows_with_known_authors: system.workflowsWithAuthors,
      author_attribution_rate_percent: system.authorAttributionRatePercent,
    },
    user_utilization: byAuthor,
  };
}
