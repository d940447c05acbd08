/** Level names, values and colours, shared by the table, live feed and chart. */
const LEVEL_VALUES: Record<string, number> = { NOTSET: 0, DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 };

const LEVEL_COLORS: Record<string, string> = {
  NOTSET: '#8a94a6',
  DEBUG: '#8a94a6',
  INFO: '#2f7ed8',
  WARNING: '#d98e04',
  ERROR: '#d64545',
  CRITICAL: '#8e1b5c',
};

/** A level name from a name or a numeric key ("INFO", "20"). */
export function levelName(key: string | null | undefined): string {
  if (!key) return 'NONE';
  const upper = key.toUpperCase();
  if (upper in LEVEL_VALUES) return upper;
  const byValue = Object.entries(LEVEL_VALUES).find(([, value]) => String(value) === key);
  return byValue ? byValue[0] : key;
}

export function levelValue(key: string): number {
  return LEVEL_VALUES[levelName(key)] ?? -1;
}

export function levelColor(key: string): string {
  return LEVEL_COLORS[levelName(key)] ?? '#5b6b7f';
}
