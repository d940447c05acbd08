/**
 * Utilization reports and event counts beyond the worked example: DST days of 23 and 25 hours,
 * weeks from Monday, months of different lengths, overlapping and open sessions, string payloads,
 * domain types sent through MADSci's structured logger (docs/madsci-compatibility.md#d1-effective-event-type), empty windows, counts that
 * agree with eventPage, and the downloads. Each scenario lives on its own dates, so one data set
 * serves them all, on both stores.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AnalyticsEventTotalDocument,
  EventCountsDocument,
  SessionUtilizationDocument,
  UserUtilizationDocument,
  UtilizationPeriodsDocument,
  type EventCountsQuery,
  type EventFilter,
  type EventGroupBy,
  type TimeBucket,
} from './generated/graphql';
import { ev, logAll } from './support/analytics';
import { startTestServer, type TestServer } from './support/server';
import { STORE_KINDS } from './support/stores';

const id = (tag: string) => `01JGZ8Q5T3${tag.padStart(16, '0')}`;
const WC = {
  overlap: id('WC01'),
  overlapOther: id('WC02'),
  strings: id('WC03'),
  logged: id('WC04'),
  chicago: id('WC05'),
  berlin: id('WC06'),
  weekly: id('WC07'),
  months: id('WC08'),
};
const N = { strings: id('N02'), logged: id('N03') };
const X = { strings: id('X02'), logged: id('X03'), chicago: id('X05'), weekBefore: id('X06'), weekLater: id('X07') };
const W = { logged: id('WF02') };

const EVENTS = [
  // Overlapping and open sessions (Monday 2025-02-03): a restart without stop, and a second workcell never stopped.
  ev('2025-02-03T08:00:00Z', 'WORKCELL_START', { workcellId: WC.overlap }),
  ev('2025-02-03T09:00:00Z', 'WORKCELL_START', { workcellId: WC.overlap }),
  ev('2025-02-03T10:00:00Z', 'WORKCELL_START', { workcellId: WC.overlapOther }),
  ev('2025-02-03T10:30:00Z', 'EXPERIMENT_START', { experimentId: id('X01') }),
  ev('2025-02-03T11:00:00Z', 'WORKCELL_STOP', { workcellId: WC.overlap }),

  // String payloads everywhere (Monday 2025-02-10).
  ev('2025-02-10T08:00:00Z', 'WORKCELL_START', { workcellId: WC.strings }, 'workcell booting'),
  ev('2025-02-10T08:10:00Z', 'NODE_START', { nodeId: N.strings }, 'arm up'),
  ev('2025-02-10T08:20:00Z', 'EXPERIMENT_START', { experimentId: X.strings }, 'go'),
  ev('2025-02-10T08:30:00Z', 'ACTION_STATUS_CHANGE', { nodeId: N.strings }, 'running'),
  ev('2025-02-10T09:00:00Z', 'WORKFLOW_COMPLETE', {}, 'finished something'),
  ev('2025-02-10T09:20:00Z', 'EXPERIMENT_COMPLETE', { experimentId: X.strings }, 'done'),
  ev('2025-02-10T10:00:00Z', 'WORKCELL_STOP', { workcellId: WC.strings }, 'bye'),

  // The worked example again, but sent the way MADSci's structured logger sends it (2025-02-17).
  ev(
    '2025-02-17T08:00:00Z',
    'LOG_INFO',
    { workcellId: WC.logged },
    { event_type: 'workcell_start', message: 'Workcell started', workcell_name: 'Structured' },
  ),
  ev('2025-02-17T08:05:00Z', 'LOG_INFO', { nodeId: N.logged }, { event_type: 'node_start', node_name: 'pipette' }),
  ev(
    '2025-02-17T08:30:00Z',
    'LOG_INFO',
    {},
    { event_type: 'EXPERIMENT_START', experiment_id: X.logged, experiment_name: 'Structured run' },
  ),
  ev(
    '2025-02-17T09:00:00Z',
    'LOG_INFO',
    { nodeId: N.logged },
    { event_type: 'action_status_change', action_id: 'B1', status: 'running' },
  ),
  ev(
    '2025-02-17T09:30:00Z',
    'LOG_DEBUG',
    { nodeId: N.logged },
    { event_type: 'EventType.ACTION_STATUS_CHANGE', action_id: 'B1', status: 'completed' },
  ),
  ev(
    '2025-02-17T09:40:00Z',
    'LOG_INFO',
    {},
    { event_type: 'workflow_start', workflow_id: W.logged, name: 'prep', author: 'bob' },
  ),
  ev(
    '2025-02-17T10:10:00Z',
    'WORKFLOW_COMPLETE',
    {},
    { workflow_id: W.logged, name: 'prep', author: 'bob', status: 'completed' },
  ),
  ev('2025-02-17T10:30:00Z', 'LOG_INFO', {}, { event_type: 'experiment_complete', experiment_id: X.logged }),
  ev(
    '2025-02-17T10:45:00Z',
    'LOG_WARNING',
    { nodeId: N.logged },
    { event_type: 'no_such_type', action_id: 'B2', status: 'running' },
  ),
  ev('2025-02-17T11:00:00Z', 'LOG_INFO', { workcellId: WC.logged }, { event_type: 'workcell_stop' }),

  // America/Chicago springs forward on 2025-03-09: that local day has 23 hours.
  ev('2025-03-08T06:00:00Z', 'WORKCELL_START', { workcellId: WC.chicago }),
  ev('2025-03-09T07:00:00Z', 'EXPERIMENT_START', { experimentId: X.chicago }),
  ev('2025-03-10T04:30:00Z', 'LOG_DEBUG', {}, { message: 'Sunday 23:30 CDT' }),
  ev('2025-03-10T05:30:00Z', 'LOG_DEBUG', {}, { message: 'Monday 00:30 CDT' }),
  ev('2025-03-10T06:00:00Z', 'EXPERIMENT_COMPLETE', { experimentId: X.chicago }),
  ev('2025-03-11T05:00:00Z', 'WORKCELL_STOP', { workcellId: WC.chicago }),

  // Europe/Berlin falls back on 2025-10-26: that local day has 25 hours.
  ev('2025-10-25T22:00:00Z', 'WORKCELL_START', { workcellId: WC.berlin }),
  ev('2025-10-26T22:30:00Z', 'LOG_INFO', {}, { message: 'Sunday 23:30 CET' }),
  ev('2025-10-27T23:00:00Z', 'WORKCELL_STOP', { workcellId: WC.berlin }),

  // Weeks (April 2025, UTC): an experiment on the Tuesday before a Wednesday window start.
  ev('2025-04-08T10:00:00Z', 'EXPERIMENT_START', { experimentId: X.weekBefore }),
  ev('2025-04-10T08:00:00Z', 'WORKCELL_START', { workcellId: WC.weekly }),
  ev('2025-04-10T10:00:00Z', 'WORKCELL_STOP', { workcellId: WC.weekly }),
  ev('2025-04-16T08:00:00Z', 'EXPERIMENT_START', { experimentId: X.weekLater }),

  // Months of 31, 28, 31 and 30 days (2026): one session never stopped; logs near Chicago month ends.
  ev('2026-01-01T00:00:00Z', 'WORKCELL_START', { workcellId: WC.months }),
  ev('2026-01-15T12:00:00Z', 'LOG_INFO', {}, { message: 'January' }),
  ev('2026-02-28T23:30:00Z', 'LOG_INFO', {}, { message: 'February 28, 17:30 CST' }),
  ev('2026-03-01T05:30:00Z', 'LOG_INFO', {}, { message: 'February 28, 23:30 CST' }),
  ev('2026-03-31T23:00:00Z', 'LOG_INFO', {}, { message: 'March 31, 18:00 CDT' }),
  ev('2026-04-01T04:30:00Z', 'LOG_INFO', {}, { message: 'March 31, 23:30 CDT' }),
];

type Report = Record<string, unknown>;
const series = (report: unknown) => ((report as Report).time_series as { system: Report[] }).system;

describe.each(STORE_KINDS)('utilization reports and counts on %s', (kind) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(kind);
    await logAll(server, EVENTS);
  });
  afterAll(async () => server?.stop());

  const sessions = async (from: string, to: string) =>
    (await server.ok(SessionUtilizationDocument, { from, to })).sessionUtilization;
  const periods = async (
    from: string,
    to: string,
    period: 'HOURLY' | 'DAILY' | 'WEEKLY' | 'MONTHLY',
    timezone: string,
  ) => (await server.ok(UtilizationPeriodsDocument, { from, to, period, timezone })).utilizationPeriods;
  const counts = async (
    groupBy: EventGroupBy,
    filter: EventFilter,
    bucket?: TimeBucket,
    timezone?: string,
  ): Promise<EventCountsQuery['eventCounts']> =>
    (await server.ok(EventCountsDocument, { groupBy, filter, bucket, timezone })).eventCounts;

  describe('sessions', () => {
    it('ends both sessions of a restart without stop at the one stop, so their hours count twice', async () => {
      const r = await sessions('2025-02-03T08:00:00Z', '2025-02-03T12:00:00Z');
      expect(r.sessions.map((s) => [s.sessionId, s.startTime, s.endTime, s.durationHours])).toEqual([
        [WC.overlap, '2025-02-03T08:00:00.000Z', '2025-02-03T11:00:00.000Z', 3],
        [WC.overlap, '2025-02-03T09:00:00.000Z', '2025-02-03T11:00:00.000Z', 2],
        // Never stopped: open until the end of the window.
        [WC.overlapOther, '2025-02-03T10:00:00.000Z', '2025-02-03T12:00:00.000Z', 2],
      ]);
      expect(r.totalSessions).toBe(3);
      expect(r.totalSystemRuntimeHours).toBe(7);
      // One experiment, open until each session's end, is seen by all three sessions.
      expect(r.sessions.map((s) => [s.activeTimeHours, s.systemUtilizationPercent, s.totalExperiments])).toEqual([
        [0.5, 16.7, 1],
        [0.5, 25, 1],
        [1.5, 75, 1],
      ]);
      expect(r.totalExperiments).toBe(3);
      expect(r.totalActiveTimeHours).toBe(2.5);
      expect(r.averageSystemUtilizationPercent).toBeCloseTo(38.9, 12);
      // Workcell ids are not nodes.
      expect(r.nodesTracked).toBe(0);
    });

    it('reads string payloads as empty objects: ids come from the source, names are missing', async () => {
      const r = await sessions('2025-02-10T08:00:00Z', '2025-02-10T10:00:00Z');
      expect(r.sessions).toHaveLength(1);
      const [s] = r.sessions;
      expect(s).toMatchObject({
        sessionId: WC.strings,
        sessionName: 'Workcell 0000WC03',
        durationHours: 2,
        activeTimeHours: 1,
        systemUtilizationPercent: 50,
        totalExperiments: 1,
      });
      expect(s!.experiments).toEqual([
        { experimentId: X.strings, experimentName: null, displayName: 'Experiment 00000X02' },
      ]);
      // The node started at 08:10 and its action event carried no action id: available, never busy.
      expect(s!.nodes).toEqual([
        {
          nodeId: N.strings,
          nodeName: null,
          displayName: 'Node 00000N02',
          utilizationPercent: 0,
          state: 'idle',
          busyTimeHours: 0,
          idleTimeHours: 6600 / 3600,
          totalTimeHours: 2,
        },
      ]);
      const users = (
        await server.ok(UserUtilizationDocument, { from: '2025-02-10T08:00:00Z', to: '2025-02-10T10:00:00Z' })
      ).userUtilization;
      expect(users.totalWorkflows).toBe(0);
      const daily = await periods('2025-02-10T00:00:00Z', '2025-02-11T00:00:00Z', 'DAILY', 'UTC');
      expect((daily.report as Report).experiment_details).toEqual({
        total_experiments: 1,
        experiments: [
          {
            experiment_id: X.strings,
            experiment_name: 'Unknown Experiment',
            start_time: '2025-02-10T08:20:00',
            end_time: '2025-02-10T09:20:00',
            status: 'completed',
            duration_hours: 1,
            duration_display: '1.0 hours',
          },
        ],
      });
    });

    it("counts domain events sent through MADSci's structured logger by their event_data.event_type", async () => {
      const r = await sessions('2025-02-17T08:00:00Z', '2025-02-17T12:00:00Z');
      // The same figures as the worked example, whose events carry the types at the top level.
      expect(r.sessions).toHaveLength(1);
      expect(r.sessions[0]).toMatchObject({
        sessionType: 'workcell',
        sessionId: WC.logged,
        endTime: '2025-02-17T11:00:00.000Z',
        durationHours: 3,
        activeTimeHours: 2,
        systemUtilizationPercent: 66.7,
        experiments: [{ experimentId: X.logged, experimentName: 'Structured run', displayName: 'Structured run' }],
      });
      // The warning with an unknown inner type stays a log event: B2 never makes the node busy.
      expect(r.sessions[0]!.nodes).toEqual([
        {
          nodeId: N.logged,
          nodeName: 'pipette',
          displayName: 'pipette (00000N03)',
          utilizationPercent: 17.1,
          state: 'idle',
          busyTimeHours: 0.5,
          idleTimeHours: 2.4166666666666665,
          totalTimeHours: 3,
        },
      ]);
      const users = (
        await server.ok(UserUtilizationDocument, { from: '2025-02-17T08:00:00Z', to: '2025-02-17T12:00:00Z' })
      ).userUtilization;
      expect(users.users).toHaveLength(1);
      expect(users.users[0]).toMatchObject({
        author: 'bob',
        totalWorkflows: 1,
        completedWorkflows: 1,
        totalRuntimeHours: 0.5,
        averageWorkflowDurationHours: 0.5,
      });
      expect(users.users[0]!.workflows).toEqual([
        {
          workflowId: W.logged,
          workflowName: 'prep',
          startTime: '2025-02-17T09:40:00.000Z',
          endTime: '2025-02-17T10:10:00.000Z',
          durationHours: 0.5,
          status: 'completed',
        },
      ]);
      const daily = await periods('2025-02-17T00:00:00Z', '2025-02-18T00:00:00Z', 'DAILY', 'UTC');
      expect(daily.workcells).toMatchObject([
        { workcellId: WC.logged, workcellName: 'Structured', displayName: 'Structured (0000WC04)' },
      ]);
    });

    it('uses a default session over a window without a session start, and zeros over a window without events', async () => {
      const r = await sessions('2024-06-03T00:00:00Z', '2024-06-04T00:00:00Z');
      expect(r.sessions).toEqual([
        expect.objectContaining({
          sessionType: 'default_analysis',
          sessionId: `analysis_${Date.parse('2024-06-03T00:00:00Z') / 1000}`,
          sessionName: 'Complete Database Analysis',
          durationHours: 24,
          activeTimeHours: 0,
          systemUtilizationPercent: 0,
          nodes: [],
        }),
      ]);
      expect(r).toMatchObject({
        totalSessions: 1,
        totalSystemRuntimeHours: 24,
        totalActiveTimeHours: 0,
        averageSystemUtilizationPercent: 0,
        totalExperiments: 0,
        nodesTracked: 0,
      });
      expect(r.csv).toContain(
        '\r\ndefault_analysis,Complete Database Analysis,2024-06-03T00:00:00,2024-06-04T00:00:00,24.0,0.0,0,0\r\n',
      );
      expect(r.csv).not.toContain('=== NODE SUMMARY ===');

      const users = (
        await server.ok(UserUtilizationDocument, { from: '2024-06-03T00:00:00Z', to: '2024-06-04T00:00:00Z' })
      ).userUtilization;
      expect(users.report).toMatchObject({
        system_summary: {
          total_workflows: 0,
          total_runtime_hours: 0,
          average_workflow_duration_hours: 0,
          completion_rate_percent: 0,
          author_attribution_rate_percent: 0,
        },
        user_utilization: {},
      });
      expect(users.csv).toContain(
        '\r\nTotal Runtime (hours),0.0\r\nAverage Workflow Duration (hours),0\r\nCompletion Rate (%),0\r\n',
      );

      const daily = await periods('2024-06-03T00:00:00Z', '2024-06-05T00:00:00Z', 'DAILY', 'UTC');
      expect(daily).toMatchObject({
        totalPeriods: 2,
        averageUtilization: 0,
        peakUtilization: 0,
        peakPeriod: null,
        totalRuntimeHours: 0,
        activePeriods: 0,
        nodes: [],
        workcells: [],
      });
      expect((daily.report as Report).key_metrics).toMatchObject({ peak_context: 'No peak data available' });
      expect(daily.csv).toContain(
        '\r\n=== NODE SUMMARY ===\r\nNo node activity detected during this daily analysis period\r\n\r\n',
      );
      expect(daily.csv).not.toContain('=== WORKCELL SUMMARY ===');
      expect(daily.csv).not.toContain('=== EXPERIMENT DETAILS ===');
    });
  });

  describe('periods', () => {
    it('gives the day America/Chicago springs forward 23 hours, from local midnight to local midnight', async () => {
      const r = await periods('2025-03-08T06:00:00Z', '2025-03-11T05:00:00Z', 'DAILY', 'America/Chicago');
      expect(r.periods.map((p) => [p.periodDisplay, p.start, p.end, p.runtimeHours, p.experiments])).toEqual([
        ['2025-03-08', '2025-03-08T06:00:00.000Z', '2025-03-09T06:00:00.000Z', 24, 0],
        ['2025-03-09', '2025-03-09T06:00:00.000Z', '2025-03-10T05:00:00.000Z', 23, 1],
        ['2025-03-10', '2025-03-10T05:00:00.000Z', '2025-03-11T05:00:00.000Z', 24, 0],
      ]);
      expect(series(r.report).map((p) => [p.date, p.start_time, p.start_time_utc])).toEqual([
        ['2025-03-08', '2025-03-08T00:00:00', '2025-03-08T06:00:00'],
        ['2025-03-09', '2025-03-09T00:00:00', '2025-03-09T06:00:00'],
        ['2025-03-10', '2025-03-10T00:00:00', '2025-03-10T05:00:00'],
      ]);
      // 23 of the session's 71 hours had an experiment running.
      expect(r.totalRuntimeHours).toBe(71);
      expect(r.totalActiveTimeHours).toBe(23);
      expect(r.workcells[0]).toMatchObject({ workcellId: WC.chicago, averageUtilization: 32.4, totalRuntimeHours: 71 });
    });

    it('gives the day Europe/Berlin falls back 25 hours', async () => {
      const r = await periods('2025-10-25T22:00:00Z', '2025-10-27T23:00:00Z', 'DAILY', 'Europe/Berlin');
      expect(r.periods.map((p) => [p.periodDisplay, p.start, p.end, p.runtimeHours])).toEqual([
        ['2025-10-26', '2025-10-25T22:00:00.000Z', '2025-10-26T23:00:00.000Z', 25],
        ['2025-10-27', '2025-10-26T23:00:00.000Z', '2025-10-27T23:00:00.000Z', 24],
      ]);
      expect(r.timezone).toBe('Europe/Berlin');
      expect(r.csv).toContain('\r\nUser Timezone,Europe/Berlin\r\n');
    });

    it('starts weeks on Monday, and counts a whole first week of experiments', async () => {
      const r = await periods('2025-04-09T12:00:00Z', '2025-04-23T12:00:00Z', 'WEEKLY', 'UTC');
      expect(
        r.periods.map((p) => [p.periodDisplay, p.periodShort, p.start, p.end, p.experiments, p.runtimeHours]),
      ).toEqual([
        ['Week of 2025-04-07', 'Week 04/07', '2025-04-07T00:00:00.000Z', '2025-04-14T00:00:00.000Z', 1, 2],
        ['Week of 2025-04-14', 'Week 04/14', '2025-04-14T00:00:00.000Z', '2025-04-21T00:00:00.000Z', 1, 0],
        ['Week of 2025-04-21', 'Week 04/21', '2025-04-21T00:00:00.000Z', '2025-04-23T12:00:00.000Z', 0, 0],
      ]);
      expect(series(r.report).map((p) => [p.date, p.start_time, p.start_time_utc])).toEqual([
        ['', '', '2025-04-07T00:00:00'],
        ['', '', '2025-04-14T00:00:00'],
        ['', '', '2025-04-21T00:00:00'],
      ]);
    });

    it('gives months their own lengths: 744, 672, 744 and 720 hours of an open session', async () => {
      const r = await periods('2026-01-01T00:00:00Z', '2026-05-01T00:00:00Z', 'MONTHLY', 'UTC');
      expect(r.periods.map((p) => [p.periodDisplay, p.periodShort, p.runtimeHours])).toEqual([
        ['January 2026', 'Jan 2026', 744],
        ['February 2026', 'Feb 2026', 672],
        ['March 2026', 'Mar 2026', 744],
        ['April 2026', 'Apr 2026', 720],
      ]);
      expect(series(r.report).map((p) => p.date)).toEqual(['2026-01', '2026-02', '2026-03', '2026-04']);
      expect(r.totalRuntimeHours).toBe(2880);
      // No experiments: nothing is active, and no bucket is a peak.
      expect(r).toMatchObject({ averageUtilization: 0, peakUtilization: 0, peakPeriod: null, activePeriods: 0 });
    });

    it('refuses an unknown time zone and a window that ends before it starts', async () => {
      const zone = await server.gql(UtilizationPeriodsDocument, {
        from: '2025-01-06T00:00:00Z',
        to: '2025-01-07T00:00:00Z',
        timezone: 'Mars/Olympus_Mons',
      });
      expect(zone.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'timezone' });
      const reversed = await server.gql(UtilizationPeriodsDocument, {
        from: '2025-01-07T00:00:00Z',
        to: '2025-01-06T00:00:00Z',
      });
      expect(reversed.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
      const tooMany = await server.gql(UtilizationPeriodsDocument, {
        from: '2000-01-01T00:00:00Z',
        to: '2025-01-01T00:00:00Z',
        period: 'HOURLY',
      });
      expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'period' });
    });
  });

  describe('eventCounts', () => {
    const CHICAGO_SPRING = { from: '2025-03-08T06:00:00Z', to: '2025-03-11T05:00:00Z' };

    it('buckets days at local midnights across DST, with the empty ones at 0', async () => {
      expect(await counts('NONE', CHICAGO_SPRING, 'DAY', 'America/Chicago')).toEqual([
        { key: null, bucketStart: '2025-03-08T06:00:00.000Z', count: 1 },
        { key: null, bucketStart: '2025-03-09T06:00:00.000Z', count: 2 },
        { key: null, bucketStart: '2025-03-10T05:00:00.000Z', count: 2 },
      ]);
      expect(
        await counts('NONE', { from: '2025-10-25T22:00:00Z', to: '2025-10-27T23:00:00Z' }, 'DAY', 'Europe/Berlin'),
      ).toEqual([
        { key: null, bucketStart: '2025-10-25T22:00:00.000Z', count: 2 },
        { key: null, bucketStart: '2025-10-26T23:00:00.000Z', count: 0 },
      ]);
      // The other two transitions: Berlin springs forward (23 hours), Chicago falls back (25 hours).
      const starts = async (from: string, to: string, zone: string) =>
        (await counts('NONE', { from, to }, 'DAY', zone)).map((row) => row.bucketStart);
      expect(await starts('2025-03-29T23:00:00Z', '2025-03-31T22:00:00Z', 'Europe/Berlin')).toEqual([
        '2025-03-29T23:00:00.000Z',
        '2025-03-30T22:00:00.000Z',
      ]);
      expect(await starts('2025-11-02T05:00:00Z', '2025-11-04T06:00:00Z', 'America/Chicago')).toEqual([
        '2025-11-02T05:00:00.000Z',
        '2025-11-03T06:00:00.000Z',
      ]);
      const fallBackHours = await counts(
        'NONE',
        { from: '2025-11-02T05:00:00Z', to: '2025-11-03T06:00:00Z' },
        'HOUR',
        'America/Chicago',
      );
      expect(fallBackHours).toHaveLength(25);
      expect(fallBackHours.every((row) => row.count === 0)).toBe(true);
    });

    it('starts weeks on Monday in the zone', async () => {
      const rows = await counts(
        'NONE',
        { from: '2025-04-09T00:00:00Z', to: '2025-04-23T00:00:00Z' },
        'WEEK',
        'Europe/Berlin',
      );
      expect(rows).toEqual([
        { key: null, bucketStart: '2025-04-06T22:00:00.000Z', count: 2 },
        { key: null, bucketStart: '2025-04-13T22:00:00.000Z', count: 1 },
        { key: null, bucketStart: '2025-04-20T22:00:00.000Z', count: 0 },
      ]);
    });

    it('gives months their own lengths in the zone', async () => {
      const rows = await counts(
        'EVENT_TYPE',
        { from: '2026-01-01T06:00:00Z', to: '2026-05-01T05:00:00Z' },
        'MONTH',
        'America/Chicago',
      );
      expect(rows).toEqual([
        { key: 'LOG_INFO', bucketStart: '2026-01-01T06:00:00.000Z', count: 1 },
        { key: 'LOG_INFO', bucketStart: '2026-02-01T06:00:00.000Z', count: 2 },
        { key: 'LOG_INFO', bucketStart: '2026-03-01T06:00:00.000Z', count: 2 },
        { key: 'LOG_INFO', bucketStart: '2026-04-01T05:00:00.000Z', count: 0 },
      ]);
    });

    it('groups by type, level and source ids', async () => {
      const day = { from: '2025-02-17T00:00:00Z', to: '2025-02-18T00:00:00Z' };
      expect(await counts('EVENT_TYPE', day)).toEqual([
        { key: 'LOG_INFO', bucketStart: null, count: 7 },
        { key: 'LOG_DEBUG', bucketStart: null, count: 1 },
        { key: 'LOG_WARNING', bucketStart: null, count: 1 },
        { key: 'WORKFLOW_COMPLETE', bucketStart: null, count: 1 },
      ]);
      expect(await counts('LOG_LEVEL', day)).toEqual([{ key: 'INFO', bucketStart: null, count: 10 }]);
      expect(await counts('NODE', day)).toEqual([
        { key: null, bucketStart: null, count: 6 },
        { key: N.logged, bucketStart: null, count: 4 },
      ]);
      expect(await counts('WORKCELL', { ...day, eventTypes: ['LOG_INFO'] })).toEqual([
        { key: null, bucketStart: null, count: 5 },
        { key: WC.logged, bucketStart: null, count: 2 },
      ]);
    });

    it('adds up to eventPage.totalCount for the same filter, however it groups and buckets', async () => {
      const filters: EventFilter[] = [
        {},
        { archived: 'ALL' },
        { minLevel: 'WARNING' },
        { eventTypes: ['WORKCELL_START', 'WORKCELL_STOP', 'EXPERIMENT_START'] },
        { source: { workcellId: [WC.logged, WC.months] } },
        { text: 'cdt' },
        { from: '2025-02-01T00:00:00Z', to: '2025-04-01T00:00:00Z' },
        { or: [{ eventTypes: ['LOG_DEBUG'] }, { source: { nodeId: [N.strings] } }] },
      ];
      for (const filter of filters) {
        const { eventPage } = await server.ok(AnalyticsEventTotalDocument, { filter });
        // Day buckets only over a bounded range: FerretDB answers one query per bucket.
        const shapes = [
          ['NONE', undefined],
          ['EVENT_TYPE', undefined],
          ['NODE', 'WEEK'],
          ['WORKCELL', 'MONTH'],
          ...(filter.from ? [['NONE', 'DAY'] as const] : []),
        ] as const;
        for (const [groupBy, bucket] of shapes) {
          const rows = await counts(groupBy, filter, bucket, 'America/Chicago');
          expect(
            rows.reduce((sum, row) => sum + row.count, 0),
            `${JSON.stringify(filter)} by ${groupBy}/${bucket}`,
          ).toBe(eventPage.totalCount);
        }
      }
    });

    it('refuses an unknown time zone and too many buckets', async () => {
      const zone = await server.gql(EventCountsDocument, {
        groupBy: 'NONE',
        bucket: 'DAY',
        timezone: 'Nowhere/Special',
      });
      expect(zone.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'timezone' });
      const minutes = await server.gql(EventCountsDocument, {
        groupBy: 'NONE',
        bucket: 'MINUTE',
        filter: { from: '2025-01-01T00:00:00Z', to: '2025-03-01T00:00:00Z' },
      });
      expect(minutes.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'bucket' });
    });
  });

  describe('event downloads', () => {
    const filter = {
      eventTypes: ['WORKCELL_START', 'WORKCELL_STOP'],
      from: '2025-02-01T00:00:00Z',
      to: '2025-05-01T00:00:00Z',
    };

    it('streams the events a filter matches as CSV, oldest first', async () => {
      const response = await fetch(
        `${server.url}/export/events.csv?filter=${encodeURIComponent(JSON.stringify(filter))}`,
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(response.headers.get('content-disposition')).toBe('attachment; filename="events.csv"');
      const lines = (await response.text()).split('\r\n');
      expect(lines.at(-1)).toBe('');
      expect(lines[0]).toBe(
        'id,eventType,logLevel,logLevelValue,alert,eventTimestamp,receivedAt,userId,experimentId,campaignId,projectId,nodeId,workcellId,labId,stepId,workflowId,managerId,eventData,traceId,spanId,archived,archivedAt',
      );
      const rows = lines.slice(1, -1).map((line) => line.split(','));
      const { eventPage } = await server.ok(AnalyticsEventTotalDocument, { filter: filter as EventFilter });
      expect(rows).toHaveLength(eventPage.totalCount);
      expect(rows.map((r) => r[5])).toEqual([...rows.map((r) => r[5]!)].sort());
      expect(rows[0]!.slice(1, 6)).toEqual(['WORKCELL_START', 'INFO', '20', 'false', '2025-02-03T08:00:00.000Z']);
      expect(rows[0]![12]).toBe(WC.overlap);
      // A string payload is written as JSON text, quoted as CSV needs.
      expect(lines.find((line) => line.includes(WC.strings))).toContain(',"""workcell booting""",');
    });

    it('streams the same events as NDJSON in the GraphQL Event shape', async () => {
      const response = await fetch(
        `${server.url}/export/events.ndjson?filter=${encodeURIComponent(JSON.stringify(filter))}`,
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
      expect(response.headers.get('content-disposition')).toBe('attachment; filename="events.ndjson"');
      const events = (await response.text())
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(events.map((e) => e.eventType)).toEqual([
        'WORKCELL_START',
        'WORKCELL_START',
        'WORKCELL_START',
        'WORKCELL_STOP', // 2025-02-03
        'WORKCELL_START',
        'WORKCELL_STOP', // 2025-02-10
        'WORKCELL_START',
        'WORKCELL_STOP', // Chicago
        'WORKCELL_START',
        'WORKCELL_STOP', // April
      ]);
      expect(events[0]).toMatchObject({
        logLevel: 'INFO',
        logLevelValue: 20,
        eventTimestamp: '2025-02-03T08:00:00.000Z',
        source: { workcellId: WC.overlap, nodeId: null },
        archived: false,
        archivedAt: null,
      });
    });

    it('answers bad arguments with 400 and a BAD_USER_INPUT body', async () => {
      const bad = [
        '/export/events.csv?filter=not-json',
        `/export/events.ndjson?filter=${encodeURIComponent(JSON.stringify({ minLevel: 'LOUD' }))}`,
        `/export/events.csv?filter=${encodeURIComponent(JSON.stringify({ from: 'yesterday' }))}`,
        '/export/events.csv?filter=a&filter=b',
        '/export/utilization/sessions.csv?from=soon',
        '/export/utilization/periods.csv?from=2025-01-06T00:00:00Z&to=2025-01-07T00:00:00Z&period=YEARLY',
        '/export/utilization/periods.csv?from=2025-01-06T00:00:00Z&to=2025-01-07T00:00:00Z&timezone=Mars/Base',
        '/export/utilization/periods.csv?from=2025-01-06T00:00:00Z&to=2025-01-07T00:00:00Z&includeUsers=maybe',
      ];
      for (const path of bad) {
        const response = await fetch(`${server.url}${path}`);
        expect(response.status, path).toBe(400);
        const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
        expect(body.errors[0]!.extensions.code, path).toBe('BAD_USER_INPUT');
        expect(body.errors[0]!.message.length).toBeGreaterThan(0);
      }
      expect((await fetch(`${server.url}/export/utilization/everything.csv`)).status).toBe(404);
    });
  });
});

describe('event downloads of many events (sqlite)', () => {
  let server: TestServer;
  const COUNT = 6000;
  beforeAll(async () => {
    server = await startTestServer('sqlite');
    const base = Date.UTC(2025, 5, 2);
    await logAll(
      server,
      Array.from({ length: COUNT }, (_, i) =>
        ev(new Date(base + i * 1000).toISOString(), 'LOG_INFO', {}, { message: `line ${i}`, payload: 'x'.repeat(200) }),
      ),
    );
  });
  afterAll(async () => server?.stop());

  it('streams every event, in order, across many chunks', async () => {
    const response = await fetch(`${server.url}/export/events.ndjson`);
    const lines = (await response.text()).trimEnd().split('\n');
    expect(lines).toHaveLength(COUNT);
    expect(lines.map((line) => (JSON.parse(line) as { eventData: { message: string } }).eventData.message)).toEqual(
      Array.from({ length: COUNT }, (_, i) => `line ${i}`),
    );
  });

  it('stops reading when the client goes away, and keeps serving', async () => {
    const controller = new AbortController();
    const response = await fetch(`${server.url}/export/events.csv`, { signal: controller.signal });
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    controller.abort();
    await expect(reader.read()).rejects.toThrow();
    // The server is still healthy and the next download is complete.
    const again = await fetch(`${server.url}/export/events.csv`);
    expect((await again.text()).split('\r\n')).toHaveLength(COUNT + 2);
    const { eventPage } = await server.ok(AnalyticsEventTotalDocument, {});
    expect(eventPage.totalCount).toBe(COUNT);
  });
});

describe.each(STORE_KINDS)('an empty collection on %s', (kind) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(kind);
  });
  afterAll(async () => server?.stop());

  it('reports the last 24 hours when no window is given (the intended MADSci fallback)', async () => {
    const before = Date.now();
    const { sessionUtilization: r } = await server.ok(SessionUtilizationDocument, {});
    const end = Date.parse(r.analysisEnd);
    expect(end).toBeGreaterThanOrEqual(before - 1000);
    expect(end - Date.parse(r.analysisStart)).toBe(24 * 3600 * 1000);
    expect(r).toMatchObject({ totalSessions: 1, totalSystemRuntimeHours: 24, totalExperiments: 0 });
  });

  it('counts nothing, but still lists the empty buckets of a given range', async () => {
    expect((await server.ok(EventCountsDocument, { groupBy: 'EVENT_TYPE' })).eventCounts).toEqual([]);
    expect((await server.ok(EventCountsDocument, { groupBy: 'NONE' })).eventCounts).toEqual([
      { key: null, bucketStart: null, count: 0 },
    ]);
    expect((await server.ok(EventCountsDocument, { groupBy: 'NONE', bucket: 'DAY' })).eventCounts).toEqual([]);
    const { eventCounts } = await server.ok(EventCountsDocument, {
      groupBy: 'NONE',
      bucket: 'HOUR',
      filter: { from: '2025-01-06T00:00:00Z', to: '2025-01-06T03:00:00Z' },
    });
    expect(eventCounts).toEqual([
      { key: null, bucketStart: '2025-01-06T00:00:00.000Z', count: 0 },
      { key: null, bucketStart: '2025-01-06T01:00:00.000Z', count: 0 },
      { key: null, bucketStart: '2025-01-06T02:00:00.000Z', count: 0 },
    ]);
  });

  it('downloads an events CSV with only its header', async () => {
    const response = await fetch(`${server.url}/export/events.csv`);
    expect(response.status).toBe(200);
    expect((await response.text()).split('\r\n')).toHaveLength(2);
  });
});
