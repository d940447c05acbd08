import { configDefaults, configJsonSchema, type Config } from '../../core/config';
import type { TelemetrySettings } from '../../core/telemetry-settings';

/** What MADSci shows instead of a secret. */
export const REDACTED = '***REDACTED***';

/**
 * Settings whose values are secrets whatever they hold, by the last words of their lower-case
 * name: passwords, user names, tokens, credentials, API keys (`api_keys`), headers (they carry
 * tokens) and webhook URLs (their path is the token). `ide_api_key_header` (a header's name) and
 * `max_query_tokens` (a count) are not: only the end of a name counts, and only text is secret.
 */
const SECRET_NAME =
  /(^|_)(password|passwd|pass|secret|secrets|token|credential|credentials|api_key|api_keys|username|user|headers|webhook_url|webhook_urls)$/;

/** Settings holding connection strings or URLs: secret when they carry credentials or a query. */
const URL_NAME = /(^|_)(uri|uris|url|urls|endpoint)$/;

/** `scheme://user:password@host` (user info) or a query string, which may carry a token. */
const URL_WITH_CREDENTIALS = /\/\/[^/?#\s]*@|\?/;

/** Whether the value of setting `key` (lower case) must be shown as {@link REDACTED}. */
export function isSecretSetting(key: string, value: unknown): boolean {
  const texts = Array.isArray(value) ? value : [value];
  if (!texts.some((text) => typeof text === 'string' && text !== '')) return false;
  if (SECRET_NAME.test(key)) return true;
  return URL_NAME.test(key) && texts.some((text) => typeof text === 'string' && URL_WITH_CREDENTIALS.test(text));
}

/**
 * MADSci's five OpenTelemetry settings as the server resolved them (docs/opentelemetry.md#trace-the-server):
 * its names and words (`http` for OTLP over HTTP); the endpoint is a URL like any other.
 */
function telemetryView(telemetry: TelemetrySettings): Record<string, unknown> {
  return {
    otel_enabled: telemetry.enabled,
    otel_service_name: telemetry.serviceName,
    otel_exporter: telemetry.exporter,
    otel_endpoint: telemetry.endpoint,
    otel_protocol: telemetry.protocol === 'http/protobuf' ? 'http' : 'grpc',
  };
}

/**
 * MADSci's `GET /settings` body over this server's configuration: `{"settings": {...}}` keyed by
 * the lower-cased environment variable names (MADSci's settings are its variables without the
 * prefix, lower case), secrets replaced by `***REDACTED***`. Unset optional variables show as
 * null; MADSci's `otel_*` settings follow, resolved from the `OTEL_*` variables. `includeDefaults:
 * false` keeps only values that differ from the defaults (tracing settings: when tracing is on);
 * `includeSchema` adds the JSON Schema of the variables and its title.
 */
export function settingsView(
  config: Config,
  options: { includeDefaults: boolean; includeSchema: boolean },
): Record<string, unknown> {
  const defaults = configDefaults();
  const settings: Record<string, unknown> = {};
  for (const name of Object.keys(defaults)) {
    const value = config.env[name];
    if (!options.includeDefaults && JSON.stringify(value) === JSON.stringify(defaults[name])) continue;
    const key = name.toLowerCase();
    settings[key] = value === undefined || value === null ? null : isSecretSetting(key, value) ? REDACTED : value;
  }
  if (options.includeDefaults || config.telemetry.enabled) {
    for (const [key, value] of Object.entries(telemetryView(config.telemetry))) {
      settings[key] = isSecretSetting(key, value) ? REDACTED : value;
    }
  }
  if (!options.includeSchema) return { settings };
  const schema = configJsonSchema();
  const properties = (schema.properties ?? {}) as Record<string, unknown>;
  return {
    settings,
    schema: {
      ...schema,
      title: 'EventManagerSettings',
      properties: Object.fromEntries(
        Object.entries(properties).map(([name, property]) => [name.toLowerCase(), property]),
      ),
      ...(Array.isArray(schema.required)
        ? { required: (schema.required as string[]).map((name) => name.toLowerCase()) }
        : {}),
    },
    schema_title: 'EventManagerSettings',
  };
}
