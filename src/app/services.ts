import { AnalyticsService } from '../analytics/analytics.service';
import { ApiKeyVerifier } from '../core/api-keys';
import { AuthService } from '../auth/auth.service';
import type { Config } from '../core/config';
import { EventService } from '../events/event.service';
import { HealthService } from '../health/health.service';
import { ArchiveService } from '../lifecycle/archive.service';
import { BackupService } from '../lifecycle/backup.service';
import { instanceId } from '../lifecycle/lease';
import { RetentionTask } from '../lifecycle/retention.task';
import { countRetentionRun } from '../metrics/metrics';
import { AlertService } from '../live/alert.service';
import { createLiveBus } from '../live/create-live-bus';
import { LiveService } from '../live/live.service';
import type { EventStore } from '../store/event-store';
import { createLogger, type Logger } from '../core/logger';
import { createRateLimiter, type RateLimiter } from './http/rate-limit';

/** The services of one server, built once at start-up. */
export interface Services {
  config: Config;
  store: EventStore;
  events: EventService;
  health: HealthService;
  /** Live subscriptions: the bus (in process or Redis) and the subscribers. */
  live: LiveService;
  /** Alert delivery (email, webhooks) of newly stored alert events. */
  alerts: AlertService;
  /** Archive, unarchive, purge. */
  archive: ArchiveService;
  /** Backups and restores; scheduled backups once `startSchedule` is called. */
  backups: BackupService;
  /** The retention task; runs on its schedule once started (`RETENTION_ENABLED`), or on demand. */
  retention: RetentionTask;
  /** Utilization reports, event counts, exports. */
  analytics: AnalyticsService;
  /** API keys and roles, the same on every door. */
  auth: AuthService;
  /** Per-client rate limiting shared by every door (`RATE_LIMIT_ENABLED`); null when off. */
  rateLimiter: RateLimiter | null;
}

/** Wires the services over a store. */
export function createServices(
  config: Config,
  store: EventStore,
  version: string,
  logger: Logger = createLogger('silent'),
  options: {
    clock?: () => Date;
    /** Pause between retention runs, overriding `RETENTION_CHECK_INTERVAL_HOURS` (a test hook). */
    retentionIntervalMs?: number;
  } = {},
): Services {
  const events = new EventService(store, config.limits);
  const live = new LiveService(events, store, createLiveBus(config.live, logger), {
    ...config.live,
    alertLevel: config.alerts.level,
  });
  const alerts = new AlertService(config.alerts, logger);
  // Newly stored events go live and, when they are alerts, out by email and webhook.
  events.onLogged((docs) => live.publish(docs));
  events.onLogged((docs) => alerts.handle(docs));
  // The lifecycle's notion of now: injectable, so tests can move time for archive and retention.
  const clock = options.clock ?? (() => new Date());
  const owner = instanceId();
  const archive = new ArchiveService(store, config.retention.archiveBatchSize, clock);
  const backups = new BackupService(store, config.backup, { version, clock, logger, owner });
  const retention = new RetentionTask(store, config.retention, {
    clock,
    logger,
    owner,
    onRun: countRetentionRun,
    ...(options.retentionIntervalMs === undefined ? {} : { intervalMs: options.retentionIntervalMs }),
  });
  const analytics = new AnalyticsService(store, events, { exportDir: config.exportDir }, clock);
  const auth = new AuthService(new ApiKeyVerifier(config.auth.apiKeys), config.auth.anonymousRole, config.corsOrigins);
  const rateLimiter = createRateLimiter(config.rateLimit);
  return {
    config,
    store,
    events,
    health: new HealthService(store, version, config.telemetry),
    live,
    alerts,
    archive,
    backups,
    retention,
    analytics,
    auth,
    rateLimiter,
  };
}
