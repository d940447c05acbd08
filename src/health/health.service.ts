import type { TelemetrySettings } from '../core/telemetry-settings';
import type { EventStore, StorePing } from '../store/event-store';

/** What tracing is really doing (MADSci's `otel_*` health keys). */
export interface TelemetryHealth {
  enabled: boolean;
  /** `console` or `otlp`; null when tracing is off. */
  exporterType: string | null;
  /** The OTLP endpoint; null when tracing is off, prints to the console, or uses the SDK's default. */
  endpoint: string | null;
}

/** What `health` reports. */
export interface HealthReport {
  healthy: boolean;
  description: string;
  version: string;
  uptimeSeconds: number;
  database: StorePing;
  totalEvents: number | null;
  archivedEvents: number | null;
  telemetry: TelemetryHealth;
}

/** Server and database health, computed on demand. Never throws. */
export class HealthService {
  private readonly startedAt = Date.now();

  private readonly telemetry: TelemetryHealth;

  constructor(
    private readonly store: EventStore,
    readonly version: string,
    telemetry: TelemetrySettings | null = null,
  ) {
    this.telemetry = {
      enabled: telemetry?.enabled ?? false,
      exporterType: telemetry?.enabled ? telemetry.exporter : null,
      endpoint: telemetry?.enabled ? telemetry.endpoint : null,
    };
  }

  /** Whether the database answers (for `/readyz`). */
  async ready(): Promise<boolean> {
    return (await this.store.ping()).connected;
  }

  /** Full report: ping, then event counts (all and archived), as MADSci's `/health` does. */
  async report(): Promise<HealthReport> {
    const database = await this.store.ping();
    const base = {
      version: this.version,
      uptimeSeconds: (Date.now() - this.startedAt) / 1000,
      database,
      telemetry: this.telemetry,
    };
    if (!database.connected) {
      return {
        ...base,
        healthy: false,
        description: 'Database connection failed',
        totalEvents: null,
        archivedEvents: null,
      };
    }
    try {
      const [totalEvents, archivedEvents] = await Promise.all([
        this.store.count({}),
        this.store.count({ archived: true }),
      ]);
      return { ...base, healthy: true, description: 'Event Manager is running normally', totalEvents, archivedEvents };
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      return {
        ...base,
        healthy: false,
        description: `Database connection failed: ${text}`,
        totalEvents: null,
        archivedEvents: null,
      };
    }
  }
}
