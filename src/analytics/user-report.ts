import { DateTime } from 'luxon';
import { dig, firstName, workflowIdOf } from './analytics-event';
import { F, pyRound, pySum, roundFloat, val, type PyNum } from './python';
import type { UserUtilizationReport } from './report-types';
import type { ReportContext, Window } from './session-report';

/** Effective types the user report reads. */
export const WORKFLOW_TYPES = ['workflow_start', 'workflow_complete'] as const;

/** A workflow while the events are read: instants in epoch ms, duration in seconds. */
interface TrackedWorkflow {
  workflowId: string;
  workflowName: string;
  startTime: number | null;
  endTime: number | null;
  durationSeconds: number | null;
  status: string;
}

/** One author's figures while they are added up, Python's ints and floats told apart. */
interface UserStats {
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
  workflows: TrackedWorkflow[];
}

/** Timestamps found inside `event_data` (docs/utilization-reports.md#timestamps-inside-event-data): instants in epoch ms, or null. */
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

/** MADSci's `extractAuthor` (docs/utilization-reports.md#user-report). */
function authorOf(data: Record<string, unknown>): string | null {
  return firstName(
    data.author,
    dig(data, 'definition_metadata', 'author'),
    dig(data, 'workflow_definition_metadata', 'author'),
  );
}

/** The status a completion event reports ((docs/utilization-reports.md#user-report)). */
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

/** Builds the user report of a window from its workflow events ((docs/utilization-reports.md#user-report)). */
export async function buildUserReport(ctx: ReportContext, window: Window): Promise<UserUtilizationReport> {
  interface Tracked extends TrackedWorkflow {
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
      wf = {
        workflowId: id,
        workflowName: name ?? 'Unknown',
        author: authorOf(e.data),
        startTime: null,
        endTime: null,
        durationSeconds: null,
        status: 'unknown',
      };
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
      if (user.shortestWorkflowHours === null || hours < val(user.shortestWorkflowHours))
        user.shortestWorkflowHours = F(hours);
      if (user.longestWorkflowHours === null || hours > val(user.longestWorkflowHours))
        user.longestWorkflowHours = F(hours);
    }
    user.workflows.push({
      workflowId: wf.workflowId,
      workflowName: wf.workflowName,
      startTime: wf.startTime,
      endTime: wf.endTime,
      durationSeconds: wf.durationSeconds,
      status: wf.status,
    });
  }
  for (const user of users.values()) {
    user.completionRatePercent = F(roundFloat((user.completedWorkflows / user.totalWorkflows) * 100, 2));
    const durations = user.workflows.filter((w) => w.durationSeconds !== null).map((w) => F(w.durationSeconds! / 3600));
    if (durations.length > 0)
      user.averageWorkflowDurationHours = F(roundFloat(val(pySum(durations)) / durations.length, 3));
    user.totalRuntimeHours = pyRound(user.totalRuntimeHours, 2);
    if (user.shortestWorkflowHours !== null) user.shortestWorkflowHours = pyRound(user.shortestWorkflowHours, 3);
    if (user.longestWorkflowHours !== null) user.longestWorkflowHours = pyRound(user.longestWorkflowHours, 3);
  }

  const all = [...totals.values()];
  const durations = all.map((t) => t.duration).filter((d): d is PyNum => d !== null);
  const withAuthors = all.filter((t) => typeof t.author === 'string' && t.author.trim() !== '').length;
  const list = [...users.values()];
  const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));
  return {
    generatedAt: new Date(ctx.now),
    analysisStart: new Date(window.from),
    analysisEnd: new Date(window.to),
    totalWorkflows: all.length,
    totalUsers: list.length,
    workflowsWithAuthors: withAuthors,
    workflowsWithoutAuthors: all.length - withAuthors,
    totalRuntimeHours: roundFloat(val(pySum(durations)) / 3600, 2),
    averageWorkflowDurationHours:
      durations.length > 0 ? roundFloat(val(pySum(durations)) / durations.length / 3600, 3) : 0,
    completionRatePercent:
      all.length > 0 ? roundFloat((all.filter((t) => t.status === 'completed').length / all.length) * 100, 2) : 0,
    authorAttributionRatePercent: all.length > 0 ? roundFloat((withAuthors / all.length) * 100, 2) : 0,
    users: list.map((u) => ({
      author: u.author,
      totalWorkflows: u.totalWorkflows,
      completedWorkflows: u.completedWorkflows,
      failedWorkflows: u.failedWorkflows,
      cancelledWorkflows: u.cancelledWorkflows,
      totalRuntimeHours: val(u.totalRuntimeHours),
      averageWorkflowDurationHours: val(u.averageWorkflowDurationHours),
      shortestWorkflowHours: u.shortestWorkflowHours === null ? null : val(u.shortestWorkflowHours),
      longestWorkflowHours: u.longestWorkflowHours === null ? null : val(u.longestWorkflowHours),
      completionRatePercent: val(u.completionRatePercent),
      workflows: u.workflows.map((w) => ({
        workflowId: w.workflowId,
        workflowName: w.workflowName,
        startTime: date(w.startTime),
        endTime: date(w.endTime),
        durationHours: w.durationSeconds === null ? null : w.durationSeconds / 3600,
        status: w.status,
      })),
      timedWorkflows: u.workflows.filter((w) => w.durationSeconds !== null).length,
    })),
    reportedDurations: durations.length,
  };
}
