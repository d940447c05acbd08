/** Display helpers. */
import { SOURCE_FIELDS, type EventRow } from './api';

const timeFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

export function formatTime(iso: string): string {
  return timeFormat.format(new Date(iso));
}

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

/** `Node …ABCD1234, Workcell …` for the ids an event carries. */
export function sourceSummary(event: EventRow): string {
  const parts: string[] = [];
  for (const [field, label] of SOURCE_FIELDS) {
    const id = event.source[field];
    if (id) parts.push(`${label} …${id.slice(-8)}`);
  }
  return parts.join(', ');
}

export function formatNumber(value: number | undefined, digits = 1): string {
  return value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);
}

/** Newest first by (eventTimestamp, id), as the `events` query orders. */
export function newestFirst(a: EventRow, b: EventRow): number {
  const byTime = Date.parse(b.eventTimestamp) - Date.parse(a.eventTimestamp);
  return byTime !== 0 ? byTime : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
