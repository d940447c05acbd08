/**
 * MADSci's worked example (docs/utilization-reports.md#worked-example): the numbers MADSci's own analyzer produced on
 * nine events must come out of every report, exactly, on both stores, and the CSV must match
 * MADSci's file line by line except the generation stamp.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ExportUtilizationReportDocument,
  SessionUtilizationDocument,
  UserUtilizationDocument,
  UtilizationPeriodsDocument,
} from './generated/graphql';
import { crlf, GENERATED_AT, logAll, N1, W1, WC, withG, WORKED_EXAMPLE, X1 } from './support/analytics';
import { startTestServer, type TestServer } from './support/server';
import { STORE_KINDS } from './support/stores';

const WINDOW = { from: '2025-01-06T08:00:00Z', to: '2025-01-06T12:00:00Z' };
const TWO_DAYS = { from: '2025-01-06T00:00:00Z', to: '2025-01-08T00:00:00Z' };

const duration = (seconds: number, display: string, unit: string, value: number) => ({
  display,
  seconds,
  minutes: seconds / 60,
  hours: seconds / 3600,
  primary_unit: unit,
  primary_value: value,
});

/** The session report MADSci produced on the worked example (docs/utilization-reports.md#worked-example), `generated_at` aside. */
const SESSION_REPORT = {
  report_metadata: {
    generated_at: expect.stringMatching(GENERATED_AT),
    analysis_start: '2025-01-06T08:00:00',
    analysis_end: '2025-01-06T12:00:00',
    total_sessions: 1,
    analysis_duration_hours: 4.0,
  },
  overall_summary: {
    total_sessions: 1,
    total_system_runtime_hours: 3.0,
    total_active_time_hours: 2.0,
    average_system_utilization_percent: 66.7,
    total_experiments: 1,
    nodes_tracked: 1,
    node_summary: { [N1]: { average_utilization_percent: 17.1, total_busy_time_hours: 0.5, sessions_active: 1 } },
    analysis_period: { start_time: '2025-01-06T08:00:00', end_time: '2025-01-06T12:00:00', duration_hours: 4.0 },
  },
  session_details: [
    {
      session_type: 'workcell',
      session_id: WC,
      session_name: 'Workcell 0000WC01',
      start_time: '2025-01-06T08:00:00',
      end_time: '2025-01-06T11:00:00',
      timing: {
        duration: duration(10800, '3.0h', 'hours', 3),
        active_time: duration(7200, '2.0h', 'hours', 2),
        idle_time: duration(3600, '1.0h', 'hours', 1),
      },
      system_utilization_percent: 66.7,
      total_experiments: 1,
      experiment_details: [{ experiment_id: X1, experiment_name: 'Exp A', display_name: 'Exp A' }],
      nodes_active: 1,
      node_utilizations: {
        [N1]: {
          node_id: N1,
          node_name: 'robot_arm',
          display_name: 'robot_arm (00000N01)',
          utilization_percent: 17.1,
          state: 'idle',
          timing: {
            busy_time: duration(1800, '30.0m', 'minutes', 30),
            idle_time: duration(8700, '2.4h', 'hours', 2.4166666666666665),
            total_time: duration(10800, '3.0h', 'hours', 3),
          },
          raw_hours: { busy: 0.5, idle: 2.4166666666666665, total: 3.0 },
          busy_time_hours: 0.5,
          idle_time_hours: 2.4166666666666665,
        },
      },
      raw_hours: { duration: 3.0, active: 2.0, idle: 1.0 },
      duration_hours: 3.0,
      active_time_hours: 2.0,
    },
  ],
};

