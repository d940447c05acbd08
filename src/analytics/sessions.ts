import {
  actionIdOf,
  actionStatusOf,
  experimentIdOf,
  namesWorkcell,
  nodeIdOf,
  ownerIdOf,
  type AnalyticsEvent,
} from './analytics-event';
import { F, pyMax, pySum, type PyNum } from './python';

/** A period during which a workcell (or lab) ran, derived from lifecycle events (docs/utilization-reports.md#sessions). */
export interface SessionSpec {
  sessionType: 'workcell' | 'lab' | 'system' | 'default_analysis';
  sessionId: string;
  /** MADSci's raw name (`workcell_name`, `name`, or `Workcell <last8>`); kept for fragments. */
  sessionName: unknown;
  /** Epoch milliseconds. */
  start: number;
  end: number;
}

/** Effective types that start and stop sessions. */
export const SESSION_START_TYPES = ['workcell_start', 'lab_start'] as const;
export const SESSION_STOP_TYPES = ['workcell_stop', 'lab_stop'] as const;
export const LIFECYCLE_TYPES: readonly string[] = [...SESSION_START_TYPES, ...SESSION_STOP_TYPES];

/** Types that count as activity inside a session (docs/utilization-reports.md#activity-events). */
export const ACTIVITY_TYPES: readonly string[] = [
  'experiment_start',
  'experiment_complete',
  'experiment_failed',
  'experiment_cancelled',
  'workcell_start',
  'workcell_stop',
  'lab_start',
  'lab_stop',
  'node_start',
  'node_stop',
  'node_status_update',
  'action_status_change',
  'workflow_start',
  'workflow_complete',
];

const isStart = (type: string) => type === 'workcell_start' || type === 'lab_start';
const isStop = (type: string) => type === 'workcell_stop' || type === 'lab_stop';

/**
 * Sessions of the window `[from, to]` (docs/utilization-reports.md#sessions; no default session): one per
 * workcell/lab start inside the window, ended by the first matching stop after it and not after
 * `to`, else by the next start of the same owner, else by `to`. `lifecycle` holds the time-ordered
 * start and stop events of (at least) the window.
 */
export function deriveSessions(lifecycle: readonly AnalyticsEvent[], from: number, to: number): SessionSpec[] {
  const starts = lifecycle.filter((e) => isStart(e.type) && e.t >= from && e.t <= to);
  const stops = lifecycle.filter((e) => isStop(e.type) && e.t > from && e.t <= to);
  return starts.map((start) => {
    const owner = ownerIdOf(start);
    const sessionId = owner ?? `system_${Math.trunc(start.t / 1000)}`;
    const name = start.data.workcell_name || start.data.name || `Workcell ${sessionId.slice(-8)}`;
    let end: number | undefined = stops.find((stop) => stop.t > start.t && namesWorkcell(stop, sessionId))?.t;
    // A fallback `system_…` id is never any event's owner.
    end ??= starts.find((next) => next.t > start.t && ownerIdOf(next) === sessionId)?.t;
    end ??= to;
    const sessionType = start.type.includes('lab') ? 'lab' : start.type.includes('workcell') ? 'workcell' : 'system';
    return { sessionType, sessionId, sessionName: name, start: start.t, end };
  });
}

/** The session that stands for the whole window when no start event lies in it. */
export function defaultSession(from: number, to: number): SessionSpec {
  return {
    sessionType: 'default_analysis',
    sessionId: `analysis_${Math.trunc(from / 1000)}`,
    sessionName: null,
    start: from,
    end: to,
  };
}

/** One node's figures in a session (seconds; docs/utilization-reports.md#nodes-in-a-session). */
export interface NodeAnalysis {
  nodeId: string;
  totalSeconds: number;
  activeSeconds: PyNum;
  busySeconds: PyNum;
  idleSeconds: PyNum;
  /** busy / active x 100, unrounded (0 when active is 0). */
  utilization: number;
  state: 'busy' | 'idle';
}

