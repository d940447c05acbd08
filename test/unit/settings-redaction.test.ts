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
});
