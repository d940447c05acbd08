/**
 * The one boolean word parser. Each caller keeps the spellings its users have always been able
 * to send, so the sets differ on purpose: MADSci's REST reads booleans as pydantic's lax mode
 * does, environment variables take on/off as well as true/false, and the `/export` downloads take
 * only true/false, 1/0 and yes/no.
 */

/** The words read as true and as false (lower case). */
export interface BooleanSpellings {
  readonly true: readonly string[];
  readonly false: readonly string[];
}

/** pydantic's lax booleans (MADSci's REST query parameters and event fields). */
export const PYDANTIC_BOOLEANS: BooleanSpellings = {
  true: ['1', 'on', 't', 'true', 'y', 'yes'],
  false: ['0', 'off', 'f', 'false', 'n', 'no'],
};

/** Environment variables: true/false, 1/0, yes/no, on/off. */
export const SETTING_BOOLEANS: BooleanSpellings = {
  true: ['true', '1', 'yes', 'on'],
  false: ['false', '0', 'no', 'off'],
};

/** The `/export` download parameters: true/false, 1/0, yes/no. */
export const DOWNLOAD_BOOLEANS: BooleanSpellings = { true: ['true', '1', 'yes'], false: ['false', '0', 'no'] };

/**
 * A boolean word in any case, or `undefined` when `text` is none of `spellings`' words. The text
 * is not trimmed: callers that accept surrounding blanks trim first.
 */
export function parseBooleanWord(text: string, spellings: BooleanSpellings): boolean | undefined {
  const word = text.toLowerCase();
  if (spellings.true.includes(word)) return true;
  if (spellings.false.includes(word)) return false;
  return undefined;
}
