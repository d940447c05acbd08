/**
 * MADSci's snake_case JSON of the typed reports, written by hand: keys in MADSci's order, maps
 * keyed by id, readable durations, and the parts that only appear on request.
 */
import { describe, expect, it } from 'vitest';
import { durationObject, periodsReportJson, sessionReportJson, userReportJson } from '../../src/analytics/report-json';
import { N1, periodsReport, sessionReport, userReport, WC, X1 } from './analytics-fixtures';

describe('readable durations', () => {
  it('uses seconds below a minute, minutes below an hour, else hours, with one decimal rounded as Python does', () => {
    expect(durationObject(45)).toEqual({
      display: '45.0s',
      seconds: 45,
      minutes: 0.75,
      hours: 0.0125,
      primary_unit: 'seconds',
      primary_value: 45,
    });
    expect(durationObject(1800)).toEqual({
      display: '30.0m',
      seconds: 1800,
      minutes: 30,
      hours: 0.5,
      primary_unit: 'minutes',
      primary_value: 30,
    });
    expect(durationObject(8550)).toMatchObject({ display: '2.4h', primary_unit: 'hours', primary_value: 2.375 }); // 2.375 is a binary tie: half to even
    expect(durationObject(0).display).toBe('0.0s');
    // The edges belong to the larger unit.
    expect([durationObject(60).display, durationObject(3600).display]).toEqual(['1.0m', '1.0h']);
  });
});

describe('session report JSON', () => {
  it("writes MADSci's keys in its order, the nodes keyed by id", () => {
    const json = sessionReportJson(sessionReport());
    expect(JSON.stringify(json.report_metadata)).toBe(
      '{"generated_at":"2025-01-06T12:00:00.250000+00:00","analysis_start":"2025-01-06T08:00:00","analysis_end":"2025-01-06T12:00:00","total_sessions":1,"analysis_duration_hours":4}',
    );
    expect(json.overall_summary).toEqual({
      total_sessions: 1,
      total_system_runtime_hours: 3,
      total_active_time_hours: 2,
      average_system_utilization_percent: 66.7,
      total_experiments: 1,
      nodes_tracked: 1,
      node_summary: { [N1]: { average_utilization_percent: 25, total_busy_time_hours: 0.5, sessions_active: 1 } },
      analysis_period: { start_time: '2025-01-06T08:00:00', end_time: '2025-01-06T12:00:00', duration_hours: 4 },
    });
    const [session] = json.session_details as Record<string, unknown>[];
    expect(Object.keys(session!)).toEqual([
      'session_type',
      'session_id',
      'session_name',
      'start_time',
      'end_time',
      'timing',
      'system_utilization_percent',
      'total_experiments',
      'experiment_details',
      'nodes_active',
      'node_utilizations',
      'raw_hours',
      'duration_hours',
      'active_time_hours',
    ]);
    expect(session!.timing).toEqual({
      duration: { display: '3.0h', seconds: 10800, minutes: 180, hours: 3, primary_unit: 'hours', primary_value: 3 },
      active_time: { display: '2.0h', seconds: 7200, minutes: 120, hours: 2, primary_unit: 'hours', primary_value: 2 },
      idle_time: { display: '1.0h', seconds: 3600, minutes: 60, hours: 1, primary_unit: 'hours', primary_value: 1 },
    });
    expect(session!.raw_hours).toEqual({ duration: 3, active: 2, idle: 1 });
    expect(session!.experiment_details).toEqual([
      { experiment_id: X1, experiment_name: 'Exp A', display_name: 'Exp A' },
    ]);
    expect((session!.node_utilizations as Record<string, unknown>)[N1]).toEqual({
      node_id: N1,
      node_name: 'robot_arm',
      display_name: 'robot_arm (00000N01)',
      utilization_percent: 25,
      state: 'idle',
      timing: {
        busy_time: {
          display: '30.0m',
          seconds: 1800,
          minutes: 30,
          hours: 0.5,
          primary_unit: 'minutes',
          primary_value: 30,
        },
        idle_time: {
          display: '1.5h',
          seconds: 5400,
          minutes: 90,
          hours: 1.5,
          primary_unit: 'hours',
          primary_value: 1.5,
        },
        total_time: {
          display: '3.0h',
          seconds: 10800,
          minutes: 180,
          hours: 3,
          primary_unit: 'hours',
          primary_value: 3,
        },
      },
      raw_hours: { busy: 0.5, idle: 1.5, total: 3 },
      busy_time_hours: 0.5,
      idle_time_hours: 1.5,
    });
  });
});

