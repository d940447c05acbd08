/**
 * The time zone the dashboard shows times in: the browser's own, UTC, or any IANA zone the
 * browser knows, chosen in the header and remembered in localStorage. Times in the table, the
 * live feed and the chart axis are shown in it; the chart's buckets, "today" and a custom range's
 * from/to are counted in it (the arithmetic: zoned-time.ts).
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
