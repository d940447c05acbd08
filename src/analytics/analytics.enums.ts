/** Bucket size of the periods report (MADSci's `analysis_type`). */
export enum UtilizationPeriod {
  HOURLY = 'HOURLY',
  DAILY = 'DAILY',
  WEEKLY = 'WEEKLY',
  MONTHLY = 'MONTHLY',
}

/** Which utilization report `exportUtilizationReport` writes. */
export enum UtilizationReportKind {
  SESSIONS = 'SESSIONS',
  USERS = 'USERS',
  PERIODS = 'PERIODS',
}

/** What `eventCounts` groups by. */
export enum EventGroupBy {
  NONE = 'NONE',
  EVENT_TYPE = 'EVENT_TYPE',
  LOG_LEVEL = 'LOG_LEVEL',
  NODE = 'NODE',
  WORKCELL = 'WORKCELL',
  WORKFLOW = 'WORKFLOW',
  EXPERIMENT = 'EXPERIMENT',
  USER = 'USER',
}

/** Time buckets of `eventCounts`, aligned in the requested time zone (weeks start on Monday). */
export enum TimeBucket {
  MINUTE = 'MINUTE',
  HOUR = 'HOUR',
  DAY = 'DAY',
  WEEK = 'WEEK',
  MONTH = 'MONTH',
}