describe('user report JSON', () => {
  it('keys the users by author and writes naive instants, null where unknown', () => {
    const json = userReportJson(userReport());
    expect(json.report_metadata).toEqual({
      generated_at: '2025-01-06T12:00:00+00:00',
      analysis_start: '2025-01-06T08:00:00',
      analysis_end: '2025-01-06T12:00:00',
      total_workflows: 3,
      total_users: 2,
      workflows_with_authors: 3,
      workflows_without_authors: 0,
    });
    expect(json.system_summary).toEqual({
      total_workflows: 3,
      total_runtime_hours: 0,
      average_workflow_duration_hours: 0,
      completion_rate_percent: 33.33,
      workflows_with_known_authors: 3,
      author_attribution_rate_percent: 100,
    });
    const users = json.user_utilization as Record<string, Record<string, unknown>>;
    expect(Object.keys(users)).toEqual(['42', 'alice']);
    expect(users.alice!.workflows).toEqual([
      {
        workflow_id: 'W1',
        workflow_name: 'transfer',
        start_time: null,
        end_time: '2025-01-06T09:45:00',
        duration_hours: 0.75,
        status: 'completed',
      },
      {
        workflow_id: 'W2',
        workflow_name: 'mix',
        start_time: '2025-01-06T10:00:00.500000',
        end_time: null,
        duration_hours: null,
        status: 'failed',
      },
    ]);
    expect(users['42']).toMatchObject({
      shortest_workflow_hours: null,
      longest_workflow_hours: null,
      completion_rate_percent: 0,
    });
  });
});

describe('periods report JSON', () => {
  it("writes MADSci's sections in its order, with the user summary when asked for", () => {
    const json = periodsReportJson(periodsReport());
    expect(Object.keys(json)).toEqual([
      'summary_metadata',
      'key_metrics',
      'user_utilization',
      'node_summary',
      'workcell_summary',
      'trends',
      'experiment_details',
      'time_series',
    ]);
    expect(json.summary_metadata).toEqual({
      analysis_type: 'daily',
      generated_at: '2025-01-08T00:00:00+00:00',
      period_start: '2025-01-06T06:00:00',
      period_end: '2025-01-08T06:00:00',
      user_timezone: 'America/Chicago',
      total_periods: 2,
      method: 'session_based_analysis_with_experiment_details_refactored',
    });
    expect(json.user_utilization).toEqual({
      total_users: 2,
      author_attribution_rate_percent: 100,
      top_users: [
        {
          author: 'alice',
          total_workflows: 2,
          total_runtime_hours: 0.75,
          completion_rate_percent: 50,
          average_workflow_duration_hours: 0.75,
        },
        {
          author: 'bob',
          total_workflows: 1,
          total_runtime_hours: 0,
          completion_rate_percent: 0,
          average_workflow_duration_hours: 0,
        },
      ],
      system_totals: { total_workflows: 3, total_runtime_hours: 0.75, completion_rate_percent: 33.33 },
    });
    expect(json.trends).toEqual({
      utilization_trend: { direction: 'insufficient_data', change_percent: 0 },
      experiment_trend: { direction: 'insufficient_data', change_percent: 0 },
    });
    expect(json.experiment_details).toEqual({
      total_experiments: 51,
      experiments: [
        {
          experiment_id: X1,
          experiment_name: { title: 'Exp A', version: 2 },
          start_time: '2025-01-06T08:30:00',
          end_time: '2025-01-06T10:30:00',
          status: 3,
          duration_hours: 2,
          duration_display: '2.0 hours',
        },
      ],
    });
    const series = json.time_series as Record<string, unknown>;
    expect((series.system as unknown[])[1]).toEqual({
      period_number: 2,
      period_type: 'day',
      period_display: '2025-01-07',
      date: '2025-01-07',
      start_time: '2025-01-07T00:00:00',
      start_time_utc: '2025-01-07T06:00:00',
      utilization: 0,
      experiments: 0,
      runtime_hours: 0,
      active_time_hours: 0,
    });
    // A workcell without a series (no bucket where it ran) is left out of the series, not of the summary.
    expect(series.nodes).toEqual({
      [N1]: [
        {
          period_number: 1,
          period_type: 'day',
          period_display: '2025-01-06',
          date: '2025-01-06',
          utilization: 25,
          busy_hours: 0.5,
        },
      ],
    });
    expect(series.workcells).toEqual({});
    expect(Object.keys(json.workcell_summary as object)).toEqual([WC]);
  });

  it('leaves the user summary out when the users were not asked for, and writes full trends', () => {
    const trends = {
      utilization: {
        direction: 'increasing' as const,
        changePercent: 12.5,
        firstValue: 40,
        lastValue: 45,
        activePeriodsAnalyzed: 2,
      },
      experiments: {
        direction: 'stable' as const,
        changePercent: 0,
        firstValue: 0,
        lastValue: 1,
        activePeriodsAnalyzed: 2,
      },
    };
    const json = periodsReportJson({ ...periodsReport(), topUsers: null, userSummary: null, trends });
    expect(Object.keys(json)).not.toContain('user_utilization');
    expect(json.trends).toEqual({
      utilization_trend: {
        direction: 'increasing',
        change_percent: 12.5,
        first_value: 40,
        last_value: 45,
        active_periods_analyzed: 2,
      },
      experiment_trend: {
        direction: 'stable',
        change_percent: 0,
        first_value: 0,
        last_value: 1,
        active_periods_analyzed: 2,
      },
    });
  });
});
