import type { AnalyticsEvent } from './analytics-event';
import type { UtilizationPeriod } from './analytics.enums';
import { PERIOD_TYPES, makeBuckets, type Bucket, type PeriodType } from './period-buckets';
import { ExperimentEvents } from './period-experiments';
import { F, last8, pyMean, pyRound, pySum, roundFloat, val, type PyNum } from './python';
import type {
  NodeSeriesPoint,
  PeriodNodeUtilization,
  PeriodTrend,
  PeriodWorkcellUtilization,
  UserUtilizationReport,
  UtilizationPeriodPoint,
  UtilizationPeriodsReport,
  UtilizationSession,
  WorkcellSeriesPoint,
} from './report-types';
import { lifecycleEvents, overallSummary, sessionEntries, type ReportContext, type Window } from './session-report';
import { defaultSession, deriveSessions, type SessionSpec } from './sessions';
import { buildUserReport } from './user-report';

/** A session's share of a bucket (what feeds the workcell series and the experiment list). */
interface Fragment {
  sessionType: SessionSpec['sessionType'];
  sessionId: string;
  utilization: PyNum;
  experiments: number;
  runtime: PyNum;
  active: PyNum;
  experimentIds: string[];
}

/** One bucket's figures. */
export interface BucketResult {
  bucket: Bucket;
  /** Zoned `YYYY-MM-DD` (daily), `YYYY-MM` (monthly), else empty. */
  date: string;
  /** Zoned start `YYYY-MM-DDTHH:MM:SS` (daily, monthly), else empty. */
  startTime: string;
  /** UTC start of the bucket as analysed (clipped to the window for daily and monthly). */
  startUtc: number;
  utilization: PyNum;
  experiments: number;
  runtime: PyNum;
  active: PyNum;
  nodes: { nodeId: string; utilization: PyNum; busy: PyNum }[];
  fragments: Fragment[];
}

/** A point of a node's or workcell's series, and the peak MADSci reads from it. */
interface Peak {
  peakUtilization: PyNum;
  peakPeriod: string | null;
  peakContext: string;
}

/** `a += x` in Python (int + int stays int). */
const plus = (a: PyNum, x: PyNum): PyNum =>
  typeof a === 'number' && typeof x === 'number' ? a + x : F(val(a) + val(x));

const hoursBetween = (from: number, to: number): number => (to - from) / 1000 / 3600;

/** Node accumulation of one bucket. */
class BucketNodes {
  private readonly nodes = new Map<string, { utilizations: PyNum[]; busy: PyNum }>();

  add(nodeId: string, utilization: PyNum, busy: number): void {
    let node = this.nodes.get(nodeId);
    if (!node) this.nodes.set(nodeId, (node = { utilizations: [], busy: 0 }));
    node.utilizations.push(utilization);
    node.busy = plus(node.busy, F(busy));
  }

  result(): BucketResult['nodes'] {
    return [...this.nodes].map(([nodeId, n]) => ({
      nodeId,
      utilization: pyRound(pyMean(n.utilizations), 1),
      busy: pyRound(n.busy, 3),
    }));
  }
}

/** Daily and monthly buckets (docs/utilization-reports.md#daily-and-monthly-buckets): clipped to the window, active hours pro-rated from whole sessions. */
function proportionalBucket(
  bucket: Bucket,
  type: 'daily' | 'monthly',
  window: Window,
  entries: readonly UtilizationSession[],
  experiments: ExperimentEvents,
): BucketResult | null {
  const start = Math.max(bucket.start, window.from);
  const end = Math.min(bucket.end, window.to);
  if (start >= end) return null;
  const inBucket = experiments.within(start, end);
  const nodes = new BucketNodes();
  const fragments: Fragment[] = [];
  let runtime: PyNum = 0;
  let active: PyNum = 0;
  for (const entry of entries) {
    const os = Math.max(start, entry.startTime.getTime());
    const oe = Math.min(end, entry.endTime.getTime());
    if (os >= oe) continue;
    const util = F(entry.systemUtilizationPercent);
    const overlap = hoursBetween(os, oe);
    const share =
      entry.durationHours > 0
        ? entry.activeTimeHours * (overlap / entry.durationHours)
        : overlap * (entry.systemUtilizationPercent / 100);
    runtime = plus(runtime, F(overlap));
    active = plus(active, F(share));
    // MADSci adds each node's whole-session busy hours to every bucket the session touches.
    for (const n of entry.nodes) nodes.add(n.nodeId, F(n.utilizationPercent), n.busyTimeHours);
    const own = inBucket.filter((x) => x.t >= os && x.t <= oe);
    fragments.push({
      sessionType: entry.sessionType,
      sessionId: entry.sessionId,
      utilization: util,
      experiments: own.length,
      runtime: F(overlap),
      active: F(share),
      experimentIds: own.map((x) => x.id),
    });
  }
  return {
    bucket,
    date: bucket.zonedStart.toFormat(type === 'daily' ? 'yyyy-MM-dd' : 'yyyy-MM'),
    startTime: bucket.zonedStart.toFormat("yyyy-MM-dd'T'HH:mm:ss"),
    startUtc: start,
    utilization: val(runtime) > 0 ? F((val(active) / val(runtime)) * 100) : 0,
    experiments: inBucket.length,
    runtime,
    active,
    nodes: nodes.result(),
    fragments,
  };
}

