/**
 * MADSci's CSV of the typed reports, written by hand: Python's csv layout (CRLF, minimal quoting,
 * None empty) and its int/float distinction (`0` where MADSci adds up nothing, `0.0` otherwise).
 */
import { describe, expect, it } from 'vitest';
import { UtilizationPeriod } from '../../src/analytics/analytics.enums';
import { periodsReportCsv, sessionReportCsv, userReportCsv } from '../../src/analytics/report-csv';
import { periodsReport, sessionReport, userReport } from './analytics-fixtures';

const lines = (csv: string): string[] => {
  expect(csv.endsWith('\r\n')).toBe(true);
  return csv.slice(0, -2).split('\r\n');
};

describe('session report CSV', () => {
  it("writes MADSci's layout, floats by repr, and quotes only where needed", () => {
    expect(lines(sessionReportCsv(sessionReport()))).toEqual([
      '=== UTILIZATION REPORT ===',
      '',
      'Report Metadata',
      'Generated At,2025-01-06T12:00:00.250000+00:00',
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
      'workcell,"Workcell, ""main""",2025-01-06T08:00:00,2025-01-06T11:00:00,3.0,66.7,1,1',
      '',
      '=== NODE SUMMARY ===',
      'Node ID,Average Utilization (%),Total Busy Time (hours),Sessions Active',
      '01JGZ8Q5T30000000000000N01,25.0,0.5,1',
    ]);
  });
});

describe('user report CSV', () => {
  it("prints Python's int 0 for figures of nothing, and lists authors in the JSON object's key order", () => {
    expect(lines(userReportCsv(userReport()))).toEqual([
      '=== DETAILED USER UTILIZATION REPORT ===',
      '',
      'Report Metadata',
      'Generated At,2025-01-06T12:00:00+00:00',
      'Analysis Start,2025-01-06T08:00:00',
      'Analysis End,2025-01-06T12:00:00',
      'Total Users,2',
      'Total Workflows,3',
      '',
      'System Summary',
      'Total Workflows,3',
      'Total Runtime (hours),0.0',
      'Average Workflow Duration (hours),0',
      'Completion Rate (%),33.33',
      'Author Attribution Rate (%),100.0',
      '',
      '=== USER DETAILS ===',
      'Author,Total Workflows,Completed,Failed,Cancelled,Total Runtime (hours),Avg Duration (hours),Completion Rate (%),Shortest (hours),Longest (hours)',
      // "42" is an integer-like key, which a JavaScript object puts first.
      '42,1,0,0,0,0,0,0.0,,',
      'alice,2,1,1,0,0.75,0.75,50.0,0.75,0.75',
    ]);
  });

  it('prints the rates of a window without workflows as ints, and a reported average as a float', () => {
    const empty = {
      ...userReport(),
      totalWorkflows: 0,
      totalUsers: 0,
      workflowsWithAuthors: 0,
      completionRatePercent: 0,
      authorAttributionRatePercent: 0,
      users: [],
      reportedDurations: 0,
    };
    expect(lines(userReportCsv(empty)).slice(10, 15)).toEqual([
      'Total Workflows,0',
      'Total Runtime (hours),0.0',
      'Average Workflow Duration (hours),0',
      'Completion Rate (%),0',
      'Author Attribution Rate (%),0',
    ]);
    const timed = { ...userReport(), averageWorkflowDurationHours: 0, reportedDurations: 1 };
    expect(lines(userReportCsv(timed))[12]).toBe('Average Workflow Duration (hours),0.0');
  });
});

