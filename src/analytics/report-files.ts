/**
 * Defaults and names every door shares for the utilization reports: the time zone of the
 * periods report, and the file names of a report's CSV (a download's, and the one MADSci gives
 * a CSV it saves on the server).
 */
import { DateTime } from 'luxon';
import { UtilizationPeriod, UtilizationReportKind } from './analytics.enums';
import { PERIOD_TYPES } from './period-buckets';

/** The zone of the periods report's buckets when none is given (MADSci's default). */
export const DEFAULT_REPORT_TIMEZONE = 'America/Chicago';

/** The file name a report's CSV download is offered under (`Content-Disposition`). */
export const REPORT_DOWNLOAD_NAMES: Readonly<Record<UtilizationReportKind, string>> = {
  [UtilizationReportKind.SESSIONS]: 'session_utilization_report.csv',
  [UtilizationReportKind.USERS]: 'user_utilization_report.csv',
  [UtilizationReportKind.PERIODS]: 'utilization_periods_report.csv',
};

/**
 * MADSci's name for a report's CSV saved at `now`: the day is `yyyyMMdd` in the server's zone
 * (MADSci's `datetime.now()`); the periods report's name carries its period (daily when none is
 * given).
 */
export function savedReportName(report: UtilizationReportKind, now: Date, period?: UtilizationPeriod | null): string {
  const day = DateTime.fromJSDate(now).toFormat('yyyyMMdd');
  switch (report) {
    case UtilizationReportKind.SESSIONS:
      return `madsci_utilization_report_basic_${day}.csv`;
    case UtilizationReportKind.USERS:
      return `madsci_user_utilization_detailed_${day}.csv`;
    case UtilizationReportKind.PERIODS:
      return `madsci_utilization_periods_${PERIOD_TYPES[period ?? UtilizationPeriod.DAILY]}_${day}.csv`;
  }
}