/** Weekly buckets (docs/utilization-reports.md#weekly-buckets): not clipped; utilization weighted by overlap; node busy hours pro-rated. */
function weeklyBucket(
  bucket: Bucket,
  entries: readonly UtilizationSession[],
  experiments: ExperimentEvents,
): BucketResult {
  const inBucket = experiments.within(bucket.start, bucket.end);
  const nodes = new BucketNodes();
  const fragments: Fragment[] = [];
  let runtime: PyNum = 0;
  let active: PyNum = 0;
  let weighted: PyNum = 0;
  for (const entry of entries) {
    const os = Math.max(bucket.start, entry.startTime.getTime());
    const oe = Math.min(bucket.end, entry.endTime.getTime());
    if (os >= oe) continue;
    const overlap = hoursBetween(os, oe);
    runtime = plus(runtime, F(overlap));
    let util: PyNum = 0;
    if (entry.durationSeconds > 0) {
      util = F(entry.systemUtilizationPercent);
      active = plus(active, F(overlap * (entry.systemUtilizationPercent / 100)));
      weighted = plus(weighted, F(entry.systemUtilizationPercent * overlap));
      const proportion = overlap / (entry.durationSeconds / 3600);
      for (const n of entry.nodes) nodes.add(n.nodeId, F(n.utilizationPercent), n.busyTimeHours * proportion);
    }
    const own = inBucket.filter((x) => x.t >= os && x.t <= oe);
    fragments.push({
      sessionType: entry.sessionType,
      sessionId: entry.sessionId,
      utilization: util,
      experiments: own.length,
      runtime: F(overlap),
      active: F(overlap * (val(util) / 100)),
      experimentIds: own.map((x) => x.id),
    });
  }
  return {
    bucket,
    date: '',
    startTime: '',
    startUtc: bucket.start,
    utilization: val(runtime) > 0 ? F(val(weighted) / val(runtime)) : weighted,
    experiments: inBucket.length,
    runtime,
    active,
    nodes: nodes.result(),
    fragments,
  };
}

/** Lifecycle events with `from <= t <= to`, from a time-ordered list. */
function slice(events: readonly AnalyticsEvent[], from: number, to: number): AnalyticsEvent[] {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid]!.t < from) lo = mid + 1;
    else hi = mid;
  }
  const out: AnalyticsEvent[] = [];
  for (let i = lo; i < events.length && events[i]!.t <= to; i++) out.push(events[i]!);
  return out;
}

/**
 * Hourly buckets (docs/utilization-reports.md#hourly-buckets): each bucket is a session report of its own range: sessions that
 * start inside it, cut at its end, or a default session covering it. All buckets' sessions are
 * analysed in one pass.
 */
