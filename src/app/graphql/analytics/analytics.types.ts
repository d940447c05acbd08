import 'reflect-metadata';
import { GraphQLJSON } from 'graphql-scalars';
import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeISO } from '../scalars';
import { EventGroupBy, TimeBucket, UtilizationPeriod, UtilizationReportKind } from '../../../analytics/analytics.enums';
import type * as Report from '../../../analytics/report-types';
import type * as Names from '../../../analytics/source-names';

registerEnumType(UtilizationPeriod, {
  name: 'UtilizationPeriod',
  description: "Bucket size of the periods report (MADSci's analysis_type).",
});
registerEnumType(UtilizationReportKind, {
  name: 'UtilizationReportKind',
  description: 'Which utilization report to export.',
});
registerEnumType(EventGroupBy, {
  name: 'EventGroupBy',
  description: 'What eventCounts groups by: nothing, the stored event type, the level, or a source id.',
});
registerEnumType(TimeBucket, {
  name: 'TimeBucket',
  description: 'Time buckets of eventCounts, aligned in the requested time zone; weeks start on Monday.',
});

@ObjectType('EventCount', { description: 'Events of one group (and bucket).' })
export class EventCount {
  @Field(() => String, {
    nullable: true,
    description: 'The group: an event type or level name, or a source id; null for NONE or events without that id.',
  })
  key!: string | null;

  @Field(() => DateTimeISO, { nullable: true, description: 'Start of the bucket (null without buckets).' })
  bucketStart!: Date | null;

  @Field(() => Int)
  count!: number;
}

@ObjectType('SessionExperiment')
export class SessionExperiment implements Report.SessionExperiment {
  @Field(() => String) experimentId!: string;
  @Field(() => String, { nullable: true }) experimentName!: string | null;
  @Field(() => String) displayName!: string;
}

@ObjectType('SessionNodeUtilization', { description: 'One node in one session.' })
export class SessionNodeUtilization implements Report.SessionNodeUtilization {
  @Field(() => String) nodeId!: string;
  @Field(() => String, { nullable: true, description: 'From the node_name of its node_start events.' }) nodeName!:
    string | null;
  @Field(() => String) displayName!: string;
  @Field(() => Float, { description: 'busy / active time x 100, one decimal.' }) utilizationPercent!: number;
  @Field(() => String, { description: '`busy` when an action was running at the session end, else `idle`.' }) state!:
    'busy' | 'idle';
  @Field(() => Float) busyTimeHours!: number;
  @Field(() => Float) idleTimeHours!: number;
  @Field(() => Float) totalTimeHours!: number;
  // Not in the schema: what MADSci's JSON and CSV read besides the fields (see report-types).
  busySeconds!: number;
  idleSeconds!: number;
  totalSeconds!: number;
}

@ObjectType('UtilizationSession', {
  description: 'A period during which a workcell or lab ran (or the whole window when none started in it).',
})
export class UtilizationSession implements Report.UtilizationSession {
  @Field(() => String, { description: '`workcell`, `lab`, `system` or `default_analysis`.' })
  sessionType!: Report.UtilizationSession['sessionType'];
  @Field(() => String) sessionId!: string;
  @Field(() => String) sessionName!: string;
  @Field(() => DateTimeISO) startTime!: Date;
  @Field(() => DateTimeISO, { nullable: true }) endTime!: Date;
  @Field(() => Float) durationHours!: number;
  @Field(() => Float, { description: 'Time with at least one experiment running.' }) activeTimeHours!: number;
  @Field(() => Float, { description: 'active / duration x 100, one decimal.' }) systemUtilizationPercent!: number;
  @Field(() => Int) totalExperiments!: number;
  @Field(() => [SessionExperiment]) experiments!: SessionExperiment[];
  @Field(() => Int) nodesActive!: number;
  @Field(() => [SessionNodeUtilization]) nodes!: SessionNodeUtilization[];
  // Not in the schema: what MADSci's JSON and CSV read besides the fields (see report-types).
  durationSeconds!: number;
  activeSeconds!: number;
}

@ObjectType('NodeUtilizationSummary', { description: 'A node over every session of the report.' })
export class NodeUtilizationSummary implements Report.NodeUtilizationSummary {
  @Field(() => String) nodeId!: string;
  @Field(() => Float) averageUtilizationPercent!: number;
  @Field(() => Float) totalBusyTimeHours!: number;
  @Field(() => Int) sessionsActive!: number;
}

