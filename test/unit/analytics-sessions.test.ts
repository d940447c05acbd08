/**
 * Session derivation and analysis on hand-made event lists: which sessions a window has, when
 * each ends, and the active, busy and idle seconds of a session and its nodes.
 */
import { describe, expect, it } from 'vitest';
import type { AnalyticsEvent } from '../../src/analytics/analytics-event';
import { F } from '../../src/analytics/python';
import { analyseSessions, defaultSession, deriveSessions, unionSeconds } from '../../src/analytics/sessions';

const WC = '01JGZ8Q5T3000000000000WC01';
const WC2 = '01JGZ8Q5T3000000000000WC02';
const N1 = '01JGZ8Q5T30000000000000N01';
const X1 = '01JGZ8Q5T30000000000000X01';
const X2 = '01JGZ8Q5T30000000000000X02';

/** Minutes after 2025-01-06T08:00Z. */
const m = (minutes: number): number => Date.UTC(2025, 0, 6, 8, minutes);

let counter = 0;
function ev(
  minute: number,
  type: string,
  source: AnalyticsEvent['source'] = {},
  data: Record<string, unknown> = {},
): AnalyticsEvent {
  return { id: `e${counter++}`, t: m(minute), type, source, data };
}

/** The events in chunks of two, as the reader hands them over. */
async function* stream(events: AnalyticsEvent[]): AsyncIterable<AnalyticsEvent[]> {
  for (let i = 0; i < events.length; i += 2) yield events.slice(i, i + 2);
}

describe('session derivation', () => {
  it('ends a session at the first stop of its workcell after it, even past a restart', () => {
    const lifecycle = [
      ev(0, 'workcell_start', { workcell_id: WC }, { workcell_name: 'Demo' }),
      ev(10, 'workcell_start', { workcell_id: WC2 }),
      ev(30, 'workcell_stop', { workcell_id: WC2 }),
      ev(60, 'workcell_start', { workcell_id: WC }),
      ev(90, 'workcell_stop', { workcell_id: WC }),
      ev(100, 'lab_start', { manager_id: WC2 }, { name: 'Lab' }),
    ];
    expect(deriveSessions(lifecycle, m(0), m(120))).toEqual([
      // Restarted without a stop: both sessions end at the one stop, so their hours count twice.
      { sessionType: 'workcell', sessionId: WC, sessionName: 'Demo', start: m(0), end: m(90) },
      { sessionType: 'workcell', sessionId: WC2, sessionName: `Workcell ${WC2.slice(-8)}`, start: m(10), end: m(30) },
      { sessionType: 'workcell', sessionId: WC, sessionName: `Workcell ${WC.slice(-8)}`, start: m(60), end: m(90) },
      // No stop after it: the window end.
      { sessionType: 'lab', sessionId: WC2, sessionName: 'Lab', start: m(100), end: m(120) },
    ]);
  });

  it('ends a session without a stop at the next start of its workcell', () => {
    const lifecycle = [
      ev(0, 'workcell_start', { workcell_id: WC }),
      ev(5, 'workcell_start', { workcell_id: WC2 }),
      ev(40, 'workcell_start', { workcell_id: WC }),
    ];
    expect(deriveSessions(lifecycle, m(0), m(60)).map((s) => [s.sessionId, s.start, s.end])).toEqual([
      [WC, m(0), m(40)],
      [WC2, m(5), m(60)],
      [WC, m(40), m(60)],
    ]);
  });

  it('does not end a session at a stop logged at its very start', () => {
    const lifecycle = [
      ev(0, 'workcell_stop', { workcell_id: WC }),
      ev(0, 'workcell_start', { workcell_id: WC }),
      ev(20, 'workcell_stop', { workcell_id: WC }),
    ];
    expect(deriveSessions(lifecycle, m(-10), m(60)).map((s) => [s.start, s.end])).toEqual([[m(0), m(20)]]);
  });

  it('ignores starts outside the window and stops after its end', () => {
    const lifecycle = [
      ev(0, 'workcell_start', { workcell_id: WC }),
      ev(20, 'workcell_start', { workcell_id: WC }),
      ev(50, 'workcell_stop', { workcell_id: WC }),
    ];
    expect(deriveSessions(lifecycle, m(10), m(40))).toEqual([
      { sessionType: 'workcell', sessionId: WC, sessionName: `Workcell ${WC.slice(-8)}`, start: m(20), end: m(40) },
    ]);
  });

  it('names a start without an owner after its second: system_<epoch seconds>', () => {
    const [session] = deriveSessions([ev(5, 'workcell_start')], m(0), m(30));
    expect(session).toMatchObject({ sessionType: 'workcell', sessionId: 'system_1736150700', start: m(5), end: m(30) });
  });

  it('stands for a window without starts with one default session', () => {
    expect(defaultSession(m(0), m(60))).toEqual({
      sessionType: 'default_analysis',
      sessionId: 'analysis_1736150400',
      sessionName: null,
      start: m(0),
      end: m(60),
    });
  });
});