async function hourlyBuckets(
  ctx: ReportContext,
  buckets: readonly Bucket[],
  lifecycle: readonly AnalyticsEvent[],
): Promise<BucketResult[]> {
  const perBucket = buckets.map((b) => {
    const specs = deriveSessions(slice(lifecycle, b.start, b.end), b.start, b.end);
    return specs.length > 0 ? specs : [defaultSession(b.start, b.end)];
  });
  const entries = await sessionEntries(ctx, perBucket.flat(), { experimentNames: false, workcellNames: true });
  let offset = 0;
  return buckets.map((bucket, i) => {
    const own = entries.slice(offset, (offset += perBucket[i]!.length));
    const summary = overallSummary(own);
    return {
      bucket,
      date: '',
      startTime: '',
      startUtc: bucket.start,
      utilization: summary.averageSystemUtilizationPercent,
      experiments: summary.totalExperiments,
      runtime: summary.totalSystemRuntimeHours,
      active: summary.totalActiveTimeHours,
      nodes: summary.nodes.map((n) => ({
        nodeId: n.nodeId,
        utilization: n.averageUtilizationPercent,
        busy: n.totalBusyTimeHours,
      })),
      fragments: own.map((e) => ({
        sessionType: e.sessionType,
        sessionId: e.sessionId,
        utilization: F(e.systemUtilizationPercent),
        experiments: e.experiments.length,
        runtime: F(e.durationHours),
        active: F(e.activeTimeHours),
        experimentIds: e.experiments.map((x) => x.experimentId),
      })),
    };
  });
}

function peakWording(type: PeriodType, display: string): string {
  if (type === 'daily') return `Peak utilization on ${display}`;
  if (type === 'weekly') return `Peak utilization during ${display}`;
  return `Peak utilization in ${display}`;
}

const NO_PEAK: Peak = { peakUtilization: 0, peakPeriod: null, peakContext: 'No peak data available' };

/** MADSci's peak of an entity: the first maximum of its values, labelled from its series at the same index. */
function seriesPeak(type: PeriodType, values: readonly PyNum[], series: readonly { periodDisplay: string }[]): Peak {
  if (values.length === 0 || series.length === 0) return NO_PEAK;
  let index = 0;
  values.forEach((v, i) => {
    if (val(v) > val(values[index]!)) index = i;
  });
  const peak = pyRound(values[index]!, 2);
  if (index < series.length) {
    const display = series[index]!.periodDisplay;
    return { peakUtilization: peak, peakPeriod: display, peakContext: peakWording(type, display) };
  }
  return {
    peakUtilization: peak,
    peakPeriod: 'Unknown',
    peakContext: `Peak utilization: ${typeof peak === 'number' ? peak : peak.value}%`,
  };
}

/** Builds the periods report (docs/utilization-reports.md#periods-report). The window must satisfy `from < to`. */
export async function buildPeriodsReport(
  ctx: ReportContext,
  window: Window,
  period: UtilizationPeriod,
  timezone: string,
  options: { includeUsers: boolean; zone?: string },
): Promise<UtilizationPeriodsReport> {
  const type = PERIOD_TYPES[period];
  const zone = options.zone ?? timezone;
  const buckets = makeBuckets(window, type, zone);
  const lifecycle = await lifecycleEvents(ctx, window);
  // Weekly buckets count the experiments of the whole first week, which may start before the window.
  const firstWeek = type === 'weekly' && buckets.length > 0 ? Math.min(buckets[0]!.start, window.from) : window.from;
  const experiments = await ExperimentEvents.read(ctx, window, firstWeek);
  let results: BucketResult[];
  if (type === 'hourly') {
    results = await hourlyBuckets(ctx, buckets, lifecycle);
  } else {
    const specs = deriveSessions(lifecycle, window.from, window.to).filter(
      (s) => s.end >= window.from && s.start <= window.to,
    );
    const entries = await sessionEntries(ctx, specs, { experimentNames: false, workcellNames: true });
    results = [];
    for (const bucket of buckets) {
      const result =
        type === 'weekly'
          ? weeklyBucket(bucket, entries, experiments)
          : proportionalBucket(bucket, type, window, entries, experiments);
      if (result) results.push(result);
    }
  }
  const users = options.includeUsers ? await buildUserReport(ctx, window) : null;
  return summarize(ctx, window, period, timezone, results, experiments, users);
}

