import { describe, expect, it } from 'vitest';
import { formatMadsciTimestamp, parseDateTime, parseLevel } from '../src/app/rest/wire';
import { LiteralSyntaxError, parsePythonLiteral } from '../src/app/rest/python-literal';
import { RateLimiter } from '../src/app/http/rate-limit';

describe('selectors in the query string', () => {
  it("reads what Python prints for a dict (str() of the Python client's selector)", () => {
    // Exactly what httpx puts in the URL for params={"selector": {...}}.
    const printed = `{'event_data.test': {'$gte': 10}, 'tags': ['a', "it's"], 'ok': True, 'gone': None, 'pair': (1, 2.5), 'neg': -3e-05}`;
    expect(parsePythonLiteral(printed)).toEqual({
      'event_data.test': { $gte: 10 },
      tags: ['a', "it's"],
      ok: true,
      gone: null,
      pair: [1, 2.5],
      neg: -3e-5,
    });
  });

  it('reads Python string escapes and JSON alike', () => {
    expect(parsePythonLiteral(String.raw`'tab\there \'q\' \x41\u00e9\U0001F600 back\\slash'`)).toBe(
      "tab\there 'q' Aé😀 back\\slash",
    );
    expect(parsePythonLiteral('{"a": [true, false, null, 1.5], "b": "\\u00e9"}')).toEqual({
      a: [true, false, null, 1.5],
      b: 'é',
    });
    expect(parsePythonLiteral('{}')).toEqual({});
  });

  it('refuses anything that is not a literal', () => {
    for (const text of [
      "{'a': datetime.datetime(2025, 1, 1)}",
      "{'a': 1",
      "{1: 'a'}",
      "__import__('os')",
      "{'a': 1} extra",
      "'unterminated",
      'nan',
    ]) {
      expect(() => parsePythonLiteral(text), text).toThrow(LiteralSyntaxError);
    }
  });

  it('keeps a key named __proto__ as data', () => {
    const parsed = parsePythonLiteral("{'__proto__': {'x': 1}}") as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('MADSci wire values', () => {
  it('prints instants as naive UTC text, with microseconds only when not zero', () => {
    expect(formatMadsciTimestamp(new Date('2025-01-06T08:00:00Z'))).toBe('2025-01-06T08:00:00');
    expect(formatMadsciTimestamp(new Date('2025-01-06T08:00:00.120Z'))).toBe('2025-01-06T08:00:00.120000');
  });

  it('reads date-times as pydantic does: ISO (naive = UTC, T or space), dates, Unix seconds or milliseconds', () => {
    expect(parseDateTime('2025-01-06T08:00:00.123456')?.toISOString()).toBe('2025-01-06T08:00:00.123Z');
    expect(parseDateTime('2025-01-06 08:00:00+01:00')?.toISOString()).toBe('2025-01-06T07:00:00.000Z');
    expect(parseDateTime('2025-01-06')?.toISOString()).toBe('2025-01-06T00:00:00.000Z');
    expect(parseDateTime(1736150400)?.toISOString()).toBe('2025-01-06T08:00:00.000Z');
    expect(parseDateTime('1736150400000')?.toISOString()).toBe('2025-01-06T08:00:00.000Z');
    expect(parseDateTime('next tuesday')).toBeUndefined();
    expect(parseDateTime(true)).toBeUndefined();
  });

  it('reads levels by number, numeric text, name or enum text; other numbers only as thresholds', () => {
    expect([20, '20', 20.0, 'info', 'INFO', 'EventLogLevel.INFO'].map((v) => parseLevel(v))).toEqual([
      20, 20, 20, 20, 20, 20,
    ]);
    expect(parseLevel(25)).toBeUndefined();
    expect(parseLevel(25, true)).toBe(25);
    expect(parseLevel('loud')).toBeUndefined();
    expect(parseLevel(true)).toBeUndefined();
  });
});

describe('RateLimiter (MADSci sliding windows)', () => {
  const settings = {
    enabled: true,
    requests: 4,
    windowSeconds: 60,
    shortRequests: 2,
    shortWindowSeconds: 1,
    cleanupIntervalSeconds: 300,
    exemptIps: ['127.0.0.1', '::1'],
  };

  it('refuses a burst beyond the short window and lets it through once the second has passed', () => {
    let now = 1000;
    const limiter = new RateLimiter(settings, () => now);
    expect(limiter.check('10.0.0.1')?.allowed).toBe(true);
    expect(limiter.check('10.0.0.1')?.allowed).toBe(true);
    const burst = limiter.check('10.0.0.1');
    expect(burst).toMatchObject({
      allowed: false,
      detail: 'Rate limit exceeded: 2 requests per 1 seconds (burst limit)',
    });
    expect(burst?.headers['Retry-After']).toBe('2');
    now += 1.01;
    expect(limiter.check('10.0.0.1')?.allowed).toBe(true);
    // Other clients have their own windows.
    expect(limiter.check('10.0.0.2')?.allowed).toBe(true);
  });

  it('refuses beyond the long window until its oldest request ages out; refused requests do not count', () => {
    let now = 1000;
    const limiter = new RateLimiter(settings, () => now);
    for (let i = 0; i < 4; i++) {
      expect(limiter.check('10.0.0.1')?.allowed).toBe(true);
      now += 2;
    }
    const refused = limiter.check('10.0.0.1');
    expect(refused).toMatchObject({ allowed: false, detail: 'Rate limit exceeded: 4 requests per 60 seconds' });
    expect(refused?.headers).toMatchObject({
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': '1060',
      'Retry-After': '53',
    });
    now = 1060.5; // the first request (t=1000) has left the window
    expect(limiter.check('10.0.0.1')).toMatchObject({ allowed: true, headers: { 'X-RateLimit-Remaining': '0' } });
  });

  it('exempts loopback, also as an IPv4-mapped address, and forgets idle clients', () => {
    let now = 1000;
    const limiter = new RateLimiter(settings, () => now);
    expect(limiter.check('127.0.0.1')).toBeNull();
    expect(limiter.check('::ffff:127.0.0.1')).toBeNull();
    expect(limiter.check('::1')).toBeNull();
    limiter.check('10.0.0.9');
    expect(limiter.trackedClients).toBe(1);
    now += 400;
    limiter.check('10.0.0.10');
    expect(limiter.trackedClients).toBe(1);
  });
});
