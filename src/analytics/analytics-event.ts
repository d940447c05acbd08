import { escapeRegExp } from '../events/event-filter';
import { EVENT_TYPE_VALUES } from '../events/event.enums';
import type { EventDocument, EventSourceDocument } from '../store/event-document';
import type { Selector, TypedEventRow } from '../store/event-store';
import { pyStr, pyTruthy } from './python';

/**
 * What the analytics keep of a stored event: its instant, its effective type ((docs/madsci-compatibility.md#d1-effective-event-type)),
 * its source and its payload as an object (anything else reads as `{}`: docs/madsci-compatibility.md#d6-payloads-that-are-not-objects).
 */
export interface AnalyticsEvent {
  id: string;
  /** `event_timestamp` in epoch milliseconds (stored instants are UTC; naive input was UTC). */
  t: number;
  /** The effective type: see {@link effectiveType}. */
  type: string;
  source: EventSourceDocument;
  data: Record<string, unknown>;
}

/** Types whose events MADSci's structured logger emits; their `event_data.event_type` may name the real one. */
export const LOG_TYPES: readonly string[] = [...EVENT_TYPE_VALUES].filter((type) => type.startsWith('log'));

/** `event_data` as an object, or `{}` for strings, lists and null (docs/madsci-compatibility.md#d6-payloads-that-are-not-objects). */
export function dataOf(raw: unknown): Record<string, unknown> {
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
}

/** An `event_data.event_type` as a stored type value (`"EXPERIMENT_START"`, `"EventType.EXPERIMENT_START"` -> `experiment_start`), or null. */
function namedType(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const type = value
    .trim()
    .toLowerCase()
    .replace(/^eventtype\./, '');
  return EVENT_TYPE_VALUES.has(type) ? type : null;
}

/**
 * The effective type (docs/madsci-compatibility.md#d1-effective-event-type): the top-level `event_type`, except when that is a `log*` type and
 * `event_data.event_type` names a valid type (what MADSci's structured logger sends for domain
 * events); then that one.
 */
export function effectiveType(eventType: string, data: Record<string, unknown>): string {
  if (eventType.startsWith('log')) return namedType(data.event_type) ?? eventType;
  return eventType;
}

/** The analytics view of a stored document. */
export function toAnalyticsEvent(doc: EventDocument): AnalyticsEvent {
  const data = dataOf(doc.event_data);
  return {
    id: doc._id,
    t: doc.event_timestamp.getTime(),
    type: effectiveType(doc.event_type, data),
    source: doc.source,
    data,
  };
}

/**
 * The analytics view of a row of a typed read ({@link TypedEventRow}): the effective type is the
 * store's normalised named type when that is a known type (the one {@link effectiveType} finds:
 * docs/performance.md#utilization-reports), else as {@link toAnalyticsEvent} finds it.
 */
export function rowToAnalyticsEvent(row: TypedEventRow): AnalyticsEvent {
  const data = dataOf(row.data);
  const type = !row.eventType.startsWith('log')
    ? row.eventType
    : row.namedType !== null && EVENT_TYPE_VALUES.has(row.namedType)
      ? row.namedType
      : effectiveType(row.eventType, data);
  return { id: row.id, t: row.t, type, source: row.source, data };
}

/**
 * Candidates for events stored as `logType` whose `event_data.event_type` names one of `types`
 * ((docs/madsci-compatibility.md#d1-effective-event-type)): those whose search text holds one of the names. The SQLite store answers this in
 * SQL alone; the caller checks the effective type of each candidate.
 */
export function loggedTypeSelector(logType: string, types: readonly string[]): Selector {
  const hint =
    types.length === 1
      ? { search_text: { $regex: escapeRegExp(types[0]!) } }
      : { $or: types.map((type) => ({ search_text: { $regex: escapeRegExp(type) } })) };
  return { $and: [{ event_type: logType }, hint] };
}

