import 'reflect-metadata';
import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { EventFilter } from '../events/event.inputs';
import type { GraphQLContext } from '../context';
import { DateTimeISO } from '../scalars';
import { EventGroupBy, TimeBucket, UtilizationPeriod, UtilizationReportKind } from '../../../analytics/analytics.enums';
import { DEFAULT_REPORT_TIMEZONE } from '../../../analytics/report-files';
import type { SourceNames as Names } from '../../../analytics/source-names';
import type {
  Rendered,
  SessionUtilizationReport as SessionReport,
  UserUtilizationReport as UserReport,
  UtilizationPeriodsReport as PeriodsReport,
} from '../../../analytics/report-types';
import {
  EventCount,
  ExportResult,
  SessionUtilizationReport,
  SourceNames,
  UserUtilizationReport,
  UtilizationPeriodsReport,
} from './analytics.types';

/** Thin adapter from GraphQL to the analytics service: the reports it returns are the object types' shapes, returned as they are. */
@Resolver()
export class AnalyticsResolver {
  @Query(() => SessionUtilizationReport, {
    description:
      'Workcell/lab sessions and their utilization (MADSci /utilization/sessions). No bounds: the whole collection; one bound: 24 hours from or to it.',
  })
  sessionUtilization(
    @Ctx() ctx: GraphQLContext,
    @Arg('from', () => DateTimeISO, { nullable: true }) from?: Date | null,
    @Arg('to', () => DateTimeISO, { nullable: true }) to?: Date | null,
  ): Promise<Rendered<SessionReport>> {
    return ctx.services.analytics.sessionUtilization({ from, to });
  }

  @Query(() => UserUtilizationReport, {
    description: 'Workflow authors and their runtimes (MADSci /utilization/user); window as sessionUtilization.',
  })
  userUtilization(
    @Ctx() ctx: GraphQLContext,
    @Arg('from', () => DateTimeISO, { nullable: true }) from?: Date | null,
    @Arg('to', () => DateTimeISO, { nullable: true }) to?: Date | null,
  ): Promise<Rendered<UserReport>> {
    return ctx.services.analytics.userUtilization({ from, to });
  }

  @Query(() => UtilizationPeriodsReport, {
    description:
      'Utilization per hour, day, week (from Monday) or month in an IANA time zone, DST included (MADSci /utilization/periods).',
  })
  utilizationPeriods(
    @Ctx() ctx: GraphQLContext,
    @Arg('from', () => DateTimeISO, { nullable: true }) from?: Date | null,
    @Arg('to', () => DateTimeISO, { nullable: true }) to?: Date | null,
    @Arg('period', () => UtilizationPeriod, { nullable: true, defaultValue: UtilizationPeriod.DAILY })
    period?: UtilizationPeriod | null,
    @Arg('timezone', () => String, { nullable: true, defaultValue: DEFAULT_REPORT_TIMEZONE }) timezone?: string | null,
    @Arg('includeUsers', () => Boolean, { nullable: true, defaultValue: true }) includeUsers?: boolean | null,
  ): Promise<Rendered<PeriodsReport>> {
    return ctx.services.analytics.utilizationPeriods({ from, to, period, timezone, includeUsers });
  }

  @Query(() => [EventCount], {
    description:
      "Event counts per group and, with `bucket`, per time bucket in `timezone` (DST correct). Counted in the database. With buckets, every bucket of the range (the filter's from/to, else the matching events' span) appears for every key, 0 where nothing happened.",
  })
  eventCounts(
    @Ctx() ctx: GraphQLContext,
    @Arg('groupBy', () => EventGroupBy) groupBy: EventGroupBy,
    @Arg('filter', () => EventFilter, { nullable: true }) filter?: EventFilter | null,
    @Arg('bucket', () => TimeBucket, { nullable: true }) bucket?: TimeBucket | null,
    @Arg('timezone', () => String, { nullable: true, defaultValue: 'UTC' }) timezone?: string | null,
  ): Promise<EventCount[]> {
    return ctx.services.analytics.eventCounts({ filter, groupBy, bucket, timezone });
  }

  @Query(() => SourceNames, {
    description:
      'The names the events give to source ids (at most 500 ids per kind), for showing names instead of ids; null where no event names an id.',
  })
  sourceNames(
    @Ctx() ctx: GraphQLContext,
    @Arg('nodeIds', () => [String], { nullable: true }) nodeIds?: string[] | null,
    @Arg('workcellIds', () => [String], { nullable: true }) workcellIds?: string[] | null,
    @Arg('experimentIds', () => [String], { nullable: true }) experimentIds?: string[] | null,
    @Arg('workflowIds', () => [String], { nullable: true }) workflowIds?: string[] | null,
  ): Promise<Names> {
    return ctx.services.analytics.sourceNames({ nodeIds, workcellIds, experimentIds, workflowIds });
  }

  @Mutation(() => ExportResult, {
    description:
      "Writes a report's CSV into the server's export directory (EXPORT_DIR) under MADSci's file name, or `fileName` (a plain file name; paths are refused).",
  })
  exportUtilizationReport(
    @Ctx() ctx: GraphQLContext,
    @Arg('report', () => UtilizationReportKind) report: UtilizationReportKind,
    @Arg('from', () => DateTimeISO, { nullable: true }) from?: Date | null,
    @Arg('to', () => DateTimeISO, { nullable: true }) to?: Date | null,
    @Arg('period', () => UtilizationPeriod, { nullable: true }) period?: UtilizationPeriod | null,
    @Arg('timezone', () => String, { nullable: true }) timezone?: string | null,
    @Arg('includeUsers', () => Boolean, { nullable: true, defaultValue: true }) includeUsers?: boolean | null,
    @Arg('fileName', () => String, { nullable: true }) fileName?: string | null,
  ): Promise<ExportResult> {
    return ctx.services.analytics.saveReport(report, { from, to, period, timezone, includeUsers, fileName });
  }
}
