/**
 * Runs the benchmarks (`npm run bench`), or the ones named: `npx tsx bench/run-all.ts ingest page`.
 * `BENCH_QUICK=1` shrinks every size about tenfold; `BENCH_WAIT_QUIET=<seconds>` waits (up to
 * that long) for other processes to leave the cores idle before each benchmark. A missed target
 * prints MISSED and does not fail the run; an error does (exit code 1).
 */
import './support/production-env';
import 'reflect-metadata';
import { QUICK, waitForQuiet, type Target } from './support/harness';

/** Loaded on demand, so one benchmark runs even when another's imports are broken. */
const BENCHMARKS: Record<string, () => Promise<Target[]>> = {
  ingest: async () => (await import('./ingest')).runIngest(),
  page: async () => (await import('./page')).runPage(),
  'store-paths': async () => (await import('./store-paths')).runStorePaths(),
  'graphql-overhead': async () => (await import('./graphql-overhead')).runGraphqlOverhead(),
  reports: async () => (await import('./reports')).runReports(),
  fanout: async () => (await import('./fanout')).runFanout(),
  backup: async () => (await import('./backup')).runBackup(),
  soak: async () => (await import('./soak')).runSoak(),
  otel: async () => (await import('./otel')).runOtel(),
  'vs-madsci': async () => (await import('./vs-madsci')).runVsMadsci(),
};

async function main(): Promise<number> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) {
    console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Known: ${Object.keys(BENCHMARKS).join(', ')}`);
    return 2;
  }
  const names = asked.length > 0 ? asked : Object.keys(BENCHMARKS);
  const summary: { name: string; seconds: number; targets: Target[] }[] = [];
  for (const name of names) {
    console.log(`\n=== ${name}${QUICK ? ' (quick)' : ''} ===`);
    await waitForQuiet();
    const started = performance.now();
    const targets = await BENCHMARKS[name]!();
    summary.push({ name, seconds: (performance.now() - started) / 1000, targets });
  }
  console.log('\n=== summary ===');
  for (const { name, seconds, targets } of summary) {
    const missed = targets.filter((t) => !t.met).length;
    console.log(
      `${name.padEnd(18)} ${seconds.toFixed(1).padStart(6)} s  ${missed === 0 ? 'all targets met' : `${missed} of ${targets.length} targets MISSED`}`,
    );
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
