import type { IncomingHttpHeaders } from 'node:http';

/**
 * The web origin of a page on another site that made this browser request, or null when the
 * request is not cross-site: a non-browser client (no `Origin`, no `Sec-Fetch-Site`), the server's
 * own pages (the IDE, the dashboard), or a request the user typed. The rule is the one of Go's
 * `net/http.CrossOriginProtection`: `Sec-Fetch-Site` when the browser sends it (`same-origin` and
 * `none` are ours; `same-site` and `cross-site` are not), else an `Origin` whose host differs from
 * `Host`. A cross-site request without an `Origin` is named `"another site"`.
 */
export function crossSiteOrigin(headers: IncomingHttpHeaders): string | null {
  const site = headers['sec-fetch-site'];
  const origin = typeof headers.origin === 'string' && headers.origin !== '' ? headers.origin : undefined;
  if (site === 'same-origin' || site === 'none') return null;
  if (site === undefined) {
    if (origin === undefined) return null;
    if (hostOf(origin) === headers.host?.toLowerCase()) return null;
  }
  return origin ?? 'another site';
}

/** `host[:port]` of an origin (`https://lab.example:8443`), lower case; null for `null` or junk. */
function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return null;
  }
}
