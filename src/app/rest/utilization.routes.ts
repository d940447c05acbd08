import path from 'node:path';
import type { Request, Response } from 'express';
import { UtilizationPeriod, UtilizationReportKind } from '../../analytics/analytics.enums';
import type { PeriodsArgs } from '../../analytics/analytics.service';
import { PERIOD_TYPES } from '../../analytics/period-buckets';
import { DEFAULT_REPORT_TIMEZONE, REPORT_DOWNLOAD_NAMES } from '../../analytics/report-files';
import type { MadsciRenderings } from '../../analytics/report-types';
import type { MadsciRoute, MadsciRouterOptions } from './rest.route';
import { parseBool, parseDateTime } from './wire';

/** The `report_type` MADSci puts in save results (docs/madsci-compatibility.md#d27-csv-downloads-and-saved-files). */
const REPORT_TYPES: Readonly<Record<UtilizationReportKind, string>> = {
  [UtilizationReportKind.SESSIONS]: 'session_utilization',
  [UtilizationReportKind.USERS]: 'user_utilization',
  [UtilizationReportKind.PERIODS]: 'utilization_periods',
};

/** The period of each MADSci `analysis_type`. */
const PERIODS = new Map(
  Object.entries(PERIOD_TYPES).map(([period, type]) => [type as string, period as UtilizationPeriod]),
);

/** Thrown inside a handler to answer MADSci's HTTP 200 error object. */
class ReportError extends Error {
  constructor(readonly body: Record<string, unknown>) {
    super(String(body.error));
  }
}

const textOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Whether a utilization request writes its CSV on the server (`csv_format` and `save_to_file`):
 * admin work, as GraphQL's `exportUtilizationReport` (see `restRole`).
 */
export function savesReportFile(req: Request): boolean {
  return (
    (parseBool(param(req, 'csv_format') ?? 'false') ?? false) &&
    (parseBool(param(req, 'save_to_file') ?? 'false') ?? false)
  );
}

/** The last value of a query parameter; an empty one counts as absent. */
function param(req: Request, name: string): string | undefined {
  const value = req.query[name];
  const last = Array.isArray(value) ? value.at(-1) : value;
  return typeof last === 'string' && last !== '' ? last : undefined;
}

/** A time parameter (ISO; `Z` allowed; naive = UTC: docs/madsci-compatibility.md#d4-time-zones-and-bucket-edges); `prefix` names the error MADSci reports. */
function timeParam(req: Request, name: string, prefix: string): Date | undefined {
  const text = param(req, name);
  if (text === undefined) return undefined;
  const date = parseDateTime(text);
  if (!date) throw new ReportError({ error: `${prefix}: Invalid isoformat string: '${text}'` });
  return date;
}

/**
 * MADSci's utilization routes (docs/madsci-compatibility.md#d26-utilization-routes) over the analytics service:
 * `GET /utilization/sessions`, `/utilization/periods`, `/utilization/user` and its alias
 * `/utilization/users` (the path MADSci's Python client calls). As in MADSci they never answer
 * with an error status: failures are HTTP 200 with an `error` key. `csv_format=true` answers CSV;
 * with `save_to_file=true` the CSV is written on the server, only into the export directory
 * (docs/madsci-compatibility.md#d8-server-side-csv-files): `output_path` must name that directory.
 */