@ObjectType('SessionUtilizationReport', {
  description: "Sessions and their utilization, as MADSci's /utilization/sessions computes them.",
})
export class SessionUtilizationReport implements Report.SessionUtilizationReport, Report.MadsciRenderings {
  @Field(() => DateTimeISO) generatedAt!: Date;
  @Field(() => DateTimeISO) analysisStart!: Date;
  @Field(() => DateTimeISO) analysisEnd!: Date;
  @Field(() => Int) totalSessions!: number;
  @Field(() => Float) analysisDurationHours!: number;
  @Field(() => Float, { description: 'Sum of session durations (overlapping sessions count twice, as in MADSci).' })
  totalSystemRuntimeHours!: number;
  @Field(() => Float) totalActiveTimeHours!: number;
  @Field(() => Float) averageSystemUtilizationPercent!: number;
  @Field(() => Int) totalExperiments!: number;
  @Field(() => Int) nodesTracked!: number;
  @Field(() => [UtilizationSession]) sessions!: UtilizationSession[];
  @Field(() => [NodeUtilizationSummary]) nodes!: NodeUtilizationSummary[];
  @Field(() => GraphQLJSON, { description: "The report in MADSci's JSON shape (same keys and numbers)." })
  report!: Record<string, unknown>;
  @Field(() => String, { description: "The report as MADSci's CSV (CRLF line ends)." }) csv!: string;
}

@ObjectType('UserWorkflow')
export class UserWorkflow implements Report.UserWorkflow {
  @Field(() => String) workflowId!: string;
  @Field(() => String) workflowName!: string;
  @Field(() => DateTimeISO, { nullable: true }) startTime!: Date | null;
  @Field(() => DateTimeISO, { nullable: true }) endTime!: Date | null;
  @Field(() => Float, { nullable: true }) durationHours!: number | null;
  @Field(() => String) status!: string;
}

@ObjectType('UserUtilization', { description: "One workflow author's figures." })
export class UserUtilization implements Report.UserUtilization {
  @Field(() => String) author!: string;
  @Field(() => Int) totalWorkflows!: number;
  @Field(() => Int) completedWorkflows!: number;
  @Field(() => Int) failedWorkflows!: number;
  @Field(() => Int) cancelledWorkflows!: number;
  @Field(() => Float) totalRuntimeHours!: number;
  @Field(() => Float) averageWorkflowDurationHours!: number;
  @Field(() => Float, { nullable: true }) shortestWorkflowHours!: number | null;
  @Field(() => Float, { nullable: true }) longestWorkflowHours!: number | null;
  @Field(() => Float) completionRatePercent!: number;
  @Field(() => [UserWorkflow]) workflows!: UserWorkflow[];
  // Not in the schema: what MADSci's JSON and CSV read besides the fields (see report-types).
  timedWorkflows!: number;
}

@ObjectType('UserUtilizationReport', {
  description: "Workflow authors and their runtimes, as MADSci's /utilization/user computes them.",
})
export class UserUtilizationReport implements Report.UserUtilizationReport, Report.MadsciRenderings {
  @Field(() => DateTimeISO) generatedAt!: Date;
  @Field(() => DateTimeISO) analysisStart!: Date;
  @Field(() => DateTimeISO) analysisEnd!: Date;
  @Field(() => Int) totalWorkflows!: number;
  @Field(() => Int) totalUsers!: number;
  @Field(() => Int) workflowsWithAuthors!: number;
  @Field(() => Int) workflowsWithoutAuthors!: number;
  @Field(() => Float) totalRuntimeHours!: number;
  @Field(() => Float) averageWorkflowDurationHours!: number;
  @Field(() => Float) completionRatePercent!: number;
  @Field(() => Float) authorAttributionRatePercent!: number;
  @Field(() => [UserUtilization]) users!: UserUtilization[];
  @Field(() => GraphQLJSON, { description: "The report in MADSci's JSON shape (same keys and numbers)." })
  report!: Record<string, unknown>;
  @Field(() => String, { description: "The report as MADSci's CSV (CRLF line ends)." }) csv!: string;
  // Not in the schema: what MADSci's JSON and CSV read besides the fields (see report-types).
  reportedDurations!: number;
}

@ObjectType('UtilizationPeriodPoint', { description: 'One bucket of the periods report.' })
export class UtilizationPeriodPoint implements Report.UtilizationPeriodPoint {
  @Field(() => Int) periodNumber!: number;
  @Field(() => String, { description: '`period` (hourly), `day`, `week` or `month`.' }) periodType!: Report.PeriodKind;
  @Field(() => String) periodDisplay!: string;
  @Field(() => String) periodShort!: string;
  @Field(() => DateTimeISO, {
    description: 'Bucket start (a local midnight, Monday or month start in the zone; the window start for hourly).',
  })
  start!: Date;
  @Field(() => DateTimeISO) end!: Date;
  @Field(() => DateTimeISO, { description: 'Start as analysed: daily and monthly buckets are clipped to the window.' })
  startTimeUtc!: Date;
  @Field(() => Float) utilization!: number;
  @Field(() => Int) experiments!: number;
  @Field(() => Float) runtimeHours!: number;
  @Field(() => Float) activeTimeHours!: number;
  // Not in the schema: what MADSci's JSON and CSV read besides the fields (see report-types).
  date!: string;
  localStartTime!: string;
  sessions!: number;
}

