import type { Response } from 'express';
import { assetUrl, type WebManifest } from './web-bundle';

/**
 * Content-Security-Policy of the pages: scripts, styles, fonts, images, workers and connections
 * from this origin only (inline styles allowed: Monaco and uPlot inject them). With it a browser
 * refuses any request to another origin, whatever a dependency tries.
 */
function contentSecurityPolicy(host: string | undefined): string {
  // 'self' covers ws: and wss: to the same host in current browsers; older Safari needs them named.
  const sockets = host && /^[A-Za-z0-9.\-:[\]]+$/.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self'${sockets}`,
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self'",
  ].join('; ');
}

/** JSON that is safe inside a `<script>` element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Sends a page of the bundle: its stylesheet, its settings as JSON (`#page-config`) and its
 * script, with the CSP and no caching of the HTML itself (it names the current bundle). 503 with
 * a hint when the bundle has not been built.
 */
export function sendPage(
  res: Response,
  options: { manifest: WebManifest | null; entry: string; title: string; config: unknown; host: string | undefined },
): void {
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  const entry = options.manifest?.entries[options.entry];
  if (!entry) {
    res
      .status(503)
      .type('text/plain')
      .send(`The ${options.title} page is not built. Run \`npm run build:web\` (part of \`npm run build\`).\n`);
    return;
  }
  res.setHeader('Content-Security-Policy', contentSecurityPolicy(options.host));
  res.type('html').send(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
<link rel="icon" href="data:,">
${entry.css ? `<link rel="stylesheet" href="${escapeHtml(assetUrl(entry.css))}">` : ''}
<script type="application/json" id="page-config">${scriptJson(options.config)}</script>
</head>
<body>
<div id="root"></div>
<script src="${escapeHtml(assetUrl(entry.js))}"></script>
</body>
</html>
`);
}