describe('session analysis', () => {
  it('adds the union of intervals, touching ones merged; the int 0 without any', () => {
    expect(unionSeconds([])).toBe(0);
    expect(
      unionSeconds([
        [0, 60_000],
        [60_000, 120_000],
        [30_000, 90_000],
        [300_000, 330_000],
      ]),
    ).toEqual(F(150));
  });

  it('counts experiment time as active, a running experiment until the session end, and node busy time from running actions', async () => {
    const spec = { sessionType: 'workcell' as const, sessionId: WC, sessionName: 'Demo', start: m(0), end: m(120) };
    const events = [
      ev(0, 'node_start', { node_id: N1 }),
      ev(10, 'experiment_start', { experiment_id: X1 }),
      ev(20, 'action_status_change', { node_id: N1 }, { action_id: 'A', status: 'running' }),
      ev(40, 'action_status_change', { node_id: N1 }, { action_id: 'A', status: 'succeeded' }),
      ev(70, 'experiment_complete', { experiment_id: X1 }),
      ev(90, 'experiment_start', { experiment_id: X2 }),
      ev(100, 'action_status_change', { node_id: N1 }, { action_id: 'B', status: 'running' }),
    ];
    const [a] = await analyseSessions([spec], () => stream(events));
    expect(a!.durationSeconds).toBe(7200);
    // 10-70 and 90-120 minutes: 90 minutes of 120.
    expect(a!.activeSeconds).toEqual(F(5400));
    expect(a!.utilization).toBe(75);
    expect(a!.experimentIds).toEqual([X1, X2]);
    expect(a!.nodes).toEqual([
      // Active from node_start to the end (7200 s); busy 20-40 and 100-120 (2400 s); B still running.
      {
        nodeId: N1,
        totalSeconds: 7200,
        activeSeconds: F(7200),
        busySeconds: F(2400),
        idleSeconds: F(4800),
        utilization: (2400 / 7200) * 100,
        state: 'busy',
      },
    ]);
  });

  it('gives a session without events zero activity, as Python ints', async () => {
    const spec = defaultSession(m(0), m(30));
    const [a] = await analyseSessions([spec], () => stream([]));
    expect(a).toEqual({ spec, durationSeconds: 1800, activeSeconds: 0, utilization: 0, experimentIds: [], nodes: [] });
  });

  it('feeds an event to every session that holds it, and answers in the order of the specs', async () => {
    const late = { sessionType: 'workcell' as const, sessionId: WC2, sessionName: null, start: m(30), end: m(60) };
    const early = { sessionType: 'workcell' as const, sessionId: WC, sessionName: null, start: m(0), end: m(45) };
    const events = [
      ev(35, 'experiment_start', { experiment_id: X1 }),
      ev(40, 'experiment_complete', { experiment_id: X1 }),
    ];
    const [a, b] = await analyseSessions([late, early], () => stream(events));
    expect([a!.spec.sessionId, a!.activeSeconds]).toEqual([WC2, F(300)]);
    expect([b!.spec.sessionId, b!.activeSeconds]).toEqual([WC, F(300)]);
  });
});
