/**
 * Each page gets its settings from the server as JSON in `<script type="application/json"
 * id="page-config">` (data, not code, so the page's Content-Security-Policy needs no inline
 * script).
 */
export function readPageConfig<T>(): T {
  const element = document.getElementById('page-config');
  if (!element?.textContent) throw new Error('page-config element missing');
  return JSON.parse(element.textContent) as T;
}

/** The WebSocket URL of a same-origin path (`ws:` or `wss:` after the page's scheme). */
export function sameOriginWebSocketUrl(path: string): string {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${window.location.host}${path}`;
}