describe('periods report CSV', () => {
  it('prints a bucket without sessions as ints, payload values as sent, and counts the experiments left out', () => {
    expect(lines(periodsReportCsv(periodsReport()))).toEqual([
      '=== UTILIZATION PERIODS REPORT ===',
      '',
      'Metadata',
      'Analysis Type,daily',
      'Generated At,2025-01-08T00:00:00+00:00',
      'Period Start,2025-01-06T06:00:00',
      'Period End,2025-01-08T06:00:00',
      'User Timezone,America/Chicago',
      'Total Periods,2',
      '',
      'Key Metrics',
      'Average Utilization (%),50.0',
      'Peak Utilization (%),50.0',
      'Peak Period,2025-01-06',
      'Total Experiments,1',
      'Total Runtime (hours),3.0',
      'Total Active Time (hours),1.5',
      'Active Periods,1',
      'Total Periods,2',
      '',
      '=== TIME SERIES DATA ===',
      'Period Number,Period Type,Period Display,Date,Start Time,Utilization (%),Experiments,Runtime (hours)',
      '1,day,2025-01-06,2025-01-06,2025-01-06T00:00:00,50.0,1,3.0',
      '2,day,2025-01-07,2025-01-07,2025-01-07T00:00:00,0,0,0',
      '',
      '=== NODE SUMMARY ===',
      'Node ID,Node Name,Display Name,Average Utilization (%),Peak Utilization (%),Peak Period,Total Busy (hours)',
      '01JGZ8Q5T30000000000000N01,,Node 00000N01,25.0,25.0,2025-01-06,0.5',
      '',
      '=== WORKCELL SUMMARY ===',
      'Workcell ID,Workcell Name,Display Name,Average Utilization (%),Peak Utilization (%),Peak Period,Total Experiments,Total Runtime (hours),Total Active Time (hours)',
      '01JGZ8Q5T3000000000000WC01,Demo,Demo (000000WC01),50.0,0,,1,3.0,1.5',
      '',
      '=== USER UTILIZATION ===',
      'Author,Total Workflows,Total Runtime (hours),Completion Rate (%),Average Workflow Duration (hours)',
      'alice,2,0.75,50.0,0.75',
      'bob,1,0,0.0,0',
      '',
      '=== EXPERIMENT DETAILS ===',
      'Experiment ID,Experiment Name,Start Time,End Time,Status,Duration (hours),Duration Display',
      '01JGZ8Q5T30000000000000X01,"{""title"":""Exp A"",""version"":2}",2025-01-06T08:30:00,2025-01-06T10:30:00,3,2.0,2.0 hours',
      '... and 50 more experiments',
      '',
    ]);
  });

  it('prints the totals of a window without sessions as ints, and says so when no node was active', () => {
    const r = periodsReport();
    const idle = {
      ...r,
      period: UtilizationPeriod.WEEKLY,
      averageUtilization: 0,
      peakUtilization: 0,
      peakPeriod: null,
      totalRuntimeHours: 0,
      totalActiveTimeHours: 0,
      periods: r.periods.map((p) => ({ ...p, utilization: 0, runtimeHours: 0, activeTimeHours: 0, sessions: 0 })),
      nodes: [],
      workcells: [],
      topUsers: null,
      userSummary: null,
      experimentDetails: { total: 0, experiments: [] },
    };
    expect(lines(periodsReportCsv(idle)).slice(11, 17)).toEqual([
      'Average Utilization (%),0',
      'Peak Utilization (%),0',
      'Peak Period,',
      'Total Experiments,1',
      'Total Runtime (hours),0',
      'Total Active Time (hours),0',
    ]);
    expect(lines(periodsReportCsv(idle)).slice(-5)).toEqual([
      '2,day,2025-01-07,2025-01-07,2025-01-07T00:00:00,0,0,0',
      '',
      '=== NODE SUMMARY ===',
      'No node data available for this time period',
      '',
    ]);
    expect(lines(periodsReportCsv({ ...idle, period: UtilizationPeriod.DAILY })).at(-2)).toBe(
      'No node activity detected during this daily analysis period',
    );
  });

  it('averages monthly buckets from the totals: a float as soon as one bucket has a session', () => {
    const r = periodsReport();
    // The active bucket has no session; the other one has: monthly still divides the totals.
    const periods = [
      { ...r.periods[0]!, sessions: 0, utilization: 0, runtimeHours: 0 },
      { ...r.periods[1]!, sessions: 1, utilization: 10, runtimeHours: 2 },
    ];
    expect(
      lines(periodsReportCsv({ ...r, period: UtilizationPeriod.MONTHLY, averageUtilization: 10, periods }))[11],
    ).toBe('Average Utilization (%),10.0');
    expect(lines(periodsReportCsv({ ...r, period: UtilizationPeriod.DAILY, averageUtilization: 0, periods }))[11]).toBe(
      'Average Utilization (%),0',
    );
  });
});