/** The worked example's whole session CSV (docs/utilization-reports.md#worked-example). */
const SESSION_CSV = crlf([
  '=== UTILIZATION REPORT ===',
  '',
  'Report Metadata',
  'Generated At,G',
  'Analysis Start,2025-01-06T08:00:00',
  'Analysis End,2025-01-06T12:00:00',
  'Total Sessions,1',
  'Analysis Duration (hours),4.0',
  '',
  'Overall Summary',
  'Total Sessions,1',
  'Total System Runtime (hours),3.0',
  'Total Active Time (hours),2.0',
  'Average System Utilization (%),66.7',
  'Total Experiments,1',
  'Nodes Tracked,1',
  '',
  '=== SESSION DETAILS ===',
  'Session Type,Session Name,Start Time,End Time,Duration (hours),System Utilization (%),Total Experiments,Nodes Active',
  'workcell,Workcell 0000WC01,2025-01-06T08:00:00,2025-01-06T11:00:00,3.0,66.7,1,1',
  '',
  '=== NODE SUMMARY ===',
  'Node ID,Average Utilization (%),Total Busy Time (hours),Sessions Active',
  '01JGZ8Q5T30000000000000N01,17.1,0.5,1',
]);

/** The user CSV (docs/utilization-reports.md#user-report-csv layout, values of docs/utilization-reports.md#worked-example). */
const USER_CSV = crlf([
  '=== DETAILED USER UTILIZATION REPORT ===',
  '',
  'Report Metadata',
  'Generated At,G',
  'Analysis Start,2025-01-06T08:00:00',
  'Analysis End,2025-01-06T12:00:00',
  'Total Users,1',
  'Total Workflows,1',
  '',
  'System Summary',
  'Total Workflows,1',
  'Total Runtime (hours),0.75',
  'Average Workflow Duration (hours),0.75',
  'Completion Rate (%),100.0',
  'Author Attribution Rate (%),100.0',
  '',
  '=== USER DETAILS ===',
  'Author,Total Workflows,Completed,Failed,Cancelled,Total Runtime (hours),Avg Duration (hours),Completion Rate (%),Shortest (hours),Longest (hours)',
  'alice,1,1,0,0,0.75,0.75,100.0,0.75,0.75',
]);

/** The worked example's daily periods CSV (docs/utilization-reports.md#worked-example): metadata and key metrics, then the file from the time series on. */
const PERIODS_CSV = crlf([
  '=== UTILIZATION PERIODS REPORT ===',
  '',
  'Metadata',
  'Analysis Type,daily',
  'Generated At,G',
  'Period Start,2025-01-06T00:00:00',
  'Period End,2025-01-08T00:00:00',
  'User Timezone,UTC',
  'Total Periods,2',
  '',
  'Key Metrics',
  'Average Utilization (%),66.67',
  'Peak Utilization (%),66.67',
  'Peak Period,2025-01-06',
  'Total Experiments,1',
  'Total Runtime (hours),3.0',
  'Total Active Time (hours),2.0',
  'Active Periods,1',
  'Total Periods,2',
  '',
  '=== TIME SERIES DATA ===',
  'Period Number,Period Type,Period Display,Date,Start Time,Utilization (%),Experiments,Runtime (hours)',
  '1,day,2025-01-06,2025-01-06,2025-01-06T00:00:00,66.66666666666666,1,3.0',
  '2,day,2025-01-07,2025-01-07,2025-01-07T00:00:00,0,0,0',
  '',
  '=== NODE SUMMARY ===',
  'Node ID,Node Name,Display Name,Average Utilization (%),Peak Utilization (%),Peak Period,Total Busy (hours)',
  '01JGZ8Q5T30000000000000N01,robot_arm,robot_arm (00000N01),17.1,17.1,2025-01-06,0.5',
  '',
  '=== WORKCELL SUMMARY ===',
  'Workcell ID,Workcell Name,Display Name,Average Utilization (%),Peak Utilization (%),Peak Period,Total Experiments,Total Runtime (hours),Total Active Time (hours)',
  '01JGZ8Q5T3000000000000WC01,Demo Workcell,Demo Workcell (0000WC01),66.7,66.7,2025-01-06,1,3.0,2.0',
  '',
  '=== USER UTILIZATION ===',
  'Author,Total Workflows,Total Runtime (hours),Completion Rate (%),Average Workflow Duration (hours)',
  'alice,1,0.75,100.0,0.75',
  '',
  '=== EXPERIMENT DETAILS ===',
  'Experiment ID,Experiment Name,Start Time,End Time,Status,Duration (hours),Duration Display',
  '01JGZ8Q5T30000000000000X01,Unknown Experiment,2025-01-06T08:30:00,2025-01-06T10:30:00,completed,2.0,2.0 hours',
  '',
]);

