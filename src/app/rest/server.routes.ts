import type { MadsciRoute, MadsciRouterOptions } from './rest.route';
import { QueryReader } from './query-reader';
import { settingsView } from './settings';

/** `GET /health` and `GET /settings`. */
export function serverRoutes({ services, config }: MadsciRouterOptions): MadsciRoute[] {
  return [
    {
      method: 'get',
      path: '/health',
      handler: async (_req, res) => {
        const report = await services.health.report();
        // MADSci's EventManagerHealth, in its key order; always 200.
        res.json({
          healthy: report.healthy,
          description: report.description,
          version: report.version,
          db_connected: report.database.connected,
          total_events: report.totalEvents,
          // All null unless tracing is on, as MADSci reports them.
          otel_enabled: report.telemetry.enabled ? true : null,
          otel_exporter_type: report.telemetry.exporterType,
          otel_endpoint: report.telemetry.endpoint,
        });
      },
    },
    {
      method: 'get',
      path: '/settings',
      handler: async (req, res) => {
        const q = new QueryReader(req);
        const includeDefaults = q.bool('include_defaults', true);
        const includeSchema = q.bool('include_schema', false);
        q.done();
        res.json(settingsView(config, { includeDefaults, includeSchema }));
      },
    },
  ];
}
