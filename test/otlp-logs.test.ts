import path from 'node:path';
import zlib from 'node:zlib';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpMessages } from '../src/app/otlp/otlp-proto';
import { hashApiKey } from '../src/core/api-keys';
import { Role } from '../src/core/roles';
import { OtelEventPageDocument, EventLoggedDocument } from './generated/graphql';
import { ensureVenv, findPython, run } from './support/python';
import { startTestServer, type TestServer } from './support/server';
import { liveClient, subscribe } from './support/ws-client';

/*
 * OTLP logs in (docs/opentelemetry.md#send-opentelemetry-logs), against real peers: OpenTelemetry's
 * Python SDK (stock LoggingHandler, OTLP/HTTP exporter, from PyPI) and its JavaScript SDK
 * (sdk-logs with the OTLP/HTTP protobuf exporter), then malformed and oversized requests.
 */

const REQUIREMENTS = path.join(__dirname, 'python', 'otel-requirements.txt');
const SCRIPT = path.join(__dirname, 'python', 'otel_logs.py');
const python = findPython();

const NODE_ID = '01JABCDEFGHJKMNPQRSTVWXYZ0';
const WORKCELL_ID = '01JWXRKCE11000000000000000';

type Item = {
  id: string;
  eventType: string;
  logLevel: string;
  eventData: unknown;
  traceId: string | null;
  spanId: string | null;
  source: { nodeId: string | null; workcellId: string | null };
  eventTimestamp: string;
};

async function eventsOfNode(server: TestServer, nodeId: string): Promise<Item[]> {
  const data = await server.ok(OtelEventPageDocument, { filter: { source: { nodeId: [nodeId] } }, limit: 100 });
  return data.eventPage.items as Item[];
}

const byMessage = (items: Item[]) =>
  new Map(items.map((item) => [(item.eventData as { message?: string }).message ?? '', item]));

/** A valid protobuf export of `count` records, encoded the way the wire carries it. */
function protobufExport(records: Record<string, unknown>[], resource: Record<string, string> = {}): Buffer {
  const message = OtlpMessages.ExportLogsServiceRequest.fromObject({
    resourceLogs: [
      {
        resource: {
          attributes: Object.entries(resource).map(([key, value]) => ({ key, value: { stringValue: value } })),
        },
        scopeLogs: [{ scope: { name: 'test' }, logRecords: records }],
      },
    ],
  });
  return Buffer.from(OtlpMessages.ExportLogsServiceRequest.encode(message).finish());
}

async function postLogs(server: TestServer, body: Buffer | string, headers: Record<string, string>) {
  const response = await fetch(`${server.url}/v1/logs`, { method: 'POST', headers, body });
  const bytes = Buffer.from(await response.arrayBuffer());
  return { status: response.status, type: response.headers.get('content-type') ?? '', bytes };
}

