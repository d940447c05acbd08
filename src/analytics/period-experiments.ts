/**
 * The experiment events of a periods report: the starts the buckets count, and the details
 * (name, status, duration) MADSci lists for the experiments of the report's sessions.
 */
import { dig, experimentIdOf } from './analytics-event';
import { pyFixed, pyIso } from './python';
import type { JsonValue, PeriodExperiment } from './report-types';
import type { ReportContext, Window } from './session-report';

const fixed1 = (x: number) => pyFixed(x, 1);

/** A JSON value from a payload as it is (`undefined` read as null, as Python has no such value). */
function jsonValue(value: unknown): JsonValue {
  if (value === undefined) return null;
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonValue(v)]));
  return value as JsonValue;
}

/** What the report keeps of an experiment for `experiment_details` ((docs/utilization-reports.md#summary-peaks-and-trends)). */
interface ExperimentRecord {
  start?: { t: number; name: JsonValue };
  complete?: { t: number; status: JsonValue };
}

/**
 * The experiment events of a report, read in one pass: every start (time, id), for the bucket
 * counts, and per experiment its last start and last completion inside the window, for
 * `experiment_details`. Memory follows the number of experiments.
 */
export class ExperimentEvents {
  private readonly starts: { t: number; id: string }[] = [];
  private readonly records = new Map<string, ExperimentRecord>();

  /** Reads `experiment_start` and `experiment_complete` events from `from` (at most the window start) to the window end. */
  static async read(ctx: ReportContext, window: Window, from: number): Promise<ExperimentEvents> {
    const out = new ExperimentEvents();
    for await (const e of ctx.reader.events(['experiment_start', 'experiment_complete'], { from, to: window.to })) {
      const id = experimentIdOf(e);
      if (!id) continue;
      if (e.type === 'experiment_start') out.starts.push({ t: e.t, id });
      if (e.t < window.from) continue;
      let x = out.records.get(id);
      if (!x) out.records.set(id, (x = {}));
      if (e.type === 'experiment_start') {
        const design = dig(e.data, 'experiment', 'experiment_design');
        const hasName =
          design !== null && typeof design === 'object' && !Array.isArray(design) && 'experiment_name' in design;
        x.start = {
          t: e.t,
          name: hasName ? jsonValue((design as Record<string, unknown>).experiment_name) : 'Unknown Experiment',
        };
      } else {
        x.complete = { t: e.t, status: 'status' in e.data ? jsonValue(e.data.status) : 'completed' };
      }
    }
    return out;
  }

  /** Starts with `from <= t <= to`, in time order. */
  within(from: number, to: number): { t: number; id: string }[] {
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid]!.t < from) lo = mid + 1;
      else hi = mid;
    }
    const out: { t: number; id: string }[] = [];
    for (let i = lo; i < this.starts.length && this.starts[i]!.t <= to; i++) out.push(this.starts[i]!);
    return out;
  }

  /**
   * `experiment_details.experiments` ((docs/utilization-reports.md#summary-peaks-and-trends)): the experiments of `ids` (all of them when
   * `ids` is empty, as in MADSci) that started in the window, sorted by start time.
   */
  details(ids: ReadonlySet<string>): PeriodExperiment[] {
    const details: { startText: string; entry: PeriodExperiment }[] = [];
    for (const [id, x] of this.records) {
      if (!x.start || (ids.size > 0 && !ids.has(id))) continue;
      let entry: PeriodExperiment;
      if (x.complete) {
        const secs = (x.complete.t - x.start.t) / 1000;
        const hours = secs / 3600;
        const display =
          secs < 60
            ? `${fixed1(secs)} seconds`
            : secs < 3600
              ? `${fixed1(secs / 60)} minutes`
              : `${fixed1(hours)} hours`;
        entry = {
          experimentId: id,
          experimentName: x.start.name,
          startTime: new Date(x.start.t),
          endTime: new Date(x.complete.t),
          status: x.complete.status,
          durationHours: hours,
          durationDisplay: display,
        };
      } else {
        entry = {
          experimentId: id,
          experimentName: x.start.name,
          startTime: new Date(x.start.t),
          endTime: null,
          status: 'in_progress',
          durationHours: null,
          durationDisplay: 'Ongoing',
        };
      }
      details.push({ startText: pyIso(x.start.t), entry });
    }
    details.sort((a, b) => (a.startText < b.startText ? -1 : a.startText > b.startText ? 1 : 0));
    return details.map((d) => d.entry);
  }
}
