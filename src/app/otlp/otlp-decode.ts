import type { OtlpLogRecord, OtlpLogsRequest, OtlpValue } from '../../events/otlp-logs';
import { OtlpMessages } from './otlp-proto';

/*
 * OTLP/HTTP request bodies (protobuf or JSON, https://opentelemetry.io/docs/specs/otlp/) to the
 * plain request the logs service maps (src/events/otlp-logs.ts). Both encodings go through one
 * normaliser: protobufjs' objects and OTLP/JSON differ only in how ids, bytes and 64-bit integers
 * are spelled.
 */

/** The body cannot be decoded as an OTLP logs request: answered with 400. */
export class OtlpDecodeError extends Error {
  override name = 'OtlpDecodeError';
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const MAX_VALUE_DEPTH = 32;

type Loose = Record<string, unknown>;

const isObject = (value: unknown): value is Loose =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function fail(where: string, what: string): never {
  throw new OtlpDecodeError(`${where}: ${what}`);
}

function list(value: unknown, where: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(where, 'expected an array');
  return value;
}

function object(value: unknown, where: string): Loose {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) fail(where, 'expected an object');
  return value;
}

function text(value: unknown, where: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') fail(where, 'expected a string');
  return value;
}

/** A 64-bit unsigned integer: protobufjs' decimal string, or JSON's string or number. */
function uint64(value: unknown, where: string): bigint {
  if (value === undefined || value === null || value === '' || value === 0) return 0n;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return BigInt(value);
  fail(where, 'expected an unsigned 64-bit integer');
}

/** A trace or span id: bytes (protobuf) or hex text (JSON); empty or all zeroes is unset. */
function id(value: unknown, length: number, where: string): string | null {
  let hex: string;
  if (value === undefined || value === null || value === '') return null;
  if (value instanceof Uint8Array) hex = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  else if (typeof value === 'string' && /^[0-9a-fA-F]*$/.test(value)) hex = value.toLowerCase();
  else fail(where, 'expected hex digits');
  if (hex.length === 0) return null;
  if (hex.length !== length * 2) fail(where, `expected ${length} bytes`);
  return /^0+$/.test(hex) ? null : hex;
}

/** An AnyValue as plain JSON: maps as objects, 64-bit integers as numbers (text beyond 2^53), bytes as base64. */
function anyValue(value: unknown, where: string, depth = 0): OtlpValue {
  if (depth > MAX_VALUE_DEPTH) fail(where, `values nested deeper than ${MAX_VALUE_DEPTH}`);
  if (value === undefined || value === null) return null;
  const v = object(value, where);
  if (v.stringValue !== undefined && v.stringValue !== null) return text(v.stringValue, where);
  if (v.boolValue !== undefined && v.boolValue !== null) {
    if (typeof v.boolValue !== 'boolean') fail(where, 'boolValue must be a boolean');
    return v.boolValue;
  }
  if (v.intValue !== undefined && v.intValue !== null) {
    const raw = v.intValue;
    if (typeof raw === 'number' && Number.isSafeInteger(raw)) return raw;
    if (typeof raw !== 'string' || !/^-?\d{1,19}$/.test(raw)) fail(where, 'intValue must be a 64-bit integer');
    const n = Number(raw);
    return Number.isSafeInteger(n) ? n : raw;
  }
  if (v.doubleValue !== undefined && v.doubleValue !== null) {
    const raw = v.doubleValue;
    // OTLP/JSON spells the non-finite doubles as strings; JSON has no place for them, so they stay text.
    if (typeof raw === 'number') return Number.isFinite(raw) ? raw : String(raw);
    if (raw === 'NaN' || raw === 'Infinity' || raw === '-Infinity') return raw;
    fail(where, 'doubleValue must be a number');
  }
  if (v.arrayValue !== undefined && v.arrayValue !== null) {
    return list(object(v.arrayValue, where).values, where).map((item, i) =>
      anyValue(item, `${where}[${i}]`, depth + 1),
    );
  }
  if (v.kvlistValue !== undefined && v.kvlistValue !== null) {
    return keyValues(object(v.kvlistValue, where).values, where, depth + 1);
  }
  if (v.bytesValue !== undefined && v.bytesValue !== null) {
    const raw = v.bytesValue;
    if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64');
    if (typeof raw === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(raw)) return raw;
    fail(where, 'bytesValue must be base64');
  }
  return null;
}