export function utilizationRoutes({ services, config }: MadsciRouterOptions): MadsciRoute[] {
  const { analytics } = services;
  const exportDir = path.resolve(config.exportDir);

  /** Runs one report and delivers it as JSON, CSV or a saved file. */
  const deliver = async (
    req: Request,
    res: Response,
    kind: UtilizationReportKind,
    args: PeriodsArgs,
    build: () => Promise<MadsciRenderings>,
  ) => {
    const csv = parseBool(param(req, 'csv_format') ?? 'false') ?? false;
    if (savesReportFile(req)) {
      const outputPath = param(req, 'output_path');
      if (outputPath === undefined) throw new ReportError({ error: 'output_path is required when save_to_file=True' });
      if (path.resolve(exportDir, outputPath) !== exportDir) {
        throw new ReportError({
          error: `CSV generation failed: output_path must be the server's export directory (${exportDir})`,
        });
      }
      let saved;
      try {
        saved = await analytics.saveReport(kind, args);
      } catch (error) {
        throw new ReportError({ error: `CSV generation failed: ${textOf(error)}` });
      }
      res.json({
        success: true,
        message: 'CSV file saved successfully',
        file_path: saved.path,
        csv_format: true,
        saved_to_server: true,
        report_type: REPORT_TYPES[kind],
      });
      return;
    }
    const report = await build();
    if (!csv) {
      res.json(report.report);
      return;
    }
    let text: string;
    try {
      text = report.csv;
    } catch (error) {
      throw new ReportError({ error: `CSV generation failed: ${textOf(error)}` });
    }
    res
      .status(200)
      .set('Content-Disposition', `attachment; filename=${REPORT_DOWNLOAD_NAMES[kind]}`)
      .type('text/csv; charset=utf-8')
      .send(text);
  };

  /** Answers MADSci's error objects with 200; nothing here becomes a 4xx or 5xx. */
  const guarded =
    (prefix: string, handler: (req: Request, res: Response) => Promise<void>): MadsciRoute['handler'] =>
    async (req, res) => {
      try {
        await handler(req, res);
      } catch (error) {
        if (res.headersSent) throw error;
        res
          .status(200)
          .json(
            error instanceof ReportError
              ? error.body
              : { error: `${prefix}: ${config.production ? 'internal error' : textOf(error)}` },
          );
      }
    };

  const window = (req: Request, prefix: string) => ({
    from: timeParam(req, 'start_time', prefix),
    to: timeParam(req, 'end_time', prefix),
  });

  const userReport = guarded('Failed to generate report', async (req, res) => {
    const args = window(req, 'Failed to generate report');
    await deliver(req, res, UtilizationReportKind.USERS, args, () => analytics.userUtilization(args));
  });

  return [
    {
      method: 'get',
      path: '/utilization/sessions',
      handler: guarded('Failed to generate report', async (req, res) => {
        const args = window(req, 'Failed to generate report');
        await deliver(req, res, UtilizationReportKind.SESSIONS, args, () => analytics.sessionUtilization(args));
      }),
    },
    {
      method: 'get',
      path: '/utilization/periods',
      handler: guarded('Failed to generate report', async (req, res) => {
        if (param(req, 'start_time') === undefined || param(req, 'end_time') === undefined) {
          throw new ReportError({
            error: 'start_time and end_time are required',
            details: 'Both parameters must be provided as ISO strings',
          });
        }
        const { from, to } = window(req, 'Failed to generate utilization report');
        if (from!.getTime() >= to!.getTime()) {
          throw new ReportError({
            error: 'Invalid analysis time period: start time must be before end time',
            details: `Start time ${from!.toISOString()} >= end time ${to!.toISOString()}`,
          });
        }
        // Unknown analysis types are daily, unknown zones UTC (MADSci's REST behaviour).
        const args: PeriodsArgs = {
          from,
          to,
          period: PERIODS.get((param(req, 'analysis_type') ?? 'daily').toLowerCase()) ?? UtilizationPeriod.DAILY,
          timezone: param(req, 'user_timezone') ?? DEFAULT_REPORT_TIMEZONE,
          includeUsers: parseBool(param(req, 'include_users') ?? 'true') ?? true,
          unknownTimezone: 'utc',
        };
        await deliver(req, res, UtilizationReportKind.PERIODS, args, () => analytics.utilizationPeriods(args));
      }),
    },
    { method: 'get', path: '/utilization/user', handler: userReport },
    { method: 'get', path: '/utilization/users', handler: userReport },
  ];
}
