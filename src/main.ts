// First: `.env` from the working directory, before anything reads the environment.
import './core/load-env';
// Then tracing (when OTEL_* asks for it, from the environment or `.env`): it hooks the modules
// below before they load.
import { shutdownTelemetry } from './app/telemetry/preload';
import 'reflect-metadata';
import { ConfigError, loadConfig } from './core/config';
import { startServer } from './app/server';
import { createLogger } from './core/logger';
import { createStore } from './store/create-store';

/** Start-up and shutdown only. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const store = createStore(config, logger);
  const server = await startServer({ config, store, logger });

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    server
      .stop()
      .then(() => shutdownTelemetry())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'error during shutdown');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('lab-events failed to start:', error instanceof Error ? error.message : error);
  // 2: the configuration is wrong (as for loadConfig above); 1: anything else.
  process.exit(error instanceof ConfigError ? 2 : 1);
});