@ObjectType('PeriodNodeUtilization')
export class PeriodNodeUtilization implements Report.PeriodNodeUtilization {
  @Field(() => String) nodeId!: string;
  @Field(() => String, { nullable: true }) nodeName!: string | null;
  @Field(() => String) displayName!: string;
  @Field(() => Float) averageUtilization!: number;
  @Field(() => Float) peakUtilization!: number;
  @Field(() => String, { nullable: true }) peakPeriod!: string | null;
  @Field(() => Float) totalBusyHours!: number;
  // Not in the schema: what MADSci's JSON and CSV read besides the fields (see report-types).
  peakContext!: string;
  series!: Report.NodeSeriesPoint[];
}

@ObjectType('PeriodWorkcellUtilization')
export class PeriodWorkcellUtilization implements Report.PeriodWorkcellUtilization {
  @Field(() => String) workcellId!: string;
  @Field(() => String) workcellName!: string;
  @Field(() => String) displayName!: string;
  @Field(() => Float) averageUtilization!: number;
  @Field(() => Float) peakUtilization!: number;
  @Field(() => String, { nullable: true }) peakPeriod!: string | null;
  @Field(() => Int) totalExperiments!: number;
  @Field(() => Float) totalRuntimeHours!: number;
  @Field(() => Float) totalActiveTimeHours!: number;
  // Not in the schema: what MADSci's JSON and CSV read besides the fields (see report-types).
  peakContext!: string;
  series!: Report.WorkcellSeriesPoint[];
}

@ObjectType('PeriodTopUser')
export class PeriodTopUser implements Report.PeriodTopUser {
  @Field(() => String) author!: string;
  @Field(() => Int) totalWorkflows!: number;
  @Field(() => Float) totalRuntimeHours!: number;
  @Field(() => Float) completionRatePercent!: number;
  @Field(() => Float) averageWorkflowDurationHours!: number;
  // Not in the schema: what MADSci's JSON and CSV read besides the fields (see report-types).
  timedWorkflows!: number;
}

@ObjectType('UtilizationPeriodsReport', {
  description: "Utilization per hour, day, week or month, as MADSci's /utilization/periods computes it.",
})
export class UtilizationPeriodsReport implements Report.UtilizationPeriodsReport, Report.MadsciRenderings {
  @Field(() => UtilizationPeriod) period!: UtilizationPeriod;
  @Field(() => String) timezone!: string;
  @Field(() => DateTimeISO) generatedAt!: Date;
  @Field(() => DateTimeISO) periodStart!: Date;
  @Field(() => DateTimeISO) periodEnd!: Date;
  @Field(() => Int) totalPeriods!: number;
  @Field(() => Float) averageUtilization!: number;
  @Field(() => Float) peakUtilization!: number;
  @Field(() => String, { nullable: true }) peakPeriod!: string | null;
  @Field(() => Int) totalExperiments!: number;
  @Field(() => Float) totalRuntimeHours!: number;
  @Field(() => Float) totalActiveTimeHours!: number;
  @Field(() => Int, { description: 'Buckets with at least one experiment.' }) activePeriods!: number;
  @Field(() => [UtilizationPeriodPoint]) periods!: UtilizationPeriodPoint[];
  @Field(() => [PeriodNodeUtilization]) nodes!: PeriodNodeUtilization[];
  @Field(() => [PeriodWorkcellUtilization]) workcells!: PeriodWorkcellUtilization[];
  @Field(() => [PeriodTopUser], {
    nullable: true,
    description: 'Up to 10 authors by runtime; null unless includeUsers.',
  })
  topUsers!: PeriodTopUser[] | null;
  @Field(() => GraphQLJSON, { description: "The report in MADSci's JSON shape (same keys and numbers)." })
  report!: Record<string, unknown>;
  @Field(() => String, { description: "The report as MADSci's CSV (CRLF line ends)." }) csv!: string;
  // Not in the schema: what MADSci's JSON and CSV read besides the fields (see report-types).
  peakContext!: string;
  userSummary!: Report.PeriodUserSummary | null;
  trends!: Report.UtilizationPeriodsReport['trends'];
  experimentDetails!: Report.UtilizationPeriodsReport['experimentDetails'];
}

@ObjectType('ExportResult', { description: 'A file written into the export directory.' })
export class ExportResult {
  @Field(() => String, { description: 'Absolute path of the file on the server.' }) path!: string;
  @Field(() => Int) bytes!: number;
}

@ObjectType('SourceName', { description: 'A source id and the name the events give it.' })
export class SourceName implements Names.SourceName {
  @Field(() => String) id!: string;
  @Field(() => String, { nullable: true, description: 'The name, or null when no event names this id.' })
  name!: string | null;
}

@ObjectType('SourceNames', {
  description:
    "Names of sources, resolved as MADSci's reports resolve them: node names from node_start events' node_name, experiment names from experiment_start events, workcell names from workcell_start/lab_start events, workflow names from the workflow's first workflow_start/workflow_complete event.",
})
export class SourceNames implements Names.SourceNames {
  @Field(() => [SourceName]) nodes!: SourceName[];
  @Field(() => [SourceName]) workcells!: SourceName[];
  @Field(() => [SourceName]) experiments!: SourceName[];
  @Field(() => [SourceName]) workflows!: SourceName[];
}