describe.each(STORE_KINDS)("MADSci's worked example on %s", (kind) => {
  let server: TestServer;
  let exportDir: string;

  beforeAll(async () => {
    exportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-exports-'));
    server = await startTestServer(kind, { EXPORT_DIR: exportDir });
    await logAll(server, WORKED_EXAMPLE);
  });
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(exportDir, { recursive: true, force: true });
  });

  describe('session report (08:00Z to 12:00Z)', () => {
    it("equals MADSci's JSON report key for key", async () => {
      const { sessionUtilization } = await server.ok(SessionUtilizationDocument, WINDOW);
      expect(sessionUtilization.report).toEqual(SESSION_REPORT);
      // Key order is MADSci's too.
      expect(Object.keys((sessionUtilization.report as { session_details: object[] }).session_details[0]!)).toEqual(
        Object.keys(SESSION_REPORT.session_details[0]!),
      );
    });

    it('gives the main figures as typed fields', async () => {
      const { sessionUtilization: r } = await server.ok(SessionUtilizationDocument, WINDOW);
      expect(r).toMatchObject({
        analysisStart: '2025-01-06T08:00:00.000Z',
        analysisEnd: '2025-01-06T12:00:00.000Z',
        totalSessions: 1,
        analysisDurationHours: 4,
        totalSystemRuntimeHours: 3,
        totalActiveTimeHours: 2,
        averageSystemUtilizationPercent: 66.7,
        totalExperiments: 1,
        nodesTracked: 1,
        nodes: [{ nodeId: N1, averageUtilizationPercent: 17.1, totalBusyTimeHours: 0.5, sessionsActive: 1 }],
      });
      expect(r.sessions).toEqual([
        {
          sessionType: 'workcell',
          sessionId: WC,
          sessionName: 'Workcell 0000WC01',
          startTime: '2025-01-06T08:00:00.000Z',
          endTime: '2025-01-06T11:00:00.000Z',
          durationHours: 3,
          activeTimeHours: 2,
          systemUtilizationPercent: 66.7,
          totalExperiments: 1,
          experiments: [{ experimentId: X1, experimentName: 'Exp A', displayName: 'Exp A' }],
          nodesActive: 1,
          nodes: [
            {
              nodeId: N1,
              nodeName: 'robot_arm',
              displayName: 'robot_arm (00000N01)',
              utilizationPercent: 17.1,
              state: 'idle',
              busyTimeHours: 0.5,
              idleTimeHours: 2.4166666666666665,
              totalTimeHours: 3,
            },
          ],
        },
      ]);
    });

    it("writes MADSci's CSV line by line", async () => {
      const { sessionUtilization } = await server.ok(SessionUtilizationDocument, WINDOW);
      expect(withG(sessionUtilization.csv)).toBe(SESSION_CSV);
    });
  });

  describe('user report (same window)', () => {
    it('attributes the one completed workflow to alice', async () => {
      const { userUtilization: r } = await server.ok(UserUtilizationDocument, WINDOW);
      expect(r.report).toEqual({
        report_metadata: {
          generated_at: expect.stringMatching(GENERATED_AT),
          analysis_start: '2025-01-06T08:00:00',
          analysis_end: '2025-01-06T12:00:00',
          total_workflows: 1,
          total_users: 1,
          workflows_with_authors: 1,
          workflows_without_authors: 0,
        },
        system_summary: {
          total_workflows: 1,
          total_runtime_hours: 0.75,
          average_workflow_duration_hours: 0.75,
          completion_rate_percent: 100.0,
          workflows_with_known_authors: 1,
          author_attribution_rate_percent: 100.0,
        },
        user_utilization: {
          alice: {
            author: 'alice',
            total_workflows: 1,
            completed_workflows: 1,
            failed_workflows: 0,
            cancelled_workflows: 0,
            total_runtime_hours: 0.75,
            average_workflow_duration_hours: 0.75,
            shortest_workflow_hours: 0.75,
            longest_workflow_hours: 0.75,
            completion_rate_percent: 100.0,
            workflows: [
              {
                workflow_id: W1,
                workflow_name: 'transfer',
                start_time: null,
                end_time: '2025-01-06T09:45:00',
                duration_hours: 0.75,
                status: 'completed',
              },
            ],
          },
        },
      });
      expect(r).toMatchObject({
        totalWorkflows: 1,
        totalUsers: 1,
        workflowsWithAuthors: 1,
        workflowsWithoutAuthors: 0,
        totalRuntimeHours: 0.75,
        completionRatePercent: 100,
        authorAttributionRatePercent: 100,
      });
      expect(r.users[0]!.workflows[0]).toEqual({
        workflowId: W1,
        workflowName: 'transfer',
        startTime: null,
        endTime: '2025-01-06T09:45:00.000Z',
        durationHours: 0.75,
        status: 'completed',
      });
    });

    it("writes MADSci's detailed CSV", async () => {
      const { userUtilization } = await server.ok(UserUtilizationDocument, WINDOW);
      expect(withG(userUtilization.csv)).toBe(USER_CSV);
    });
  });

  describe('periods report, daily (2025-01-06 to 2025-01-08, UTC)', () => {
    it("equals MADSci's figures for both days", async () => {
      const { utilizationPeriods: r } = await server.ok(UtilizationPeriodsDocument, {
        ...TWO_DAYS,
        period: 'DAILY',
        timezone: 'UTC',
      });
      const report = r.report as Record<string, unknown>;
      expect(Object.keys(report)).toEqual([
        'summary_metadata',
        'key_metrics',
        'user_utilization',
        'node_summary',
        'workcell_summary',
        'trends',
        'experiment_details',
        'time_series',
      ]);
      expect(report.summary_metadata).toEqual({
        analysis_type: 'daily',
        generated_at: expect.stringMatching(GENERATED_AT),
        period_start: '2025-01-06T00:00:00',
        period_end: '2025-01-08T00:00:00',
        user_timezone: 'UTC',
        total_periods: 2,
        method: 'session_based_analysis_with_experiment_details_refactored',
      });
      expect(report.key_metrics).toEqual({
        average_utilization: 66.67,
        peak_utilization: 66.67,
        peak_period: '2025-01-06',
        peak_context: 'Peak utilization on 2025-01-06',
        total_experiments: 1,
        total_runtime_hours: 3.0,
        total_active_time_hours: 2.0,
        active_periods: 1,
        total_periods: 2,
      });
      expect(report.user_utilization).toEqual({
        total_users: 1,
        author_attribution_rate_percent: 100.0,
        top_users: [
          {
            author: 'alice',
            total_workflows: 1,
            total_runtime_hours: 0.75,
            completion_rate_percent: 100.0,
            average_workflow_duration_hours: 0.75,
          },
        ],
        system_totals: { total_workflows: 1, total_runtime_hours: 0.75, completion_rate_percent: 100.0 },
      });
      expect(report.node_summary).toEqual({
        [N1]: {
          node_id: N1,
          node_name: 'robot_arm',
          display_name: 'robot_arm (00000N01)',
          average_utilization: 17.1,
          peak_utilization: 17.1,
          peak_period: '2025-01-06',
          peak_context: 'Peak utilization on 2025-01-06',
          total_busy_hours: 0.5,
        },
      });
      expect(report.workcell_summary).toEqual({
        [WC]: {
          workcell_id: WC,
          workcell_name: 'Demo Workcell',
          display_name: 'Demo Workcell (0000WC01)',
          average_utilization: 66.7,
          peak_utilization: 66.7,
          peak_period: '2025-01-06',
          peak_context: 'Peak utilization on 2025-01-06',
          total_experiments: 1,
          total_runtime_hours: 3.0,
          total_active_time_hours: 2.0,
        },
      });
      expect(report.trends).toEqual({
        utilization_trend: { direction: 'insufficient_data', change_percent: 0 },
        experiment_trend: { direction: 'insufficient_data', change_percent: 0 },
      });
      expect(report.experiment_details).toEqual({
        total_experiments: 1,
        experiments: [
          {
            experiment_id: X1,
            experiment_name: 'Unknown Experiment',
            start_time: '2025-01-06T08:30:00',
            end_time: '2025-01-06T10:30:00',
            status: 'completed',
            duration_hours: 2.0,
            duration_display: '2.0 hours',
          },
        ],
      });
      expect(report.time_series).toEqual({
        system: [
          {
            period_number: 1,
            period_type: 'day',
            period_display: '2025-01-06',
            date: '2025-01-06',
            start_time: '2025-01-06T00:00:00',
            start_time_utc: '2025-01-06T00:00:00',
            utilization: 66.66666666666666,
            experiments: 1,
            runtime_hours: 3.0,
            active_time_hours: 2.0,
          },
          {
            period_number: 2,
            period_type: 'day',
            period_display: '2025-01-07',
            date: '2025-01-07',
            start_time: '2025-01-07T00:00:00',
            start_time_utc: '2025-01-07T00:00:00',
            utilization: 0,
            experiments: 0,
            runtime_hours: 0,
            active_time_hours: 0,
          },
        ],
        nodes: {
          [N1]: [
            {
              period_number: 1,
              period_type: 'day',
              period_display: '2025-01-06',
              date: '2025-01-06',
              utilization: 17.1,
              busy_hours: 0.5,
            },
          ],
        },
        workcells: {
          [WC]: [
            {
              period_number: 1,
              period_type: 'day',
              period_display: '2025-01-06',
              date: '2025-01-06',
              utilization: 66.7,
              experiments: 1,
              runtime_hours: 3.0,
              active_time_hours: 2.0,
              attributed: false,
            },
          ],
        },
      });
    });

    it('gives the main figures as typed fields', async () => {
      const { utilizationPeriods: r } = await server.ok(UtilizationPeriodsDocument, {
        ...TWO_DAYS,
        period: 'DAILY',
        timezone: 'UTC',
      });
      expect(r).toMatchObject({
        period: 'DAILY',
        timezone: 'UTC',
        totalPeriods: 2,
        averageUtilization: 66.67,
        peakUtilization: 66.67,
        peakPeriod: '2025-01-06',
        totalExperiments: 1,
        totalRuntimeHours: 3,
        totalActiveTimeHours: 2,
        activePeriods: 1,
        nodes: [
          { nodeId: N1, nodeName: 'robot_arm', averageUtilization: 17.1, peakUtilization: 17.1, totalBusyHours: 0.5 },
        ],
        workcells: [
          {
            workcellId: WC,
            workcellName: 'Demo Workcell',
            displayName: 'Demo Workcell (0000WC01)',
            averageUtilization: 66.7,
            totalExperiments: 1,
            totalRuntimeHours: 3,
          },
        ],
        topUsers: [
          {
            author: 'alice',
            totalWorkflows: 1,
            totalRuntimeHours: 0.75,
            completionRatePercent: 100,
            averageWorkflowDurationHours: 0.75,
          },
        ],
      });
      expect(
        r.periods.map((p) => [p.periodDisplay, p.start, p.end, p.utilization, p.experiments, p.runtimeHours]),
      ).toEqual([
        ['2025-01-06', '2025-01-06T00:00:00.000Z', '2025-01-07T00:00:00.000Z', 66.66666666666666, 1, 3],
        ['2025-01-07', '2025-01-07T00:00:00.000Z', '2025-01-08T00:00:00.000Z', 0, 0, 0],
      ]);
    });

    it("writes MADSci's CSV line by line (user summary included)", async () => {
      const { utilizationPeriods } = await server.ok(UtilizationPeriodsDocument, {
        ...TWO_DAYS,
        period: 'DAILY',
        timezone: 'UTC',
        includeUsers: true,
      });
      expect(withG(utilizationPeriods.csv)).toBe(PERIODS_CSV);
    });

    it('leaves the user summary out when users are not asked for', async () => {
      const { utilizationPeriods: r } = await server.ok(UtilizationPeriodsDocument, {
        ...TWO_DAYS,
        period: 'DAILY',
        timezone: 'UTC',
        includeUsers: false,
      });
      expect(r.report).not.toHaveProperty('user_utilization');
      expect(r.topUsers).toBeNull();
      expect(r.csv).not.toContain('=== USER UTILIZATION ===');
    });
  });

  describe('periods report, other types (08:00Z to 12:00Z, UTC)', () => {
    it('hourly: four buckets, each a session report of its own hour', async () => {
      const { utilizationPeriods: r } = await server.ok(UtilizationPeriodsDocument, {
        ...WINDOW,
        period: 'HOURLY',
        timezone: 'UTC',
      });
      const report = r.report as Record<string, Record<string, unknown>>;
      expect(report.key_metrics).toEqual({
        average_utilization: 50.0,
        peak_utilization: 50.0,
        peak_period: '2025-01-06 08:00',
        peak_context: 'Peak utilization in 2025-01-06 08:00',
        total_experiments: 1,
        total_runtime_hours: 4.0,
        total_active_time_hours: 0.5,
        active_periods: 1,
        total_periods: 4,
      });
      // Only the first hour sees the session start; the others are default sessions of one hour.
      expect(
        (report.time_series!.system as Record<string, unknown>[]).map((p) => [
          p.period_display,
          p.date,
          p.start_time,
          p.utilization,
          p.experiments,
          p.runtime_hours,
          p.active_time_hours,
        ]),
      ).toEqual([
        ['2025-01-06 08:00', '', '', 50.0, 1, 1.0, 0.5],
        ['2025-01-06 09:00', '', '', 0.0, 0, 1.0, 0.0],
        ['2025-01-06 10:00', '', '', 0.0, 0, 1.0, 0.0],
        ['2025-01-06 11:00', '', '', 0.0, 0, 1.0, 0.0],
      ]);
      expect(report.node_summary![N1]).toMatchObject({
        average_utilization: 25.0,
        peak_utilization: 50.0,
        peak_period: '2025-01-06 09:00',
        total_busy_hours: 0.5,
      });
      expect(
        (report.time_series!.nodes as Record<string, { utilization: number }[]>)[N1]!.map((p) => p.utilization),
      ).toEqual([0.0, 50.0]);
      expect(report.workcell_summary![WC]).toMatchObject({
        average_utilization: 50.0,
        total_runtime_hours: 1.0,
        total_active_time_hours: 0.5,
        total_experiments: 1,
      });
      expect(r.csv).toContain(
        '\r\n1,period,2025-01-06 08:00,,,50.0,1,1.0\r\n2,period,2025-01-06 09:00,,,0.0,0,1.0\r\n',
      );
    });

    it('weekly: one bucket from Monday 00:00, active time from the rounded utilization', async () => {
      const { utilizationPeriods: r } = await server.ok(UtilizationPeriodsDocument, {
        ...WINDOW,
        period: 'WEEKLY',
        timezone: 'UTC',
      });
      const report = r.report as Record<string, Record<string, unknown>>;
      expect((report.time_series!.system as unknown[])[0]).toEqual({
        period_number: 1,
        period_type: 'week',
        period_display: 'Week of 2025-01-06',
        date: '',
        start_time: '',
        start_time_utc: '2025-01-06T00:00:00',
        utilization: 66.7,
        experiments: 1,
        runtime_hours: 3.0,
        active_time_hours: 2.0010000000000003,
      });
      expect(report.key_metrics).toMatchObject({
        average_utilization: 66.7,
        total_active_time_hours: 2.0,
        peak_context: 'Peak utilization during Week of 2025-01-06',
        total_periods: 1,
      });
    });

    it('monthly: one bucket for January, clipped to the window', async () => {
      const { utilizationPeriods: r } = await server.ok(UtilizationPeriodsDocument, {
        ...WINDOW,
        period: 'MONTHLY',
        timezone: 'UTC',
      });
      const report = r.report as Record<string, Record<string, unknown>>;
      expect((report.time_series!.system as unknown[])[0]).toMatchObject({
        period_type: 'month',
        period_display: 'January 2025',
        date: '2025-01',
        start_time: '2025-01-01T00:00:00',
        start_time_utc: '2025-01-06T08:00:00',
        utilization: 66.66666666666666,
      });
      expect(report.key_metrics).toMatchObject({
        average_utilization: 66.67,
        peak_period: 'January 2025',
        peak_context: 'Peak utilization in January 2025',
      });
    });
  });

  describe('downloads', () => {
    it('serves each report as a CSV attachment, the same text as the query', async () => {
      const cases = [
        ['sessions', `from=${WINDOW.from}&to=${WINDOW.to}`, 'session_utilization_report.csv', SESSION_CSV],
        ['users', `from=${WINDOW.from}&to=${WINDOW.to}`, 'user_utilization_report.csv', USER_CSV],
        [
          'periods',
          `from=${TWO_DAYS.from}&to=${TWO_DAYS.to}&period=DAILY&timezone=UTC&includeUsers=true`,
          'utilization_periods_report.csv',
          PERIODS_CSV,
        ],
      ] as const;
      for (const [report, query, fileName, csv] of cases) {
        const response = await fetch(`${server.url}/export/utilization/${report}.csv?${query}`);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
        expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${fileName}"`);
        expect(withG(await response.text())).toBe(csv);
      }
    });

    it('saves a report into the export directory, and only there', async () => {
      const { exportUtilizationReport: saved } = await server.ok(ExportUtilizationReportDocument, {
        report: 'SESSIONS',
        ...WINDOW,
      });
      expect(path.dirname(saved.path)).toBe(path.resolve(exportDir));
      expect(path.basename(saved.path)).toMatch(/^madsci_utilization_report_basic_\d{8}\.csv$/);
      expect(withG(fs.readFileSync(saved.path, 'utf8'))).toBe(SESSION_CSV);
      expect(saved.bytes).toBe(fs.statSync(saved.path).size);

      const named = await server.ok(ExportUtilizationReportDocument, {
        report: 'PERIODS',
        ...TWO_DAYS,
        period: 'DAILY',
        timezone: 'UTC',
        fileName: 'january.csv',
      });
      expect(named.exportUtilizationReport.path).toBe(path.join(exportDir, 'january.csv'));
      expect(withG(fs.readFileSync(path.join(exportDir, 'january.csv'), 'utf8'))).toBe(PERIODS_CSV);

      for (const fileName of [
        '../escape.csv',
        '/tmp/escape.csv',
        'nested/escape.csv',
        '..',
        '.hidden.csv',
        'a\\b.csv',
      ]) {
        const refused = await server.gql(ExportUtilizationReportDocument, { report: 'USERS', ...WINDOW, fileName });
        expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'fileName' });
      }
      expect(fs.existsSync(path.join(exportDir, '..', 'escape.csv'))).toBe(false);
      expect(fs.readdirSync(exportDir).sort()).toEqual(['january.csv', path.basename(saved.path)].sort());
    });
  });
});