async function summarize(
  ctx: ReportContext,
  window: Window,
  period: UtilizationPeriod,
  timezone: string,
  results: BucketResult[],
  experiments: ExperimentEvents,
  users: UserUtilizationReport | null,
): Promise<UtilizationPeriodsReport> {
  const type = PERIOD_TYPES[period];
  const activeUtilizations: PyNum[] = [];
  const activeExperiments: number[] = [];
  const nodeMetrics = new Map<string, { utilizations: PyNum[]; busy: PyNum; series: NodeSeriesPoint[] }>();
  const workcellMetrics = new Map<
    string,
    { utilizations: PyNum[]; experiments: number[]; runtime: PyNum[]; active: PyNum[]; series: WorkcellSeriesPoint[] }
  >();
  const experimentIds = new Set<string>();
  const points: UtilizationPeriodPoint[] = [];
  for (const r of results) {
    const info = r.bucket.periodInfo;
    const number = r.bucket.index + 1;
    if (r.experiments > 0) {
      activeUtilizations.push(r.utilization);
      activeExperiments.push(r.experiments);
    }
    for (const f of r.fragments) for (const id of f.experimentIds) experimentIds.add(id);
    for (const n of r.nodes) {
      let m = nodeMetrics.get(n.nodeId);
      if (!m) nodeMetrics.set(n.nodeId, (m = { utilizations: [], busy: 0, series: [] }));
      m.utilizations.push(n.utilization);
      m.busy = plus(m.busy, n.busy);
      m.series.push({
        periodNumber: number,
        periodType: info.type,
        periodDisplay: info.display,
        date: r.date,
        utilization: val(n.utilization),
        busyHours: val(n.busy),
      });
    }
    for (const f of r.fragments) {
      if (f.sessionType !== 'workcell' && f.sessionType !== 'lab') continue;
      let m = workcellMetrics.get(f.sessionId);
      if (!m)
        workcellMetrics.set(
          f.sessionId,
          (m = { utilizations: [], experiments: [], runtime: [], active: [], series: [] }),
        );
      m.utilizations.push(f.utilization);
      m.experiments.push(f.experiments);
      m.runtime.push(f.runtime);
      m.active.push(f.active);
      if (val(f.runtime) > 0) {
        m.series.push({
          periodNumber: number,
          periodType: info.type,
          periodDisplay: info.display,
          date: r.date,
          utilization: val(f.utilization),
          experiments: f.experiments,
          runtimeHours: val(f.runtime),
          activeTimeHours: val(f.active),
        });
      }
    }
    points.push({
      periodNumber: number,
      periodType: info.type,
      periodDisplay: info.display,
      periodShort: info.short,
      start: new Date(r.bucket.start),
      end: new Date(r.bucket.end),
      startTimeUtc: new Date(r.startUtc),
      utilization: val(r.utilization),
      experiments: r.experiments,
      runtimeHours: val(r.runtime),
      activeTimeHours: val(r.active),
      date: r.date,
      localStartTime: r.startTime,
      sessions: r.fragments.length,
    });
  }

  const runtimeTotal = pySum(results.map((r) => r.runtime));
  const activeTotal = pySum(results.map((r) => r.active));
  let averageUtilization: PyNum;
  if (type === 'monthly')
    averageUtilization = val(runtimeTotal) > 0 ? pyRound(F((val(activeTotal) / val(runtimeTotal)) * 100), 2) : 0;
  else averageUtilization = activeUtilizations.length > 0 ? pyRound(pyMean(activeUtilizations), 2) : 0;

  let peak: Peak = NO_PEAK;
  let best: PyNum = 0;
  for (const r of results) {
    if (val(r.utilization) > val(best)) {
      best = r.utilization;
      peak = {
        peakUtilization: pyRound(r.utilization, 2),
        peakPeriod: r.bucket.periodInfo.display,
        peakContext: peakWording(type, r.bucket.periodInfo.display),
      };
    }
  }

  await ctx.lookups.resolve({ nodes: [...nodeMetrics.keys()], workcells: [...workcellMetrics.keys()] });

  const nodes: PeriodNodeUtilization[] = [...nodeMetrics].map(([nodeId, m]) => {
    const name = ctx.lookups.nodeName(nodeId);
    const p = seriesPeak(type, m.utilizations, m.series);
    return {
      nodeId,
      nodeName: name,
      displayName: name ? `${name} (${last8(nodeId)})` : `Node ${last8(nodeId)}`,
      averageUtilization: val(pyRound(pyMean(m.utilizations), 2)),
      peakUtilization: val(p.peakUtilization),
      peakPeriod: p.peakPeriod,
      totalBusyHours: val(pyRound(m.busy, 2)),
      peakContext: p.peakContext,
      series: m.series,
    };
  });
  const workcells: PeriodWorkcellUtilization[] = [...workcellMetrics].map(([workcellId, m]) => {
    const name = ctx.lookups.workcellName(workcellId);
    const p = seriesPeak(type, m.utilizations, m.series);
    return {
      workcellId,
      workcellName: name,
      displayName:
        name.startsWith('Workcell ') && name.includes(last8(workcellId)) ? name : `${name} (${last8(workcellId)})`,
      averageUtilization: val(pyRound(pyMean(m.utilizations), 2)),
      peakUtilization: val(p.peakUtilization),
      peakPeriod: p.peakPeriod,
      totalExperiments: m.experiments.reduce((a, b) => a + b, 0),
      totalRuntimeHours: val(pyRound(pySum(m.runtime), 2)),
      totalActiveTimeHours: val(pyRound(pySum(m.active), 2)),
      peakContext: p.peakContext,
      series: m.series,
    };
  });

  const details = experiments.details(experimentIds);
  return {
    period,
    timezone,
    generatedAt: new Date(ctx.now),
    periodStart: new Date(window.from),
    periodEnd: new Date(window.to),
    totalPeriods: results.length,
    averageUtilization: val(averageUtilization),
    peakUtilization: val(peak.peakUtilization),
    peakPeriod: peak.peakPeriod,
    totalExperiments: activeExperiments.reduce((a, b) => a + b, 0),
    totalRuntimeHours: val(pyRound(runtimeTotal, 2)),
    totalActiveTimeHours: val(pyRound(activeTotal, 2)),
    activePeriods: activeUtilizations.length,
    periods: points,
    nodes,
    workcells,
    topUsers: users
      ? [...users.users]
          .sort((a, b) => b.totalRuntimeHours - a.totalRuntimeHours)
          .slice(0, 10)
          .map((u) => ({
            author: u.author,
            totalWorkflows: u.totalWorkflows,
            totalRuntimeHours: u.totalRuntimeHours,
            completionRatePercent: u.completionRatePercent,
            averageWorkflowDurationHours: u.averageWorkflowDurationHours,
            timedWorkflows: u.timedWorkflows,
          }))
      : null,
    peakContext: peak.peakContext,
    userSummary: users
      ? {
          totalUsers: users.totalUsers,
          authorAttributionRatePercent: users.authorAttributionRatePercent,
          totalWorkflows: users.totalWorkflows,
          totalRuntimeHours: users.totalRuntimeHours,
          completionRatePercent: users.completionRatePercent,
        }
      : null,
    trends: trends(points),
    experimentDetails: { total: details.length, experiments: details.slice(0, 50) },
  };
}

