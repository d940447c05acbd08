/** `parseIsoInstant`: ISO-8601 text to an instant; naive times are UTC; anything else is null. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIsoInstant } from '../../src/core/time';

const iso = (text: string): string | null => parseIsoInstant(text)?.toISOString() ?? null;

describe('parseIsoInstant', () => {
  // Naive times must be UTC whatever the machine's zone: run in one with an offset (and DST), where
  // Date.parse would read them as local time.
  const zone = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = 'America/Chicago';
    expect(new Date(2024, 0, 2).getTimezoneOffset()).toBe(360);
  });
  afterAll(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });

  it.each([
    ['2024-01-02T03:04:05Z', '2024-01-02T03:04:05.000Z'],
    ['2024-01-02T03:04:05', '2024-01-02T03:04:05.000Z'],
    ['2024-01-02T03:04:05+02:00', '2024-01-02T01:04:05.000Z'],
    ['2024-01-02T03:04:05-05:30', '2024-01-02T08:34:05.000Z'],
    ['2024-01-02T03:04:05.123456Z', '2024-01-02T03:04:05.123Z'],
    ['2024-01-02T03:04:05.5', '2024-01-02T03:04:05.500Z'],
    ['2024-01-02T03:04', '2024-01-02T03:04:00.000Z'],
    ['2024-01-02t03:04:05z', '2024-01-02T03:04:05.000Z'],
    ['  2024-01-02T03:04:05Z\n', '2024-01-02T03:04:05.000Z'],
    ['2024-02-29T12:00:00Z', '2024-02-29T12:00:00.000Z'],
    ['1970-01-01T00:00:00Z', '1970-01-01T00:00:00.000Z'],
  ])('reads the common shape %j', (text, expected) => {
    expect(iso(text)).toBe(expected);
  });

  it.each([
    ['2024-01-02', '2024-01-02T00:00:00.000Z'],
    ['2024-01', '2024-01-01T00:00:00.000Z'],
    ['20240102T030405Z', '2024-01-02T03:04:05.000Z'],
    ['2024-01-02T03:04:05+0200', '2024-01-02T01:04:05.000Z'],
    ['2024-01-02T03Z', '2024-01-02T03:00:00.000Z'],
  ])('reads the other ISO-8601 form %j', (text, expected) => {
    expect(iso(text)).toBe(expected);
  });

  it.each([
    '',
    'yesterday',
    '2024-13-01T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2024-04-31T00:00:00Z',
    '2024-01-02T25:00:00Z',
    '2024-01-02T03:60:00Z',
    '2024/01/02 03:04:05',
    '1700000000000',
    `${' '.repeat(50)}2024-01-02T03:04:05Z`, // valid once trimmed, but over 64 characters
  ])('refuses %j with null', (text) => {
    expect(parseIsoInstant(text)).toBeNull();
  });
});