describe('OTLP logs in (SQLite)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer('sqlite');
  });
  afterAll(async () => {
    await server?.stop();
  });

  describe.skipIf(!python)("OpenTelemetry's Python SDK, unchanged (LoggingHandler, OTLP/HTTP protobuf)", () => {
    let venvPython: string;
    beforeAll(async () => {
      venvPython = await ensureVenv(python!, 'otel-python', REQUIREMENTS);
    }, 20 * 60_000);

    it('ships one event per level with attributes, source, names and the span it was logged in; a live subscription sees them', async () => {
      const live = liveClient(server.url);
      const received = subscribe(
        live,
        EventLoggedDocument,
        { filter: { source: { nodeId: [NODE_ID] } } },
        (data) => data.eventLogged,
      );
      try {
        // The subscription is in place once an event logged now reaches it.
        await new Promise((resolve) => setTimeout(resolve, 300));
        const result = await run(venvPython, [SCRIPT], {
          env: {
            PATH: process.env.PATH,
            HOME: process.env.HOME,
            OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${server.url}/v1/logs`,
            OTEL_SERVICE_NAME: 'py-instrument',
            OTEL_RESOURCE_ATTRIBUTES: `madsci.node_id=${NODE_ID},madsci.node_name=robot_arm`,
          },
          timeoutMs: 120_000,
        });
        if (result.code !== 0) console.error(`otel_logs.py failed:\n${result.stdout}\n${result.stderr}`);
        expect(result.code).toBe(0);
        const span = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { traceId: string; spanId: string };

        const items = await eventsOfNode(server, NODE_ID);
        expect(items).toHaveLength(6);
        const events = byMessage(items);
        const levels = Object.fromEntries(
          [...events].map(([message, item]) => [message, [item.logLevel, item.eventType]]),
        );
        expect(levels).toEqual({
          'py debug': ['DEBUG', 'LOG_DEBUG'],
          'py info': ['INFO', 'LOG_INFO'],
          'py warning': ['WARNING', 'LOG_WARNING'],
          'py error': ['ERROR', 'LOG_ERROR'],
          'py critical': ['CRITICAL', 'LOG_CRITICAL'],
          'py inside span': ['INFO', 'LOG_INFO'],
        });
        const error = events.get('py error')!;
        expect(error.source.nodeId).toBe(NODE_ID);
        expect(error.eventData).toMatchObject({
          message: 'py error',
          plate: 'P-1',
          well: 4,
          service_name: 'py-instrument',
          node_name: 'robot_arm',
          otel: { severity_number: 17, severity_text: 'ERROR', scope: 'instrument.py' },
        });
        expect(error.traceId).toBeNull();
        const inSpan = events.get('py inside span')!;
        expect(inSpan).toMatchObject({ traceId: span.traceId, spanId: span.spanId });
        expect(inSpan.eventData).toMatchObject({ step: 'measure' });

        // Filterable by level, as any event.
        const errors = await server.ok(OtelEventPageDocument, {
          filter: { source: { nodeId: [NODE_ID] }, minLevel: 'ERROR' },
          limit: 10,
        });
        expect(errors.eventPage.items.map((item) => item.logLevel).sort()).toEqual(['CRITICAL', 'ERROR']);

        await received.untilCount(6);
        expect(received.errors).toEqual([]);
        expect(new Set(received.values.map((value) => value.id))).toEqual(new Set(items.map((item) => item.id)));
      } finally {
        received.unsubscribe();
        await live.dispose();
      }
    }, 180_000);
  });

  it('ships JavaScript SDK logs (sdk-logs, OTLP/HTTP protobuf exporter); a retried export stores nothing twice', async () => {
    const nodeId = '01JJSN0DE00000000000000000';
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'js-instrument', 'madsci.node_id': nodeId }),
      processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${server.url}/v1/logs` }) })],
    });
    const logger = provider.getLogger('instrument.js', '1.2.3');
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const spanId = '00f067aa0ba902b7';
    logger.emit({
      severityNumber: SeverityNumber.DEBUG,
      severityText: 'DEBUG',
      body: 'js debug',
      attributes: { n: 1 },
    });
    logger.emit({ severityNumber: SeverityNumber.WARN, severityText: 'WARN', body: 'js warn', attributes: { n: 2 } });
    logger.emit({
      severityNumber: SeverityNumber.FATAL,
      body: { message_kind: 'structured', values: [1, 2] },
      attributes: { 'madsci.workcell_id': WORKCELL_ID, 'event.name': 'workflow_start', 'madsci.alert': true },
    });
    logger.emit({
      severityNumber: SeverityNumber.INFO,
      body: 'js traced',
      context: (await import('@opentelemetry/api')).trace.setSpanContext(
        (await import('@opentelemetry/api')).context.active(),
        { traceId, spanId, traceFlags: 1 },
      ),
    });
    await provider.shutdown();

    const items = await eventsOfNode(server, nodeId);
    expect(items).toHaveLength(4);
    const events = byMessage(items);
    expect(events.get('js debug')).toMatchObject({ logLevel: 'DEBUG', eventType: 'LOG_DEBUG' });
    expect(events.get('js warn')).toMatchObject({ logLevel: 'WARNING', eventType: 'LOG_WARNING' });
    expect(events.get('js warn')!.eventData).toMatchObject({
      n: 2,
      service_name: 'js-instrument',
      otel: { scope: { name: 'instrument.js', version: '1.2.3' } },
    });
    expect(events.get('js traced')).toMatchObject({ traceId, spanId });
    const structured = events.get('')!;
    expect(structured).toMatchObject({ logLevel: 'CRITICAL', eventType: 'WORKFLOW_START' });
    expect(structured.source.workcellId).toBe(WORKCELL_ID);
    expect(structured.eventData).toMatchObject({ body: { message_kind: 'structured', values: [1, 2] } });
    const { store } = server.handle.services;
    expect(await store.count({ 'source.node_id': nodeId, alert: true })).toBe(1);

    // The same export again (an exporter's retry): the same ids, nothing new stored.
    const again = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'js-instrument', 'madsci.node_id': nodeId }),
      processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${server.url}/v1/logs` }) })],
    });
    const time = new Date('2026-01-02T03:04:05.678Z');
    for (let i = 0; i < 2; i++) {
      again.getLogger('retry').emit({ body: 'js retried', timestamp: time, observedTimestamp: time });
    }
    await again.shutdown();
    const retried = (await eventsOfNode(server, nodeId)).filter(
      (item) => (item.eventData as { message?: string }).message === 'js retried',
    );
    expect(retried).toHaveLength(1);
    expect(retried[0]!.eventTimestamp).toBe('2026-01-02T03:04:05.678Z');
  }, 60_000);

  it('accepts OTLP/JSON and gzip, answers in the request encoding, and reports rejected records as partial success', async () => {
    const nodeId = '01JJS0N00000000000000000AB';
    const json = {
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'madsci.node_id', value: { stringValue: nodeId } }] },
          scopeLogs: [
            {
              scope: { name: 'json' },
              logRecords: [
                {
                  timeUnixNano: '1767225600000000000',
                  severityNumber: 13,
                  body: { stringValue: 'json ok' },
                  attributes: [{ key: 'count', value: { intValue: '7' } }],
                  traceId: '5b8efff798038103d269b633813fc60c',
                  spanId: 'eee19b7ec3c1b174',
                },
                {
                  severityNumber: 9,
                  body: { stringValue: 'bad owner' },
                  attributes: [{ key: 'madsci.node_id', value: { stringValue: 'robot' } }],
                },
                { timeUnixNano: '1700000000', body: { stringValue: 'seconds, not nanoseconds' } },
              ],
            },
          ],
        },
      ],
    };
    const answer = await postLogs(server, zlib.gzipSync(JSON.stringify(json)), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(answer.status).toBe(200);
    expect(answer.type).toMatch(/^application\/json/);
    const body = JSON.parse(answer.bytes.toString()) as {
      partialSuccess: { rejectedLogRecords: string; errorMessage: string };
    };
    expect(body.partialSuccess.rejectedLogRecords).toBe('2');
    expect(body.partialSuccess.errorMessage).toMatch(/log record 1: madsci.node_id must be a ULID/);
    expect(body.partialSuccess.errorMessage).toMatch(
      /log record 2: timeUnixNano 1700000000 is outside years 2000 to 2199/,
    );
    const items = await eventsOfNode(server, nodeId);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      logLevel: 'WARNING',
      eventTimestamp: '2026-01-01T00:00:00.000Z',
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
    });
    expect(items[0]!.eventData).toMatchObject({ message: 'json ok', count: 7 });

    // Full success over protobuf: an empty ExportLogsServiceResponse, in protobuf.
    const ok = await postLogs(
      server,
      protobufExport([{ body: { stringValue: 'proto ok' } }], { 'madsci.node_id': nodeId }),
      {
        'content-type': 'application/x-protobuf',
      },
    );
    expect(ok.status).toBe(200);
    expect(ok.type).toMatch(/^application\/x-protobuf/);
    expect(
      OtlpMessages.ExportLogsServiceResponse.toObject(OtlpMessages.ExportLogsServiceResponse.decode(ok.bytes)),
    ).toEqual({});
    expect(await eventsOfNode(server, nodeId)).toHaveLength(2);
  });

  describe('bad input: a clear 4xx with a code, nothing stored', () => {
    const nodeId = '01JBAD00000000000000000000';
    const before = async () => server.handle.services.store.count({});

    /** The google.rpc.Status of a failure, from either encoding. */
    function statusOf(answer: { type: string; bytes: Buffer }): { code: number; message: string; reason: string } {
      if (answer.type.startsWith('application/json')) {
        const body = JSON.parse(answer.bytes.toString()) as {
          code: number;
          message: string;
          details: { reason: string }[];
        };
        return { code: body.code, message: body.message, reason: body.details[0]!.reason };
      }
      const status = OtlpMessages.Status.toObject(OtlpMessages.Status.decode(answer.bytes), {
        bytes: Buffer as never,
      }) as {
        code: number;
        message: string;
        details: { value: Buffer }[];
      };
      const info = OtlpMessages.ErrorInfo.toObject(OtlpMessages.ErrorInfo.decode(status.details[0]!.value)) as {
        reason: string;
      };
      return { code: status.code, message: status.message, reason: info.reason };
    }

    const cases: [string, () => Buffer | string, string, number, string, RegExp][] = [
      [
        'a truncated protobuf',
        () =>
          protobufExport([{ body: { stringValue: 'x'.repeat(200) } }], { 'madsci.node_id': nodeId }).subarray(0, 120),
        'application/x-protobuf',
        400,
        'BAD_REQUEST',
        /Undecodable protobuf/,
      ],
      [
        'invalid UTF-8 in a protobuf string',
        () => {
          const body = protobufExport([{ body: { stringValue: 'caf\u00e9' } }], { 'madsci.node_id': nodeId });
          const at = body.indexOf(Buffer.from('caf\u00e9'));
          body[at + 3] = 0xff; // the first byte of é becomes a byte UTF-8 never has
          return body;
        },
        'application/x-protobuf',
        400,
        'BAD_REQUEST',
        /Undecodable protobuf/,
      ],
      [
        'invalid UTF-8 in JSON',
        () =>
          Buffer.concat([
            Buffer.from('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"'),
            Buffer.from([0xc3, 0x28]),
            Buffer.from('"}}]}]}]}'),
          ]),
        'application/json',
        400,
        'BAD_REQUEST',
        /Undecodable JSON/,
      ],
      [
        'JSON of the wrong shape',
        () => JSON.stringify({ resourceLogs: { not: 'an array' } }),
        'application/json',
        400,
        'BAD_REQUEST',
        /resourceLogs: expected an array/,
      ],
      [
        'only absurd timestamps',
        () =>
          protobufExport([{ timeUnixNano: '18446744073709551615', body: { stringValue: 'far future' } }], {
            'madsci.node_id': nodeId,
          }),
        'application/x-protobuf',
        400,
        'BAD_USER_INPUT',
        /outside years 2000 to 2199/,
      ],
      ['a wrong content type', () => 'resourceLogs=1', 'text/plain', 415, 'BAD_REQUEST', /Content-Type must be/],
      [
        'a 10 MB body',
        () => Buffer.alloc(10 * 1024 * 1024, 0x20),
        'application/json',
        413,
        'PAYLOAD_TOO_LARGE',
        /larger than/,
      ],
      [
        '100 000 records',
        () => protobufExport(Array.from({ length: 100_000 }, () => ({ severityNumber: 9 }))),
        'application/x-protobuf',
        400,
        'BAD_USER_INPUT',
        /at most 10000 log records, got 100000/,
      ],
    ];
    it.each(cases)(
      '%s',
      async (_name, body, contentType, status, reason, message) => {
        const count = await before();
        const answer = await postLogs(server, body(), { 'content-type': contentType });
        expect(answer.status).toBe(status);
        const failure = statusOf(answer);
        expect(failure.reason).toBe(reason);
        expect(failure.message).toMatch(message);
        expect(failure.code).toBe(status === 413 ? 8 : 3);
        expect(await before()).toBe(count);
      },
      60_000,
    );

    it('a gzip bomb is refused at the inflated size limit', async () => {
      const count = await before();
      const bomb = zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
      const answer = await postLogs(server, bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      expect(answer.status).toBe(413);
      expect(statusOf(answer).reason).toBe('PAYLOAD_TOO_LARGE');
      expect(await before()).toBe(count);
    });
  });
});

describe('OTLP logs and access control', () => {
  let server: TestServer;
  const keys = { reader: 'reader-key-000000000000', writer: 'writer-key-000000000000' };
  beforeAll(async () => {
    server = await startTestServer('sqlite', {
      API_KEYS: [hashApiKey(Role.READER, keys.reader), hashApiKey(Role.WRITER, keys.writer)].join(','),
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('takes logs from writers only: 401 without a key, 403 for a reader', async () => {
    const body = protobufExport([{ body: { stringValue: 'guarded' } }]);
    const type = { 'content-type': 'application/x-protobuf' };
    const none = await postLogs(server, body, type);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.bytes.toString())).toMatchObject({ code: 16, details: [{ reason: 'UNAUTHENTICATED' }] });
    const reader = await postLogs(server, body, { ...type, 'x-api-key': keys.reader });
    expect(reader.status).toBe(403);
    expect(JSON.parse(reader.bytes.toString())).toMatchObject({ code: 7, details: [{ reason: 'FORBIDDEN' }] });
    expect(await server.handle.services.store.count({})).toBe(0);
    const writer = await postLogs(server, body, { ...type, authorization: `Bearer ${keys.writer}` });
    expect(writer.status).toBe(200);
    expect(await server.handle.services.store.count({})).toBe(1);
  });
});