/** A session's figures ((docs/utilization-reports.md#per-session-figures)). */
export interface SessionAnalysis {
  spec: SessionSpec;
  /** `(end - start).total_seconds()`. */
  durationSeconds: number;
  /** Union of experiment intervals; the int 0 without any. */
  activeSeconds: PyNum;
  /** active / duration x 100, unrounded (0 when the duration is not positive). */
  utilization: number;
  /** Experiments that started in the session, in first-start order. */
  experimentIds: string[];
  /** Every node with activity, in order of first activity, workcells not yet removed. */
  nodes: NodeAnalysis[];
}

const seconds = (fromMs: number, toMs: number): number => (toMs - fromMs) / 1000;

/** Length of the union of intervals (touching ones merge), as Python sums it. */
export function unionSeconds(intervals: [number, number][]): PyNum {
  if (intervals.length === 0) return 0;
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [[...sorted[0]!]];
  for (const [start, end] of sorted.slice(1)) {
    const last = merged.at(-1)!;
    if (start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return pySum(merged.map(([start, end]) => F(seconds(start, end))));
}

const EXPERIMENT_ENDS: ReadonlySet<string> = new Set([
  'experiment_complete',
  'experiment_failed',
  'experiment_cancelled',
]);
const ACTION_STARTS: ReadonlySet<string> = new Set(['running', 'started', 'in_progress']);
const ACTION_ENDS: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled', 'finished', 'succeeded']);

/** What the session figures read of an event: worked out once, however many sessions it feeds. */
export interface EventFacts {
  /** The experiment of an experiment start or end, else null. */
  experiment: string | null;
  node: string | null;
  /** The action of an `action_status_change`, else null. */
  action: string | null;
  status: string;
}

export function factsOf(e: AnalyticsEvent): EventFacts {
  const isAction = e.type === 'action_status_change';
  return {
    experiment: e.type === 'experiment_start' || EXPERIMENT_ENDS.has(e.type) ? experimentIdOf(e) : null,
    node: nodeIdOf(e),
    action: isAction ? actionIdOf(e) : null,
    status: isAction ? actionStatusOf(e) : '',
  };
}

/** Per-node state machine (docs/utilization-reports.md#nodes-in-a-session). */
class NodeState {
  activeStart: number | null = null;
  busyStart: number | null = null;
  readonly actions = new Set<string>();
  readonly active: [number, number][] = [];
  readonly busy: [number, number][] = [];

  feed(e: AnalyticsEvent, facts: EventFacts): void {
    switch (e.type) {
      case 'node_start':
        this.activeStart ??= e.t;
        break;
      case 'node_stop':
        if (this.activeStart !== null) this.active.push([this.activeStart, e.t]);
        if (this.busyStart !== null) this.busy.push([this.busyStart, e.t]);
        this.activeStart = null;
        this.busyStart = null;
        this.actions.clear();
        break;
      case 'action_status_change': {
        const action = facts.action;
        if (!action) break;
        const status = facts.status;
        if (ACTION_STARTS.has(status)) {
          if (!this.actions.has(action)) {
            this.actions.add(action);
            this.busyStart ??= e.t;
          }
        } else if (ACTION_ENDS.has(status)) {
          if (this.actions.delete(action) && this.actions.size === 0 && this.busyStart !== null) {
            this.busy.push([this.busyStart, e.t]);
            this.busyStart = null;
          }
        }
        break;
      }
      default:
        break;
    }
  }

  finish(nodeId: string, start: number, end: number): NodeAnalysis {
    if (this.activeStart !== null) this.active.push([this.activeStart, end]);
    if (this.busyStart !== null) this.busy.push([this.busyStart, end]);
    const total = seconds(start, end);
    // A node that never said node_start is taken as available for the whole session.
    const active: PyNum = this.active.length > 0 ? unionSeconds(this.active) : F(total);
    const busy = unionSeconds(this.busy);
    const activeValue = typeof active === 'number' ? active : active.value;
    const busyValue = typeof busy === 'number' ? busy : busy.value;
    return {
      nodeId,
      totalSeconds: total,
      activeSeconds: active,
      busySeconds: busy,
      idleSeconds: pyMax(
        0,
        typeof active === 'number' && typeof busy === 'number' ? active - busy : F(activeValue - busyValue),
      ),
      utilization: activeValue > 0 ? (busyValue / activeValue) * 100 : 0,
      state: this.actions.size > 0 ? 'busy' : 'idle',
    };
  }
}

/** Accumulates one session's activity events, in time order ((docs/utilization-reports.md#per-session-figures)). */
export class SessionAccumulator {
  private readonly starts = new Map<string, number>();
  private readonly running = new Set<string>();
  private readonly intervals: [number, number][] = [];
  private readonly nodes = new Map<string, NodeState>();

  constructor(readonly spec: SessionSpec) {}

  /** Feeds an activity event with `spec.start <= t <= spec.end` (and its {@link factsOf}). */
  feed(e: AnalyticsEvent, facts: EventFacts = factsOf(e)): void {
    if (e.type === 'experiment_start') {
      const x = facts.experiment;
      if (x) {
        this.running.add(x);
        this.starts.set(x, e.t);
      }
    } else if (EXPERIMENT_ENDS.has(e.type)) {
      const x = facts.experiment;
      if (x && this.starts.has(x)) {
        this.intervals.push([this.starts.get(x)!, e.t]);
        this.running.delete(x);
      }
    }
    const node = facts.node;
    if (node) {
      let state = this.nodes.get(node);
      if (!state) this.nodes.set(node, (state = new NodeState()));
      state.feed(e, facts);
    }
  }

  finish(): SessionAnalysis {
    const { start, end } = this.spec;
    const intervals = [...this.intervals];
    for (const [x, at] of this.starts) if (this.running.has(x)) intervals.push([at, end]);
    const durationSeconds = seconds(start, end);
    const activeSeconds = unionSeconds(intervals);
    const activeValue = typeof activeSeconds === 'number' ? activeSeconds : activeSeconds.value;
    return {
      spec: this.spec,
      durationSeconds,
      activeSeconds,
      utilization: durationSeconds > 0 ? (activeValue / durationSeconds) * 100 : 0,
      experimentIds: [...this.starts.keys()],
      nodes: [...this.nodes].map(([id, state]) => state.finish(id, start, end)),
    };
  }
}

/**
 * Analyses many sessions in one time-ordered pass over the activity events of their span: each
 * event goes to every session whose `[start, end]` holds it. Results come in `specs` order.
 * `read` gives the events in time-ordered chunks.
 */
export async function analyseSessions(
  specs: readonly SessionSpec[],
  read: (from: number, to: number) => AsyncIterable<readonly AnalyticsEvent[]>,
): Promise<SessionAnalysis[]> {
  const results: SessionAnalysis[] = new Array(specs.length);
  if (specs.length === 0) return results;
  const order = specs.map((_, i) => i).sort((a, b) => specs[a]!.start - specs[b]!.start || a - b);
  let next = 0;
  let open: { index: number; acc: SessionAccumulator }[] = [];
  const closeBefore = (t: number) => {
    if (!open.some((s) => s.acc.spec.end < t)) return;
    open = open.filter((s) => {
      if (s.acc.spec.end >= t) return true;
      results[s.index] = s.acc.finish();
      return false;
    });
  };
  const from = Math.min(...specs.map((s) => s.start));
  const to = Math.max(...specs.map((s) => s.end));
  if (from <= to) {
    for await (const chunk of read(from, to)) {
      for (const e of chunk) {
        closeBefore(e.t);
        while (next < order.length && specs[order[next]!]!.start <= e.t) {
          const index = order[next++]!;
          open.push({ index, acc: new SessionAccumulator(specs[index]!) });
        }
        let facts: EventFacts | null = null;
        for (const s of open) if (s.acc.spec.end >= e.t) s.acc.feed(e, (facts ??= factsOf(e)));
      }
    }
  }
  for (const s of open) results[s.index] = s.acc.finish();
  // Sessions that never saw an event (or have end < start) still get their figures.
  for (let i = 0; i < specs.length; i++) results[i] ??= new SessionAccumulator(specs[i]!).finish();
  return results;
}
