/*
 * The values a stored event's `event_type` and `log_level` take: MADSci's vocabulary. They live
 * in the store because reading a raw document (see normalize-event.ts) checks against them; the
 * events service re-exports them (src/events/event.enums.ts) as its own vocabulary.
 */

/**
 * MADSci's 63 event types. Member names are MADSci's (the doors show them); the string values are
 * what MADSci stores (`LOG_INFO` <-> `"log_info"`). Declaration order follows MADSci's enum.
 */
export enum EventType {
  UNKNOWN = 'unknown',
  LOG = 'log',
  LOG_DEBUG = 'log_debug',
  LOG_INFO = 'log_info',
  LOG_WARNING = 'log_warning',
  LOG_ERROR = 'log_error',
  LOG_CRITICAL = 'log_critical',
  TEST = 'test',
  LAB_CREATE = 'lab_create',
  LAB_START = 'lab_start',
  LAB_STOP = 'lab_stop',
  NODE_CREATE = 'node_create',
  NODE_START = 'node_start',
  NODE_STOP = 'node_stop',
  NODE_CONFIG_UPDATE = 'node_config_update',
  NODE_STATUS_UPDATE = 'node_status_update',
  NODE_ERROR = 'node_error',
  WORKCELL_CREATE = 'workcell_create',
  WORKCELL_START = 'workcell_start',
  WORKCELL_STOP = 'workcell_stop',
  WORKCELL_CONFIG_UPDATE = 'workcell_config_update',
  WORKCELL_STATUS_UPDATE = 'workcell_status_update',
  WORKFLOW_CREATE = 'workflow_create',
  WORKFLOW_START = 'workflow_start',
  WORKFLOW_COMPLETE = 'workflow_complete',
  WORKFLOW_ABORT = 'workflow_abort',
  EXPERIMENT_CREATE = 'experiment_create',
  EXPERIMENT_START = 'experiment_start',
  EXPERIMENT_COMPLETE = 'experiment_complete',
  EXPERIMENT_FAILED = 'experiment_failed',
  EXPERIMENT_CANCELLED = 'experiment_cancelled',
  EXPERIMENT_PAUSE = 'experiment_pause',
  EXPERIMENT_CONTINUED = 'experiment_continued',
  CAMPAIGN_CREATE = 'campaign_create',
  CAMPAIGN_START = 'campaign_start',
  CAMPAIGN_COMPLETE = 'campaign_complete',
  CAMPAIGN_ABORT = 'campaign_abort',
  ACTION_STATUS_CHANGE = 'action_status_change',
  RESOURCE_CREATE = 'resource_create',
  RESOURCE_UPDATE = 'resource_update',
  RESOURCE_DELETE = 'resource_delete',
  RESOURCE_ALLOCATE = 'resource_allocate',
  RESOURCE_RELEASE = 'resource_release',
  LOCATION_CREATE = 'location_create',
  LOCATION_UPDATE = 'location_update',
  LOCATION_DELETE = 'location_delete',
  ATTACHMENT_CREATE = 'attachment_create',
  ATTACHMENT_DELETE = 'attachment_delete',
  DATA_STORE = 'data_store',
  DATA_QUERY = 'data_query',
  DATA_EXPORT = 'data_export',
  MANAGER_START = 'manager_start',
  MANAGER_STOP = 'manager_stop',
  MANAGER_ERROR = 'manager_error',
  MANAGER_HEALTH_CHECK = 'manager_health_check',
  WORKFLOW_STEP_START = 'workflow_step_start',
  WORKFLOW_STEP_COMPLETE = 'workflow_step_complete',
  WORKFLOW_STEP_FAILED = 'workflow_step_failed',
  ACTION_START = 'action_start',
  ACTION_COMPLETE = 'action_complete',
  ACTION_FAILED = 'action_failed',
  BACKUP_CREATE = 'backup_create',
  BACKUP_RESTORE = 'backup_restore',
}

/** MADSci's log levels; the numbers are what is stored and compared. */
export enum EventLogLevel {
  NOTSET = 0,
  DEBUG = 10,
  INFO = 20,
  WARNING = 30,
  ERROR = 40,
  CRITICAL = 50,
}

/** Every stored event type value, for validation of raw documents. */
export const EVENT_TYPE_VALUES: ReadonlySet<string> = new Set(Object.values(EventType));
/** Every stored level value. */
export const LOG_LEVEL_VALUES: ReadonlySet<number> = new Set(
  Object.values(EventLogLevel).filter((v): v is number => typeof v === 'number'),
);
