/**
 * The API key a person entered in the page, kept for the browser tab only (sessionStorage), and
 * the header that carries it: `X-API-Key` over HTTP, and the same name in graphql-ws
 * `connectionParams` (as the IDE's header editor sends it).
 */
const STORAGE_KEY = 'lab-events.api-key';
export const API_KEY_HEADER = 'X-API-Key';

export function readApiKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY) || null;
  } catch {
    return null;
  }
}

export function writeApiKey(key: string | null): void {
  try {
    if (key) sessionStorage.setItem(STORAGE_KEY, key);
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage refused (private mode): the key lasts until the page reloads.
  }
}

/** Headers carrying the key, or none. */
export function apiKeyHeaders(): Record<string, string> {
  const key = readApiKey();
  return key ? { [API_KEY_HEADER]: key } : {};
}
