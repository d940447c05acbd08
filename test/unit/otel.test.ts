import { decodeTime } from 'ulid';
import { describe, expect, it } from 'vitest';
import { decodeJsonLogs } from '../../src/app/otlp/otlp-decode';
import { ConfigError, loadConfig } from '../../src/core/config';
import { telemetrySettings } from '../../src/core/telemetry-settings';
import { EventLogLevel, EventType } from '../../src/events/event.enums';
import { eventOfLogRecord, levelOfSeverity, type OtlpLogRecord } from '../../src/events/otlp-logs';

describe('tracing settings (docs/opentelemetry.md#trace-the-server)', () => {
  it('is off with nothing set, and with OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED', () => {
    expect(telemetrySettings({})).toMatchObject({ enabled: false, exporter: 'none', endpoint: null });
    expect(telemetrySettings({ OTEL_TRACES_EXPORTER: 'none' }).enabled).toBe(false);
    expect(telemetrySettings({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
    // An endpoint alone (e.g. set for other signals) does not turn tracing on.
    expect(telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).enabled).toBe(false);
  });

  it('reads the standard variables, which win over MADSci names', () => {
    expect(
      telemetrySettings({
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/',
        OTEL_SERVICE_NAME: 'lab',
        OTEL_EXPORTER: 'console',
      }),
    ).toEqual({
      enabled: true,
      exporter: 'otlp',
      endpoint: 'http://c:4318/',
      tracesUrl: 'http://c:4318/v1/traces',
      protocol: 'http/protobuf',
      serviceName: 'lab',
    });
    expect(
      telemetrySettings({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:9/x' }).tracesUrl,
    ).toBe('http://c:9/x');
  });

  it("reads MADSci's names: OTEL_ENABLED, OTEL_EXPORTER, OTEL_ENDPOINT, OTEL_PROTOCOL (http or grpc)", () => {
    expect(telemetrySettings({ OTEL_ENABLED: 'true' })).toMatchObject({ enabled: true, exporter: 'console' });
    expect(
      telemetrySettings({ OTEL_ENABLED: 'yes', OTEL_ENDPOINT: 'http://c:4317', OTEL_PROTOCOL: 'grpc' }),
    ).toMatchObject({ exporter: 'otlp', endpoint: 'http://c:4317', tracesUrl: 'http://c:4317', protocol: 'grpc' });
    expect(telemetrySettings({ OTEL_ENABLED: 'true', OTEL_EXPORTER: 'otlp', OTEL_PROTOCOL: 'http' }).protocol).toBe(
      'http/protobuf',
    );
    expect(telemetrySettings({ OTEL_ENABLED: 'false', OTEL_EXPORTER: 'otlp' }).enabled).toBe(false);
  });

  it('refuses unknown words as a configuration error naming the variable', () => {
    expect(() => loadConfig({ OTEL_TRACES_EXPORTER: 'jaeger' })).toThrow(ConfigError);
    expect(() => loadConfig({ OTEL_TRACES_EXPORTER: 'jaeger' })).toThrow(/OTEL_TRACES_EXPORTER/);
    expect(() => loadConfig({ OTEL_PROTOCOL: 'http/json', OTEL_ENABLED: 'true' })).toThrow(/OTEL_PROTOCOL/);
    expect(() => loadConfig({ OTEL_ENABLED: 'maybe' })).toThrow(/OTEL_ENABLED/);
  });
});

const record = (fields: Partial<OtlpLogRecord> = {}): OtlpLogRecord => ({
  timeUnixNano: 1_767_225_600_000_000_000n,
  observedTimeUnixNano: 0n,
  severityNumber: 9,
  severityText: '',
  attributes: {},
  traceId: null,
  spanId: null,
  eventName: '',
  ...fields,
});
const scope = { name: '', version: '' };

describe('OTLP LogRecord -> event (docs/opentelemetry.md#the-mapping)', () => {
  it("maps severity numbers onto MADSci's levels, and unset ones by their text", () => {
    const levels = [1, 8, 9, 12, 13, 16, 17, 20, 21, 24].map((n) => levelOfSeverity(n, ''));
    expect(levels).toEqual([10, 10, 20, 20, 30, 30, 40, 40, 50, 50]);
    expect(levelOfSeverity(0, 'warn')).toBe(EventLogLevel.WARNING);
    expect(levelOfSeverity(0, 'FATAL')).toBe(EventLogLevel.CRITICAL);
    expect(levelOfSeverity(0, '')).toBe(EventLogLevel.INFO);
    expect(() => levelOfSeverity(25, '')).toThrow(/0 to 24/);
  });

  it('puts the body, attributes, ownership, names and OTLP details where the document says', () => {
    const event = eventOfLogRecord(
      record({
        severityNumber: 17,
        severityText: 'ERROR',
        body: 'lid jammed',
        attributes: { plate: 'P-1', 'madsci.workflow_id': '01JWF00000000000000000000A', 'madsci.alert': true },
        traceId: 'ab'.repeat(16),
        spanId: 'cd'.repeat(8),
      }),
      { 'service.name': 'reader', 'madsci.node_id': '01JN0DE0000000000000000000', 'host.name': 'h1' },
      { name: 'driver', version: '' },
    );
    expect(event).toMatchObject({
      eventType: EventType.LOG_ERROR,
      logLevel: EventLogLevel.ERROR,
      alert: true,
      eventTimestamp: new Date('2026-01-01T00:00:00Z'),
      source: { nodeId: '01JN0DE0000000000000000000', workflowId: '01JWF00000000000000000000A' },
      traceId: 'ab'.repeat(16),
      spanId: 'cd'.repeat(8),
    });
    expect(event.eventData).toEqual({
      service_name: 'reader',
      plate: 'P-1',
      message: 'lid jammed',
      otel: { severity_number: 17, severity_text: 'ERROR', scope: 'driver', resource: { 'host.name': 'h1' } },
    });
  });

  it('takes MADSci event types from madsci.event_type or event.name, else log_<level>', () => {
    expect(eventOfLogRecord(record({ eventName: 'WORKFLOW_START' }), {}, scope).eventType).toBe(
      EventType.WORKFLOW_START,
    );
    expect(eventOfLogRecord(record({ attributes: { 'event.name': 'node_error' } }), {}, scope).eventType).toBe(
      EventType.NODE_ERROR,
    );
    const unknown = eventOfLogRecord(record({ severityNumber: 5, eventName: 'device.click' }), {}, scope);
    expect(unknown.eventType).toBe(EventType.LOG_DEBUG);
    expect(unknown.eventData).toMatchObject({ event_name: 'device.click' });
    expect(() => eventOfLogRecord(record({ attributes: { 'madsci.event_type': 'nope' } }), {}, scope)).toThrow(
      /not a MADSci event type/,
    );
  });

  it('gives a retried record the same id, a different record another; ids are ULIDs of the record time', () => {
    const a = eventOfLogRecord(record({ body: 'x' }), {}, scope);
    expect(eventOfLogRecord(record({ body: 'x' }), {}, scope).id).toBe(a.id);
    expect(eventOfLogRecord(record({ body: 'y' }), {}, scope).id).not.toBe(a.id);
    expect(eventOfLogRecord(record({ body: 'x' }), { 'service.name': 'other' }, scope).id).not.toBe(a.id);
    expect(a.id).toMatch(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
    expect(decodeTime(a.id!)).toBe(Date.UTC(2026, 0, 1));
  });

  it('rejects absurd times, and uses the observed time when the record has none', () => {
    expect(() => eventOfLogRecord(record({ timeUnixNano: 1_700_000_000n }), {}, scope)).toThrow(/outside years/);
    expect(() => eventOfLogRecord(record({ timeUnixNano: 2n ** 64n - 1n }), {}, scope)).toThrow(/outside years/);
    const observed = eventOfLogRecord(
      record({ timeUnixNano: 0n, observedTimeUnixNano: 1_767_225_601_000_000_000n }),
      {},
      scope,
    );
    expect(observed.eventTimestamp).toEqual(new Date('2026-01-01T00:00:01Z'));
    expect(eventOfLogRecord(record({ timeUnixNano: 0n }), {}, scope).eventTimestamp).toBeNull();
  });

  it('decodes OTLP/JSON values: 64-bit integers, bytes, nested maps and lists; __proto__ stays data', () => {
    const request = decodeJsonLogs(
      Buffer.from(
        JSON.stringify({
          resourceLogs: [
            {
              scopeLogs: [
                {
                  logRecords: [
                    {
                      body: {
                        kvlistValue: { values: [{ key: 'a', value: { arrayValue: { values: [{ intValue: 1 }] } } }] },
                      },
                      attributes: [
                        { key: 'big', value: { intValue: '9007199254740993' } },
                        { key: 'raw', value: { bytesValue: 'AQI=' } },
                        { key: '__proto__', value: { stringValue: 'x' } },
                      ],
                    },
                  ],
                },
              ],
            },
          ],
        }),
      ),
    );
    const decoded = request.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
    expect(decoded.body).toEqual({ a: [1] });
    expect(decoded.attributes.big).toBe('9007199254740993');
    expect(decoded.attributes.raw).toBe('AQI=');
    expect(Object.getPrototypeOf(decoded.attributes)).toBe(Object.prototype);
    expect(Object.keys(decoded.attributes)).toContain('__proto__');
  });
});
