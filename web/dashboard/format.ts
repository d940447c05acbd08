/** Display helpers. */
import { SOURCE_FIELDS, type EventRow } from './api';
import { nameOf, type SourceNameMap } from './names';

/** The event's message: `eventData.message` when there is one, else its data in brief. */
export function messageOf(event: EventRow): string {
  const data = event.eventData;
  if (data == null) return '';
  if (typeof data === 'string') return data;
  if (typeof data === 'object' && !Array.isArray(data) && typeof (data as { message?: unknown }).message === 'string') {
    return (data as { message: string }).message;
  }
  const json = JSON.stringify(data);
  return json.length > 160 ? `${json.slice(0, 157)}…` : json;
}

/** One source of an event: its kind, what to show (the name, else the id's last 8), the id. */
export interface SourcePart {
  label: string;
  text: string;
  named: boolean;
  id: string;
}

/** `…ABCD1234` for an id (ULIDs differ in their last characters). */
export function shortId(id: string): string {
  return id.length > 10 ? `…${id.slice(-8)}` : id;
}

/** The sources an event carries, by name where the events name them (`Node robot_arm`), else by id. */
export function sourceParts(event: EventRow, names: SourceNameMap): SourcePart[] {
  const parts: SourcePart[] = [];
  for (const [field, label] of SOURCE_FIELDS) {
    const id = event.source[field];
    if (!id) continue;
    const name = nameOf(names, field, id);
    parts.push({ label, text: name ?? shortId(id), named: name !== null, id });
  }
  return parts;
}

export function formatNumber(value: number | undefined, digits = 1): string {
  return value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);
}

/** Newest first by (eventTimestamp, id), as the `events` query orders. */
export function newestFirst(a: EventRow, b: EventRow): number {
  const byTime = Date.parse(b.eventTimestamp) - Date.parse(a.eventTimestamp);
  return byTime !== 0 ? byTime : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
