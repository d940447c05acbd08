import { configDefaults, configJsonSchema, type Config } from '../../core/config';

/** What MADSci shows instead of a secret. */
export const REDACTED = '***REDACTED***';

/**
 * Names of settings whose values are secrets: connection strings and URLs (`*_uri`, `*_url`,
 * `*_urls`: they may carry credentials or tokens), passwords, user names, tokens, keys. Matched on
 * the lower-case name.
 */
const SECRET_NAME = /(password|secret|token|credential|api_?key|username|(^|_)(uris?|urls?|user|pass)$)/;

/**
 * MADSci's `GET /settings` body over this server's configuration: `{"settings": {...}}` keyed by
 * the lower-cased environment variable names (MADSci's settings are its variables without the
 * prefix, lower case), secrets replaced by `***REDACTED***`. Unset optional variables show as
 * null. `includeDefaults: false` keeps only values that differ from the defaults;
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
    settings[key] = value === undefined || value === null ? null : SECRET_NAME.test(key) ? REDACTED : value;
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
