import { describe, expect, it } from 'vitest';
import { isSecretSetting, REDACTED, settingsView } from '../../src/app/rest/settings';
import { loadConfig } from '../../src/core/config';

describe('GET /settings redacts secrets, and only secrets', () => {
  it('redacts keys, passwords, user names, webhook URLs and URIs that carry credentials or a query', () => {
    const { settings } = settingsView(
      loadConfig({
        API_KEYS: 'reader:00:' + '0'.repeat(64),
        SMTP_USERNAME: 'lab-bot',
        SMTP_PASSWORD: 'hunter2',
        ALERT_WEBHOOK_URLS: 'https://hooks.example.com/T000/B000/secret-token',
        MONGODB_URI: 'mongodb://lab:hunter2@db.example:27017/events',
        REDIS_URL: 'redis://:hunter2@cache.example:6379',
        MAX_QUERY_TOKENS: '5000',
        IDE_API_KEY_HEADER: 'X-Lab-Key',
      }),
      { includeDefaults: true, includeSchema: false },
    ) as { settings: Record<string, unknown> };
    expect(settings).toMatchObject({
      api_keys: REDACTED,
      smtp_username: REDACTED,
      smtp_password: REDACTED,
      alert_webhook_urls: REDACTED,
      mongodb_uri: REDACTED,
      redis_url: REDACTED,
      max_query_tokens: 5000,
      ide_api_key_header: 'X-Lab-Key',
      max_body_bytes: expect.any(Number),
    });
    expect(JSON.stringify(settings)).not.toMatch(/hunter2|lab-bot|secret-token/);
  });

  it('shows URIs without credentials, numbers, booleans and names that only mention keys or tokens', () => {
    expect(isSecretSetting('mongodb_uri', 'mongodb://db.example:27017/events')).toBe(false);
    expect(isSecretSetting('mongodb_uri', 'mongodb://db.example:27017/events?password=x')).toBe(true);
    expect(isSecretSetting('redis_url', 'redis://cache.example:6379')).toBe(false);
    expect(isSecretSetting('max_query_tokens', 10_000)).toBe(false);
    expect(isSecretSetting('ide_api_key_header', 'X-API-Key')).toBe(false);
    expect(isSecretSetting('smtp_password', '')).toBe(false);
    expect(isSecretSetting('otel_exporter_otlp_headers', 'authorization=Bearer x')).toBe(true);
    expect(isSecretSetting('some_token', 'abc')).toBe(true);
  });

  it("lists MADSci's otel_* settings as resolved from OTEL_* (off by default), the endpoint redacted when it carries credentials", () => {
    const view = (env: Record<string, string>, includeDefaults = true) =>
      (
        settingsView(loadConfig(env), { includeDefaults, includeSchema: false }) as {
          settings: Record<string, unknown>;
        }
      ).settings;
    expect(view({})).toMatchObject({
      otel_enabled: false,
      otel_service_name: 'lab-events',
      otel_exporter: 'none',
      otel_endpoint: null,
      otel_protocol: 'http',
    });
    expect(view({}, false)).not.toHaveProperty('otel_enabled');
    expect(
      view(
        { OTEL_ENABLED: 'true', OTEL_EXPORTER: 'otlp', OTEL_ENDPOINT: 'collector:4317', OTEL_PROTOCOL: 'grpc' },
        false,
      ),
    ).toMatchObject({
      otel_enabled: true,
      otel_exporter: 'otlp',
      otel_endpoint: 'collector:4317',
      otel_protocol: 'grpc',
    });
    expect(
      view({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'https://u:hunter2@otel.example:4318' }),
    ).toMatchObject({
      otel_enabled: true,
      otel_endpoint: REDACTED,
    });
  });
});
