/**
 * Bucket maths of the periods report: where buckets start and end in a zone (DST included), how
 * they are labelled, and where the window cuts them. Expected instants are written out by hand.
 */
import { describe, expect, it } from 'vitest';
import { isValidTimeZone, makeBuckets } from '../../src/analytics/period-buckets';

const at = (iso: string): number => Date.parse(iso);
const spans = (buckets: { start: number; end: number }[]): [string, string][] =>
  buckets.map((b) => [new Date(b.start).toISOString(), new Date(b.end).toISOString()]);
const hours = (b: { start: number; end: number }): number => (b.end - b.start) / 3_600_000;

describe('periods report buckets', () => {
  it('starts daily buckets at local midnight; the spring-forward day in Chicago has 23 hours', () => {
    // 2025-03-09: America/Chicago goes from CST (-06:00) to CDT (-05:00) at 02:00 local.
    const buckets = makeBuckets(
      { from: at('2025-03-08T06:00:00Z'), to: at('2025-03-11T05:00:00Z') },
      'daily',
      'America/Chicago',
    );
    expect(spans(buckets)).toEqual([
      ['2025-03-08T06:00:00.000Z', '2025-03-09T06:00:00.000Z'],
      ['2025-03-09T06:00:00.000Z', '2025-03-10T05:00:00.000Z'],
      ['2025-03-10T05:00:00.000Z', '2025-03-11T05:00:00.000Z'],
    ]);
    expect(buckets.map(hours)).toEqual([24, 23, 24]);
    expect(buckets.map((b) => b.periodInfo)).toEqual([
      { type: 'day', display: '2025-03-08', short: '03-08' },
      { type: 'day', display: '2025-03-09', short: '03-09' },
      { type: 'day', display: '2025-03-10', short: '03-10' },
    ]);
  });

  it('gives the fall-back day in Berlin 25 hours', () => {
    // 2025-10-26: Europe/Berlin goes from CEST (+02:00) to CET (+01:00) at 03:00 local.
    const buckets = makeBuckets(
      { from: at('2025-10-25T22:00:00Z'), to: at('2025-10-26T23:00:00Z') },
      'daily',
      'Europe/Berlin',
    );
    expect(spans(buckets)).toEqual([['2025-10-25T22:00:00.000Z', '2025-10-26T23:00:00.000Z']]);
    expect(hours(buckets[0]!)).toBe(25);
  });

  it('starts the first daily bucket at the local midnight before the window, and cuts the last at its end', () => {
    const buckets = makeBuckets({ from: at('2025-01-06T15:30:00Z'), to: at('2025-01-07T12:00:00Z') }, 'daily', 'UTC');
    expect(spans(buckets)).toEqual([
      ['2025-01-06T00:00:00.000Z', '2025-01-07T00:00:00.000Z'],
      ['2025-01-07T00:00:00.000Z', '2025-01-07T12:00:00.000Z'],
    ]);
    expect(buckets.map((b) => b.index)).toEqual([0, 1]);
  });

  it('starts hourly buckets at the window start, not at the top of the hour, and labels them in the zone', () => {
    const buckets = makeBuckets(
      { from: at('2025-01-06T08:20:00Z'), to: at('2025-01-06T10:50:00Z') },
      'hourly',
      'America/Chicago',
    );
    expect(spans(buckets)).toEqual([
      ['2025-01-06T08:20:00.000Z', '2025-01-06T09:20:00.000Z'],
      ['2025-01-06T09:20:00.000Z', '2025-01-06T10:20:00.000Z'],
      ['2025-01-06T10:20:00.000Z', '2025-01-06T10:50:00.000Z'],
    ]);
    expect(buckets[0]!.periodInfo).toEqual({ type: 'period', display: '2025-01-06 02:20', short: '01/06 02:20' });
  });

  it('has one hourly bucket fewer on the spring-forward night (the local hour 02:00 does not exist)', () => {
    const buckets = makeBuckets(
      { from: at('2025-03-09T06:00:00Z'), to: at('2025-03-09T10:00:00Z') },
      'hourly',
      'America/Chicago',
    );
    expect(buckets.map((b) => b.periodInfo.display)).toEqual([
      '2025-03-09 00:00',
      '2025-03-09 01:00',
      '2025-03-09 03:00',
      '2025-03-09 04:00',
    ]);
  });

  it('starts weeks on Monday (local) and labels them by that day', () => {
    // 2025-01-08 is a Wednesday.
    const buckets = makeBuckets({ from: at('2025-01-08T12:00:00Z'), to: at('2025-01-20T00:00:00Z') }, 'weekly', 'UTC');
    expect(spans(buckets)).toEqual([
      ['2025-01-06T00:00:00.000Z', '2025-01-13T00:00:00.000Z'],
      ['2025-01-13T00:00:00.000Z', '2025-01-20T00:00:00.000Z'],
    ]);
    expect(buckets[0]!.periodInfo).toEqual({ type: 'week', display: 'Week of 2025-01-06', short: 'Week 01/06' });
  });

  it('gives months their own lengths, from the local first of the month', () => {
    const buckets = makeBuckets({ from: at('2025-01-15T00:00:00Z'), to: at('2025-04-01T00:00:00Z') }, 'monthly', 'UTC');
    expect(buckets.map(hours)).toEqual([744, 672, 744]);
    expect(buckets[0]!.start).toBe(at('2025-01-01T00:00:00Z'));
    expect(buckets.map((b) => b.periodInfo)).toEqual([
      { type: 'month', display: 'January 2025', short: 'Jan 2025' },
      { type: 'month', display: 'February 2025', short: 'Feb 2025' },
      { type: 'month', display: 'March 2025', short: 'Mar 2025' },
    ]);
  });

  it('gives the month with the spring-forward day one hour less (Chicago, March 2025)', () => {
    const buckets = makeBuckets(
      { from: at('2025-03-01T06:00:00Z'), to: at('2025-04-01T05:00:00Z') },
      'monthly',
      'America/Chicago',
    );
    expect(spans(buckets)).toEqual([['2025-03-01T06:00:00.000Z', '2025-04-01T05:00:00.000Z']]);
    expect(hours(buckets[0]!)).toBe(743);
  });

  it('has no bucket for an empty window, and refuses more than 100000 periods', () => {
    expect(makeBuckets({ from: at('2025-01-06T00:00:00Z'), to: at('2025-01-06T00:00:00Z') }, 'hourly', 'UTC')).toEqual(
      [],
    );
    expect(() => makeBuckets({ from: 0, to: 100_001 * 3_600_000 }, 'hourly', 'UTC')).toThrow(/At most 100000 periods/);
    expect(makeBuckets({ from: 0, to: 3 * 3_600_000 }, 'hourly', 'UTC')).toHaveLength(3);
  });

  it('knows IANA zone names and refuses others', () => {
    expect(['UTC', 'America/Chicago', 'Asia/Kolkata'].map(isValidTimeZone)).toEqual([true, true, true]);
    expect(['', ' ', 'Mars/Olympus', 'America/Chicag'].map(isValidTimeZone)).toEqual([false, false, false, false]);
  });
});
