/** A ULID: 26 Crockford base-32 characters, the first at most `7` (48-bit time). Any case. */
const ULID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;

/** Whether `text` is a ULID (case-insensitive). */
export function isUlid(text: string): boolean {
  return ULID_PATTERN.test(text);
}

/** The canonical (upper-case) form of a ULID, or `null` when `text` is not one. */
export function normalizeUlid(text: string): string | null {
  return isUlid(text) ? text.toUpperCase() : null;
}