const INSUFFICIENT: PeriodTrend = { direction: 'insufficient_data', changePercent: 0 };

/** MADSci's trends over the system series (docs/utilization-reports.md#summary-peaks-and-trends): first and last period with utilization compared. */
export function trends(points: readonly Pick<UtilizationPeriodPoint, 'utilization' | 'experiments'>[]): {
  utilization: PeriodTrend;
  experiments: PeriodTrend;
} {
  const active = points.filter((p) => p.utilization > 0);
  if (points.length < 2 || active.length < 2) return { utilization: INSUFFICIENT, experiments: INSUFFICIENT };
  const direction = (change: number) => (change > 5 ? 'increasing' : change < -5 ? 'decreasing' : 'stable');
  const uFirst = active[0]!.utilization;
  const uLast = active.at(-1)!.utilization;
  const xFirst = active[0]!.experiments;
  const xLast = active.at(-1)!.experiments;
  const uChange = ((uLast - uFirst) / uFirst) * 100;
  const xChange = xFirst === 0 ? 0 : ((xLast - xFirst) / xFirst) * 100;
  return {
    utilization: {
      direction: direction(uChange),
      changePercent: roundFloat(uChange, 2),
      firstValue: roundFloat(uFirst, 2),
      lastValue: roundFloat(uLast, 2),
      activePeriodsAnalyzed: active.length,
    },
    experiments: {
      direction: xFirst === 0 ? 'stable' : direction(xChange),
      changePercent: roundFloat(xChange, 2),
      firstValue: xFirst,
      lastValue: xLast,
      activePeriodsAnalyzed: active.length,
    },
  };
}
