/**
 * Events over time from `eventCounts` (grouped by level, bucketed in the chosen time zone),
 * drawn with uPlot as stacked bars, one series per level. The legend shows each level's total
 * over the window, and the bucket's counts while the cursor is over one.
 */
import 'uplot/dist/uPlot.min.css';
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import type { CountsResult, TimeBucket } from './api';
import { BUCKET_MS } from './filters';
import { levelColor, levelName, levelValue } from './levels';
import { formatTime } from './zoned-time';

interface Props {
  counts: CountsResult['eventCounts'];
  window: { from: string; to: string; bucket: TimeBucket };
  /** IANA zone of the axis labels (the counts are bucketed in it). */
  zone: string;
}

/** Aligned columns for uPlot: bucket starts (seconds) and one count series per level. */
function toColumns(counts: Props['counts'], window: Props['window']): { keys: string[]; data: uPlot.AlignedData } {
  const byKey = new Map<string, Map<number, number>>();
  const times = new Set<number>();
  for (const row of counts) {
    if (!row.bucketStart) continue;
    const t = Date.parse(row.bucketStart);
    times.add(t);
    const key = levelName(row.key);
    const series = byKey.get(key) ?? new Map<number, number>();
    series.set(t, (series.get(t) ?? 0) + row.count);
    byKey.set(key, series);
  }
  // Fixed-length buckets: fill the window with the empty ones too, so the steps drop to zero.
  const step = BUCKET_MS[window.bucket];
  if (step && times.size > 0) {
    const anchor = Math.min(...times);
    const from = Date.parse(window.from);
    const to = Date.parse(window.to);
    const first = anchor - Math.ceil((anchor - from) / step) * step;
    for (let t = first; t <= to && times.size < 2000; t += step) times.add(t);
  }
  const xs = [...times].sort((a, b) => a - b);
  const keys = [...byKey.keys()].sort((a, b) => levelValue(a) - levelValue(b));
  const data: uPlot.AlignedData = [
    xs.map((t) => t / 1000),
    ...keys.map((key) => xs.map((t) => byKey.get(key)!.get(t) ?? 0)),
  ];
  return { keys, data };
}

/** Running sums over the series (lowest level at the bottom), for stacked bars. */
function stack(data: uPlot.AlignedData): uPlot.AlignedData {
  const [xs, ...series] = data;
  const sums = new Array<number>(xs.length).fill(0);
  const stacked = series.map((values) => values.map((value, i) => (sums[i]! += value ?? 0)));
  return [xs, ...stacked];
}

export function EventsChart({ counts, window, zone }: Props) {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const columns = toColumns(counts, window);
    // uPlot draws series in order: the top of the stack (largest running sum) first, so each
    // lower level paints over it; the legend then reads top to bottom like the bars.
    const keys = [...columns.keys].reverse();
    const [xs, ...stackedSeries] = stack(columns.data);
    const stacked: uPlot.AlignedData = [xs, ...stackedSeries.reverse()];
    const counted = columns.data.slice(1).reverse();
    const totals = counted.map((values) => {
      let sum = 0;
      for (const value of values) sum += value ?? 0;
      return sum;
    });
    const step = BUCKET_MS[window.bucket];
    // Bars as wide as a bucket (estimated from neighbours where buckets vary in length).
    const bucketSeconds = step
      ? step / 1000
      : xs.length > 1
        ? Math.min(...xs.slice(1).map((x, i) => x - xs[i]!))
        : 86_400;
    const bars = uPlot.paths.bars!({ size: [0.85, Infinity], align: 1 });
    const plot = new uPlot(
      {
        width: Math.max(element.clientWidth, 300),
        height: 240,
        // Axis labels in the chosen zone.
        tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), zone),
        scales: {
          x: {
            time: true,
            range: (_u, min, max) => [
              Math.min(min, Date.parse(window.from) / 1000),
              Math.max(max + bucketSeconds, Date.parse(window.to) / 1000),
            ],
          },
          y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] },
        },
        axes: [
          { stroke: '#5b6b7f', grid: { stroke: '#eef1f5' } },
          { stroke: '#5b6b7f', grid: { stroke: '#eef1f5' }, size: 48 },
        ],
        series: [
          {
            label: 'Time',
            // Without a cursor the legend shows the window's totals; with one, that bucket.
            value: (_u: uPlot, seconds: number | null) => {
              if (seconds == null) return 'total';
              const { text, zoneName } = formatTime(new Date(seconds * 1000).toISOString(), zone);
              return `${text.slice(0, 16)} ${zoneName}`;
            },
          },
          ...keys.map((key, index) => ({
            label: key,
            stroke: levelColor(key),
            fill: `${levelColor(key)}cc`,
            width: 0,
            paths: bars,
            points: { show: false },
            // The legend shows the level's own count (not the running sum): its total over the
            // window, or the hovered bucket's.
            value: (_u: uPlot, _v: number | null, _s: number, i: number | null) =>
              String(i == null ? totals[index]! : (counted[index]![i] ?? 0)),
          })),
        ],
        legend: { show: true },
      },
      stacked,
      element,
    );
    const observer = new ResizeObserver(() => plot.setSize({ width: Math.max(element.clientWidth, 300), height: 240 }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [counts, window, zone]);
  return <div className="chart" ref={container} data-testid="events-chart" />;
}
