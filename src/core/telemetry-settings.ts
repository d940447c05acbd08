import { parseBooleanWord, SETTING_BOOLEANS } from './booleans';

/*
 * Whether and where the server sends its traces (docs/opentelemetry.md#trace-the-server). Read from
 * the environment before anything else loads (src/app/telemetry/preload.ts) and again by the
 * configuration, so `/health` reports exactly what the preload started. Standard OpenTelemetry
 * variables win over MADSci's names (its `otel_*` settings without the `EVENT_` prefix).
 */

/** Where spans go: printed (`console`), sent over OTLP, or nowhere. */
export type TraceExporterKind = 'console' | 'otlp' | 'none';
/** OTLP transport: gRPC or HTTP with protobuf bodies (MADSci's `http`). */
export type OtlpProtocol = 'grpc' | 'http/protobuf';

/** The resolved tracing settings. */
export interface TelemetrySettings {
  /** Tracing on: the SDK is loaded and spans are recorded. Off by default. */
  enabled: boolean;
  exporter: TraceExporterKind;
  /** OTLP endpoint (base URL for HTTP, `host:port` or URL for gRPC); null for the SDK's default or no OTLP. */
  endpoint: string | null;
  /** Where the OTLP exporter sends spans: the traces variable as it is, else the endpoint plus `/v1/traces` over HTTP. */
  tracesUrl: string | null;
  protocol: OtlpProtocol;
  serviceName: string;
}

/** Thrown for a variable that names no known value; the configuration reports it. */
export class TelemetrySettingsError extends Error {
  override name = 'TelemetrySettingsError';
}

const EXPORTERS: readonly TraceExporterKind[] = ['console', 'otlp', 'none'];

/**
 * Tracing settings of an environment:
 * * on when `OTEL_ENABLED` is true, or `OTEL_TRACES_EXPORTER` names an exporter other than `none`;
 *   `OTEL_SDK_DISABLED=true` turns it off whatever else is set;
 * * exporter: `OTEL_TRACES_EXPORTER`, else `OTEL_EXPORTER`, else `otlp` when an endpoint is given,
 *   else `console` (MADSci's default);
 * * endpoint: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_ENDPOINT`;
 * * protocol: `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, `OTEL_EXPORTER_OTLP_PROTOCOL`, `OTEL_PROTOCOL`
 *   (`grpc`, `http` or `http/protobuf`), default `http/protobuf` (the Node SDK's default);
 * * service name: `OTEL_SERVICE_NAME`, default `lab-events`.
 * @throws TelemetrySettingsError for an unknown exporter, protocol or boolean word.
 */
export function telemetrySettings(env: Record<string, string | undefined> = process.env): TelemetrySettings {
  const value = (name: string) => {
    const text = env[name]?.trim();
    return text ? text : undefined;
  };
  const bool = (name: string) => {
    const text = value(name);
    if (text === undefined) return undefined;
    const parsed = parseBooleanWord(text, SETTING_BOOLEANS);
    if (parsed === undefined) throw new TelemetrySettingsError(`${name}: expected true or false, got "${text}"`);
    return parsed;
  };
  const exporterVariable = value('OTEL_TRACES_EXPORTER') !== undefined ? 'OTEL_TRACES_EXPORTER' : 'OTEL_EXPORTER';
  // The standard variable may list several exporters; the first is the one used.
  const exporterText = value(exporterVariable)?.split(',')[0]?.trim().toLowerCase();
  if (exporterText !== undefined && !EXPORTERS.includes(exporterText as TraceExporterKind)) {
    throw new TelemetrySettingsError(`${exporterVariable}: expected console, otlp or none, got "${exporterText}"`);
  }
  const tracesEndpoint = value('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const endpoint = tracesEndpoint ?? value('OTEL_EXPORTER_OTLP_ENDPOINT') ?? value('OTEL_ENDPOINT') ?? null;
  const protocolVariable = ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_PROTOCOL'].find(
    (name) => value(name) !== undefined,
  );
  const protocolText = protocolVariable ? value(protocolVariable)!.toLowerCase() : 'http/protobuf';
  if (!['grpc', 'http', 'http/protobuf'].includes(protocolText)) {
    throw new TelemetrySettingsError(`${protocolVariable}: expected grpc or http/protobuf, got "${protocolText}"`);
  }
  const protocol: OtlpProtocol = protocolText === 'grpc' ? 'grpc' : 'http/protobuf';
  const exporter = (exporterText as TraceExporterKind | undefined) ?? (endpoint ? 'otlp' : 'console');
  const requested = bool('OTEL_ENABLED') ?? (exporterText !== undefined && exporterText !== 'none');
  const enabled = requested && exporter !== 'none' && bool('OTEL_SDK_DISABLED') !== true;
  const otlp = enabled && exporter === 'otlp';
  let tracesUrl: string | null = null;
  if (otlp && endpoint !== null) {
    tracesUrl = tracesEndpoint ?? (protocol === 'grpc' ? endpoint : `${endpoint.replace(/\/+$/, '')}/v1/traces`);
  }
  return {
    enabled,
    exporter: enabled ? exporter : 'none',
    endpoint: otlp ? endpoint : null,
    tracesUrl,
    protocol,
    serviceName: value('OTEL_SERVICE_NAME') ?? 'lab-events',
  };
}
