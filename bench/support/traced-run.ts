/**
 * `bench/run-all.ts` with the server's telemetry preload loaded first, exactly as `src/main.ts`
 * loads it: with OTEL_* set, every module the benchmarks load is instrumented. Used by
 * `bench/otel.ts` for its tracing-on and tracing-off runs.
 */
import '../../src/app/telemetry/preload';
import '../run-all';