/** Repeated KeyValue as an object (a repeated key keeps its last value). */
function keyValues(value: unknown, where: string, depth = 0): Record<string, OtlpValue> {
  const out: Record<string, OtlpValue> = {};
  for (const [i, item] of list(value, where).entries()) {
    const kv = object(item, `${where}[${i}]`);
    const key = text(kv.key, `${where}[${i}].key`);
    // Own properties only: a key such as __proto__ must stay data.
    Object.defineProperty(out, key, {
      value: anyValue(kv.value, `${where}.${key}`, depth),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

function logRecord(value: unknown, where: string): OtlpLogRecord {
  const r = object(value, where);
  const severity = r.severityNumber ?? 0;
  if (typeof severity !== 'number' || !Number.isInteger(severity))
    fail(`${where}.severityNumber`, 'expected an integer');
  const record: OtlpLogRecord = {
    timeUnixNano: uint64(r.timeUnixNano, `${where}.timeUnixNano`),
    observedTimeUnixNano: uint64(r.observedTimeUnixNano, `${where}.observedTimeUnixNano`),
    severityNumber: severity,
    severityText: text(r.severityText, `${where}.severityText`),
    attributes: keyValues(r.attributes, `${where}.attributes`),
    traceId: id(r.traceId, 16, `${where}.traceId`),
    spanId: id(r.spanId, 8, `${where}.spanId`),
    eventName: text(r.eventName, `${where}.eventName`),
  };
  if (r.body !== undefined && r.body !== null) record.body = anyValue(r.body, `${where}.body`);
  return record;
}

/** A decoded message (protobufjs object or parsed JSON) as the service's request. */
function normalize(message: unknown): OtlpLogsRequest {
  const root = object(message, 'request');
  return {
    resourceLogs: list(root.resourceLogs, 'resourceLogs').map((item, i) => {
      const where = `resourceLogs[${i}]`;
      const rl = object(item, where);
      return {
        resource: keyValues(object(rl.resource, `${where}.resource`).attributes, `${where}.resource.attributes`),
        scopeLogs: list(rl.scopeLogs, `${where}.scopeLogs`).map((scopeItem, j) => {
          const sw = `${where}.scopeLogs[${j}]`;
          const sl = object(scopeItem, sw);
          const scope = object(sl.scope, `${sw}.scope`);
          return {
            scope: { name: text(scope.name, `${sw}.scope.name`), version: text(scope.version, `${sw}.scope.version`) },
            logRecords: list(sl.logRecords, `${sw}.logRecords`).map((record, k) =>
              logRecord(record, `${sw}.logRecords[${k}]`),
            ),
          };
        }),
      };
    }),
  };
}

/** An `application/x-protobuf` body. @throws OtlpDecodeError when it is not a valid message. */
export function decodeProtobufLogs(body: Buffer): OtlpLogsRequest {
  let message;
  try {
    // protobufjs 8 refuses invalid UTF-8 in string fields (never replaced by U+FFFD), as proto3 requires.
    message = OtlpMessages.ExportLogsServiceRequest.decode(body);
  } catch (error) {
    throw new OtlpDecodeError(`Undecodable protobuf: ${error instanceof Error ? error.message : String(error)}`);
  }
  return normalize(
    OtlpMessages.ExportLogsServiceRequest.toObject(message, { longs: String, enums: Number, bytes: Buffer as never }),
  );
}

/** An `application/json` body (OTLP/JSON). @throws OtlpDecodeError when it is not a valid request. */
export function decodeJsonLogs(body: Buffer): OtlpLogsRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(strictUtf8.decode(body));
  } catch (error) {
    throw new OtlpDecodeError(`Undecodable JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return normalize(parsed);
}

/** The answer of a successful export, in the request's encoding. */
export function encodeLogsResponse(
  format: 'protobuf' | 'json',
  partial: { rejected: number; errorMessage: string } | null,
): Buffer | string {
  const partialSuccess = partial
    ? { rejectedLogRecords: partial.rejected, errorMessage: partial.errorMessage }
    : undefined;
  if (format === 'json') {
    return JSON.stringify(
      partialSuccess
        ? { partialSuccess: { ...partialSuccess, rejectedLogRecords: String(partialSuccess.rejectedLogRecords) } }
        : {},
    );
  }
  const message = OtlpMessages.ExportLogsServiceResponse.fromObject(partialSuccess ? { partialSuccess } : {});
  return Buffer.from(OtlpMessages.ExportLogsServiceResponse.encode(message).finish());
}

/** A google.rpc.Status error body in the request's encoding (OTLP/HTTP's failure answer). */
export function encodeStatus(
  format: 'protobuf' | 'json',
  grpcCode: number,
  message: string,
  reason: string,
): Buffer | string {
  if (format === 'json') {
    return JSON.stringify({
      code: grpcCode,
      message,
      details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'lab-events' }],
    });
  }
  const info = OtlpMessages.ErrorInfo.encode(
    OtlpMessages.ErrorInfo.fromObject({ reason, domain: 'lab-events' }),
  ).finish();
  const status = OtlpMessages.Status.fromObject({
    code: grpcCode,
    message,
    details: [{ typeUrl: 'type.googleapis.com/google.rpc.ErrorInfo', value: info }],
  });
  return Buffer.from(OtlpMessages.Status.encode(status).finish());
}
