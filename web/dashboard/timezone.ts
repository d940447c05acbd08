/**
 * The time zone the dashboard shows times in: the browser's own, UTC, or any IANA zone the
 * browser knows, chosen in the header and remembered in localStorage. Times in the table, the
 * live feed and the chart axis are shown in it; the chart's buckets and "today" are counted in it.
 */
const STORAGE_KEY = 'lab-events.timezone';

/** The browser's own zone (an IANA name; UTC when the browser does not say). */
export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Whether the browser knows the zone. */
export function isKnownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The remembered zone, or the browser's. */
export function readZone(): string {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved && isKnownZone(saved)) return saved;
  } catch {
    // Storage refused: the browser's zone.
  }
  return browserZone();
}

export function writeZone(zone: string): void {
  try {
    if (zone === browserZone()) localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, zone);
  } catch {
    // Storage refused (private mode): the choice lasts until the page reloads.
  }
}

/** Zones offered first, before every other zone the browser knows. */
const COMMON_ZONES = [
  'UTC',
  'America/Chicago',
  'America/New_York',
  'America/Denver',
  'America/Los_Angeles',
  'Europe/London',
  'Europe/Berlin',
  'Asia/Tokyo',
  'Asia/Shanghai',
  'Australia/Sydney',
];

/** The zones of the picker: the browser's, the common ones, then all the others (sorted). */
export function zoneOptions(): { common: string[]; others: string[] } {
  const local = browserZone();
  const common = [local, ...COMMON_ZONES.filter((zone) => zone !== local)];
  const supported = (Intl as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  const others = supported.filter((zone) => !common.includes(zone)).sort();
  return { common, others };
}

const formats = new Map<string, Intl.DateTimeFormat>();

function formatIn(zone: string): Intl.DateTimeFormat {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    formats.set(zone, format);
  }
  return format;
}

/** An instant's wall-clock parts in a zone, and the zone's short name then (`CST`, `UTC`, `GMT+1`). */
export function zonedParts(
  instant: Date,
  zone: string,
): { year: number; month: number; day: number; hour: number; minute: number; second: number; zoneName: string } {
  const parts: Record<string, string> = {};
  for (const part of formatIn(zone).formatToParts(instant)) parts[part.type] = part.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    zoneName: parts.timeZoneName ?? zone,
  };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-12-06 14:05:09` and the zone's short name at that instant. */
export function formatTime(iso: string, zone: string): { text: string; zoneName: string } {
  const p = zonedParts(new Date(iso), zone);
  return {
    text: `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`,
    zoneName: p.zoneName,
  };
}

/** The zone's offset from UTC at an instant, in milliseconds (wall clock minus UTC). */
function offsetAt(instant: number, zone: string): number {
  const p = zonedParts(new Date(instant), zone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(instant / 1000) * 1000;
}

/** The instant of the last midnight in `zone` at or before `now` (DST-safe to the hour). */
export function zonedMidnight(now: number, zone: string): number {
  const p = zonedParts(new Date(now), zone);
  const wallMidnight = Date.UTC(p.year, p.month - 1, p.day);
  // Two passes settle the offset when midnight and now fall on different sides of a change.
  let guess = wallMidnight - offsetAt(now, zone);
  guess = wallMidnight - offsetAt(guess, zone);
  return guess;
}
