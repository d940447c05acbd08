/**
 * The dashboard's zone arithmetic (web/dashboard/zoned-time.ts): instants shown in a zone with its
 * short name, midnight in a zone, and `datetime-local` values read in a zone, DST included.
 */
import { describe, expect, it } from 'vitest';
import { formatTime, zonedMidnight, zonedWallTime } from '../../web/dashboard/zoned-time';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

describe('formatTime', () => {
  it.each([
    ['2026-12-06T00:28:55.123Z', 'UTC', '2026-12-06 00:28:55', 'UTC'],
    ['2026-12-06T00:28:55Z', 'America/Chicago', '2026-12-05 18:28:55', 'CST'],
    ['2026-07-01T12:00:00Z', 'America/Chicago', '2026-07-01 07:00:00', 'CDT'],
    ['2026-12-06T00:00:00Z', 'Asia/Tokyo', '2026-12-06 09:00:00', 'GMT+9'],
    ['2026-03-29T00:59:59Z', 'Europe/Berlin', '2026-03-29 01:59:59', 'GMT+1'],
    ['2026-03-29T01:00:00Z', 'Europe/Berlin', '2026-03-29 03:00:00', 'GMT+2'],
  ])('%s in %s is %s %s', (instant, zone, text, zoneName) => {
    expect(formatTime(instant, zone)).toEqual({ text, zoneName });
  });
});

describe('zonedMidnight', () => {
  it.each([
    ['2026-12-06T00:28:55Z', 'UTC', '2026-12-06T00:00:00.000Z'],
    ['2026-12-06T00:28:55Z', 'America/Chicago', '2026-12-05T06:00:00.000Z'],
    ['2026-12-06T00:28:55Z', 'Asia/Tokyo', '2026-12-05T15:00:00.000Z'],
    // The day a change happens: midnight is before it (CST), now after it (CDT).
    ['2026-03-08T20:00:00Z', 'America/Chicago', '2026-03-08T06:00:00.000Z'],
    ['2026-11-01T20:00:00Z', 'America/Chicago', '2026-11-01T05:00:00.000Z'],
  ])('before %s in %s is %s', (now, zone, midnight) => {
    expect(iso(zonedMidnight(Date.parse(now), zone))).toBe(midnight);
  });
});

describe('zonedWallTime', () => {
  it.each([
    ['2026-12-06T14:05', 'UTC', '2026-12-06T14:05:00.000Z'],
    ['2026-12-06T14:05:09', 'America/Chicago', '2026-12-06T20:05:09.000Z'],
    ['2026-07-01T07:00', 'America/Chicago', '2026-07-01T12:00:00.000Z'],
    ['2026-12-06T09:00', 'Asia/Tokyo', '2026-12-06T00:00:00.000Z'],
    ['2026-03-29T03:30', 'Europe/Berlin', '2026-03-29T01:30:00.000Z'],
    // Just after a change west of UTC: the first guess's offset is the old one, the second settles it.
    ['2026-03-08T03:30', 'America/Chicago', '2026-03-08T08:30:00.000Z'],
  ])('%s in %s is %s', (value, zone, instant) => {
    expect(iso(zonedWallTime(value, zone))).toBe(instant);
  });

  it('is null for what is not a datetime-local value', () => {
    for (const value of ['', '2026-12-06', 'yesterday', '2026-12-06 14:05'])
      expect(zonedWallTime(value, 'UTC')).toBeNull();
  });
});
