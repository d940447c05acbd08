import { telemetrySettings, TelemetrySettingsError, type TelemetrySettings } from '../../core/telemetry-settings';

/*
 * Tracing starts here, before the server's modules load (docs/opentelemetry.md#trace-the-server):
 * `src/main.ts` imports this module first, and `node --require dist/src/app/telemetry/preload.js`
 * does the same for other entry points. With tracing off (the default) nothing else is loaded:
 * the OpenTelemetry SDK and its instrumentations are required only when tracing is on, and
 * synchronously, so they hook `http`, `express`, `graphql`, `mongodb` and `ioredis` before those load.
 */

let shutdown: (() => Promise<void>) | null = null;

function start(): void {
  let settings: TelemetrySettings;
  try {
    settings = telemetrySettings();
  } catch (error) {
    // The configuration reports the bad variable and stops the server (loadConfig).
    if (error instanceof TelemetrySettingsError) return;
    throw error;
  }
  if (!settings.enabled) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- synchronous on purpose (see above)
  const sdk = require('./sdk') as typeof import('./sdk');
  shutdown = sdk.startTracing(settings);
}

start();

/** Flushes and stops the SDK (pending spans are exported); nothing when tracing is off. */
export function shutdownTelemetry(): Promise<void> {
  return shutdown ? shutdown() : Promise.resolve();
}
