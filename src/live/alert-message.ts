import { madsciEventFields, presentSource } from '../events/madsci-event';
import type { EventDocument } from '../store/event-document';

const LEVEL_NAMES: Readonly<Record<number, string>> = {
  0: 'NOTSET',
  10: 'DEBUG',
  20: 'INFO',
  30: 'WARNING',
  40: 'ERROR',
  50: 'CRITICAL',
};

/** MADSci's name of a level (`ERROR` for 40); an undefined level shows as its number. */
export function levelName(level: number): string {
  return LEVEL_NAMES[level] ?? String(level);
}

/**
 * The event as MADSci serialises it in an alert: field names (`event_id`, not `_id`) in MADSci's
 * key order, `source` without absent members, dates as UTC ISO-8601. The server's own fields
 * (`received_at`, `search_text`) are left out.
 */
export function alertEventJson(doc: EventDocument): Record<string, unknown> {
  return { event_id: doc._id, ...madsciEventFields(doc, (date) => date.toISOString()) };
}

/**
 * The subject (docs/madsci-compatibility.md#d7-alert-e-mail-subjects): `[ERROR] node_error`, then the source's ids, e.g.
 * `[ERROR] node_error from node_id=01J..., workcell_id=01J...`.
 */
export function alertSubject(doc: EventDocument): string {
  const members = Object.entries(presentSource(doc.source)).map(([key, value]) => `${key}=${value}`);
  const base = `[${levelName(doc.log_level)}] ${doc.event_type}`;
  return members.length > 0 ? `${base} from ${members.join(', ')}` : base;
}

/** The mail body (docs/madsci-compatibility.md#d28-which-events-alert-and-the-alert-mail): the event as pretty JSON, 2-space indent. */
export function alertBody(doc: EventDocument): string {
  return JSON.stringify(alertEventJson(doc), null, 2);
}

/**
 * `X-Priority` from the configured importance, the standard way (docs/madsci-compatibility.md#d7-alert-e-mail-subjects: no copy of
 * MADSci's inverted mapping): High 1, Low 5, anything else 3.
 */
export function xPriority(importance: string): string {
  switch (importance.trim().toLowerCase()) {
    case 'high':
      return '1';
    case 'low':
      return '5';
    default:
      return '3';
  }
}

/** The JSON a webhook receives for an alert. */
export function webhookPayload(doc: EventDocument): Record<string, unknown> {
  return { type: 'alert', subject: alertSubject(doc), level: levelName(doc.log_level), event: alertEventJson(doc) };
}
