/**
 * Instants and wall clocks in an IANA zone, with the browser's Intl only (no time zone data is
 * bundled): formatting, the zone's offset, midnight, and `datetime-local` values read in a zone.
 */
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

/**
 * The instant a wall-clock time (given as the epoch ms of that time read as UTC) has in `zone`.
 * Two passes settle the offset when the guess and the answer fall on different sides of a DST
 * change; a wall time skipped or repeated by a change gets one of the instants next to it.
 */
function instantOfWallTime(wall: number, zone: string): number {
  let guess = wall - offsetAt(wall, zone);
  guess = wall - offsetAt(guess, zone);
  return guess;
}

/** The instant of the last midnight in `zone` at or before `now`. */
export function zonedMidnight(now: number, zone: string): number {
  const p = zonedParts(new Date(now), zone);
  return instantOfWallTime(Date.UTC(p.year, p.month - 1, p.day), zone);
}

/**
 * The instant of a `datetime-local` value (`2026-12-06T14:05` or with seconds) read in `zone`, or
 * null when it is not one.
 */
export function zonedWallTime(value: string, zone: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(value);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map((part) => Number(part ?? 0));
  const wall = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!);
  return Number.isNaN(wall) ? null : instantOfWallTime(wall, zone);
}
