/**
 * What every benchmark shares: the quick-mode switch, configuration, statistics, the printed
 * table, targets and the JSON result file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/core/config';

/** `BENCH_QUICK=1`: every size shrinks about tenfold, for a smoke run. */
export const QUICK =
  process.env.BENCH_QUICK !== undefined && process.env.BENCH_QUICK !== '' && process.env.BENCH_QUICK !== '0';

/** `full` in a full run, about a tenth of it (at least `min`) in a quick run. */
export function sized(full: number, min = 1): number {
  return QUICK ? Math.max(min, Math.round(full / 10)) : full;
}

/** Where results are written: `bench/results/<name>.json` (quick runs: `<name>.quick.json`, ignored by git). */
export const RESULTS_DIR = path.resolve(__dirname, '..', 'results');

/** Scratch space for benchmark databases, outside the repository. */
export const SCRATCH_DIR = path.join(os.tmpdir(), 'lab-events-bench');

/** A fresh temporary directory under {@link SCRATCH_DIR}; the caller removes it. */
export function tempDir(prefix: string): string {
  fs.mkdirSync(SCRATCH_DIR, { recursive: true });
  return fs.mkdtempSync(path.join(SCRATCH_DIR, `${prefix}-`));
}

/**
 * Server configuration for a benchmark: port 0 on loopback, no logs (like the tests'
 * `testConfig`), production mode unless NODE_ENV says otherwise.
 */
export function benchConfig(env: Record<string, string>): Config {
  return loadConfig({
    NODE_ENV: process.env.NODE_ENV ?? 'production',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    ...env,
  });
}

/** The machine a result was measured on. */
export function environment(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    node: process.version,
    nodeEnv: process.env.NODE_ENV ?? null,
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    cores: cpus.length,
    cpuModel: cpus[0]?.model ?? null,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  };
}

/**
 * Cores kept busy by other processes, sampled over `ms` while this process waits (so it counts
 * everything but us): 0 on a quiet machine, up to the number of cores.
 */
export async function busyCores(ms = 1000): Promise<number> {
  const totals = () =>
    os.cpus().reduce(
      (acc, cpu) => {
        const { user, nice, sys, irq, idle } = cpu.times;
        return { busy: acc.busy + user + nice + sys + irq, all: acc.all + user + nice + sys + irq + idle };
      },
      { busy: 0, all: 0 },
    );
  const before = totals();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = totals();
  const all = after.all - before.all;
  return all > 0 ? round(((after.busy - before.busy) / all) * os.cpus().length) : 0;
}

/**
 * With `BENCH_WAIT_QUIET=<seconds>`, waits up to that long for other processes to keep less than
 * a quarter of a core busy for three seconds running, before a benchmark starts; without it,
 * returns at once. Gives up quietly (the benchmark's own check then warns).
 */
export async function waitForQuiet(): Promise<void> {
  const limit = Number(process.env.BENCH_WAIT_QUIET ?? 0);
  if (!(limit > 0)) return;
  const deadline = Date.now() + limit * 1000;
  let quiet = 0;
  let announced = false;
  while (Date.now() < deadline) {
    if ((await busyCores()) < 0.25) {
      if (++quiet >= 3) return;
    } else {
      quiet = 0;
      if (!announced) progress(`waiting up to ${limit} s for the machine to be quiet (BENCH_WAIT_QUIET)`);
      announced = true;
    }
  }
}

/**
 * Samples {@link busyCores} and warns when other processes keep more than a quarter of a core
 * busy: they compete with the benchmark for the same cores, and the figures will be low and noisy.
 */
export async function checkQuiet(when: string): Promise<number> {
  const busy = await busyCores();
  if (busy > 0.25)
    console.log(
      `WARNING: other processes kept ${busy} of ${os.cpus().length} cores busy ${when}; the figures will be skewed.`,
    );
  return busy;
}

/** The q-quantile (0..1) of samples, by linear interpolation between order statistics. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Median, p95, min and mean of samples. */
export function summarize(samples: readonly number[]): {
  median: number;
  p95: number;
  min: number;
  mean: number;
  n: number;
} {
  return {
    median: quantile(samples, 0.5),
    p95: quantile(samples, 0.95),
    min: Math.min(...samples),
    mean: samples.reduce((sum, x) => sum + x, 0) / samples.length,
    n: samples.length,
  };
}

/** Rounds for JSON and tables: 3 significant decimals below 10, fewer above. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 10 ? 2 : 3;
  return Number(value.toFixed(digits));
}

/** A performance target and whether it was met. */
export interface Target {
  name: string;
  description: string;
  value: number;
  comparator: '>=' | '<';
  threshold: number;
  met: boolean;
}

/** Evaluates `value comparator threshold`. */
export function target(
  name: string,
  description: string,
  value: number,
  comparator: Target['comparator'],
  threshold: number,
): Target {
  const met = comparator === '>=' ? value >= threshold : value < threshold;
  return { name, description, value: round(value), comparator, threshold, met };
}

/** Prints a left-aligned text table. */
export function printTable(
  title: string,
  headers: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): void {
  const cells = rows.map((row) => row.map((cell) => (typeof cell === 'number' ? String(round(cell)) : cell)));
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  console.log(`\n${title}`);
  console.log(line(headers));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of cells) console.log(line(row));
}

/** Prints each target as MET or MISSED. */
export function printTargets(targets: readonly Target[]): void {
  console.log('');
  for (const t of targets) {
    console.log(
      `${t.met ? 'MET   ' : 'MISSED'} ${t.name}: ${t.value} ${t.comparator} ${t.threshold} (${t.description})`,
    );
  }
}

/** Everything a result file holds besides the common header. */
export interface ResultBody {
  /** Cores other processes kept busy just before and just after the benchmark (see {@link busyCores}). */
  otherProcessesBusyCores?: { atStart: number; atEnd: number };
  parameters: Record<string, unknown>;
  figures: unknown;
  ratios: Record<string, number>;
  targets: Target[];
  notes?: string[];
  diagnostics?: unknown;
}

/** Writes `bench/results/<name>.json` (or `<name>.quick.json` in a quick run); returns its path. */
export function writeResult(name: string, startedAt: Date, body: ResultBody): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  // BENCH_RESULT_TAG (set by bench/otel.ts for its traced runs) keeps such runs apart: `<name>.<tag>.json`.
  const tag = process.env.BENCH_RESULT_TAG ? `.${process.env.BENCH_RESULT_TAG}` : '';
  const file = path.join(RESULTS_DIR, QUICK ? `${name}${tag}.quick.json` : `${name}${tag}.json`);
  const result = {
    benchmark: name,
    date: startedAt.toISOString(),
    durationSeconds: round((Date.now() - startedAt.getTime()) / 1000),
    quick: QUICK,
    environment: { ...environment(), otherProcessesBusyCores: body.otherProcessesBusyCores ?? null },
    ...body,
    allTargetsMet: body.targets.every((t) => t.met),
  };
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(result, null, 2)}\n`);
  fs.renameSync(tmp, file);
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
  return file;
}

/** Prints a progress line (stderr, so the tables on stdout stay clean). */
export function progress(message: string): void {
  process.stderr.write(`  … ${message}\n`);
}
