/**
 * The stored shape of an event: MADSci's document (snake_case keys, `_id`), with real instants
 * for the date fields, plus two fields of this server: `received_at` (when this server stored the
 * event) and `search_text` (the lower-cased text of `event_data`, which the `text` filter
 * searches). Raw selectors, backups and imports all speak this shape.
 */
export interface EventDocument {
  _id: string;
  event_type: string;
  log_level: number;
  alert: boolean;
  event_timestamp: Date;
  received_at: Date;
  source: EventSourceDocument;
  event_data: unknown;
  trace_id: string | null;
  span_id: string | null;
  archived: boolean;
  archived_at: Date | null;
  search_text: string;
}

/** MADSci's `OwnershipInfo`: ten optional ULIDs; absent members are left out, never null. */
export interface EventSourceDocument {
  user_id?: string;
  experiment_id?: string;
  campaign_id?: string;
  project_id?: string;
  node_id?: string;
  workcell_id?: string;
  lab_id?: string;
  step_id?: string;
  workflow_id?: string;
  manager_id?: string;
}

/** The members of `source`, in MADSci's serialisation order. */
export const SOURCE_KEYS = [
  'user_id',
  'experiment_id',
  'campaign_id',
  'project_id',
  'node_id',
  'workcell_id',
  'lab_id',
  'step_id',
  'workflow_id',
  'manager_id',
] as const satisfies readonly (keyof EventSourceDocument)[];

/** The date-valued fields of a stored event. */
export const DATE_FIELDS: ReadonlySet<string> = new Set(['event_timestamp', 'received_at', 'archived_at']);

/** Upper bound on the text kept for searching, per event. */
const MAX_SEARCH_TEXT = 64 * 1024;

/**
 * The searchable text of an event: every string, number and boolean found in `event_data`
 * (keys excluded), lower-cased and joined by newlines. A string `event_data` is itself the text.
 */
export function searchTextOf(eventData: unknown): string {
  const parts: string[] = [];
  let length = 0;
  const visit = (value: unknown): void => {
    if (length > MAX_SEARCH_TEXT || value === null || value === undefined) return;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      const text = String(value);
      parts.push(text);
      length += text.length + 1;
    } else if (Array.isArray(value)) {
      for (const item of value) visit(item);
    } else if (typeof value === 'object') {
      for (const item of Object.values(value as Record<string, unknown>)) visit(item);
    }
  };
  visit(eventData);
  return parts.join('\n').slice(0, MAX_SEARCH_TEXT).toLowerCase();
}