/**
 * One selector for the events whose effective type may be one of `types`, for a store that reads
 * one selector best (`EventStore.multiSelectorRead` `or`): the same events as the `$or` of one
 * selector per stored type and {@link loggedTypeSelector} per log type (those are disjoint), with
 * the stored types as one `$in` and the log types' hints as one alternation, which FerretDB v1
 * tests with one regular expression per event instead of one per name.
 */
export function anyTypeSelector(types: readonly string[]): Selector {
  const branches: Selector[] = [{ event_type: { $in: types.filter((type) => !LOG_TYPES.includes(type)) } }];
  if (types.length > 0)
    branches.push({ event_type: { $in: [...LOG_TYPES] }, search_text: { $regex: types.map(escapeRegExp).join('|') } });
  return { $or: branches };
}

/** The first truthy candidate, as text (MADSci's `a or b or c`, then `str()`). */
function firstTruthy(...candidates: unknown[]): string | null {
  for (const candidate of candidates) if (pyTruthy(candidate)) return pyStr(candidate);
  return null;
}

const objectAt = (value: unknown): Record<string, unknown> | null =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;

/** `source.experiment_id` -> `event_data.experiment_id` -> `event_data.experiment.experiment_id` -> `event_data.experiment._id`. */
export function experimentIdOf(e: AnalyticsEvent): string | null {
  const experiment = objectAt(e.data.experiment);
  return firstTruthy(e.source.experiment_id, e.data.experiment_id, experiment?.experiment_id, experiment?._id);
}

/** `source.node_id` -> `source.workcell_id` -> `event_data.node_id` -> `event_data.node_name` -> `event_data.node`. */
export function nodeIdOf(e: AnalyticsEvent): string | null {
  return firstTruthy(e.source.node_id, e.source.workcell_id, e.data.node_id, e.data.node_name, e.data.node);
}

/** `event_data.action_id` -> `action` -> `task_id` -> `_id` -> `id`. */
export function actionIdOf(e: AnalyticsEvent): string | null {
  return firstTruthy(e.data.action_id, e.data.action, e.data.task_id, e.data._id, e.data.id);
}

/** `str(event_data.get("status", "unknown"))`. */
export function actionStatusOf(e: AnalyticsEvent): string {
  return 'status' in e.data ? pyStr(e.data.status) : 'unknown';
}

/** Who owns a session start or stop: `source.workcell_id` -> `source.manager_id` -> `event_data.workcell_id`. */
export function ownerIdOf(e: AnalyticsEvent): string | null {
  return firstTruthy(e.source.workcell_id, e.source.manager_id, e.data.workcell_id);
}

/** `source.workflow_id` when `event_data.workflow_id` is missing (ids missing from one place are read from the other: docs/madsci-compatibility.md#d1-effective-event-type). */
export function workflowIdOf(e: AnalyticsEvent): string | null {
  return firstTruthy(e.data.workflow_id, e.source.workflow_id);
}

/** Whether an event names `id` as its workcell the way MADSci's stop and name lookups ask. */
export function namesWorkcell(e: AnalyticsEvent, id: string): boolean {
  return (
    e.source.workcell_id === id ||
    e.source.manager_id === id ||
    (e.data.workcell_id !== undefined && pyStr(e.data.workcell_id) === id)
  );
}

/** Nested lookups on a payload (`a.b.c`), undefined when any step is not an object. */
export function dig(data: Record<string, unknown>, ...path: string[]): unknown {
  let value: unknown = data;
  for (const key of path) {
    const obj = objectAt(value);
    if (!obj) return undefined;
    value = obj[key];
  }
  return value;
}

/** The first candidate that is a non-blank string, trimmed. */
export function firstName(...candidates: unknown[]): string | null {
  for (const candidate of candidates)
    if (typeof candidate === 'string' && candidate.trim() !== '') return candidate.trim();
  return null;
}
