import fs from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler, type Router } from 'express';

/** One entry of the bundle: its script and stylesheet, relative to the bundle directory. */
export interface WebEntry {
  js: string;
  css?: string;
}

/** `dist/web/manifest.json`, written by scripts/build-web.ts. */
export interface WebManifest {
  builtAt: string;
  entries: Record<string, WebEntry>;
}

/** Where the browser bundles are served from. */
export const ASSETS_PATH = '/assets';

/** The package root: the nearest directory above this file holding package.json. */
function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** `dist/web` under the package root (the same from `src/` under tsx/vitest and from `dist/src/`). */
export function defaultWebDir(): string {
  return path.join(packageRoot(), 'dist', 'web');
}

/**
 * The bundle's manifest, read on each call (a few hundred bytes) so a rebuild is picked up
 * without a restart; null when the bundle has not been built.
 */
export function readManifest(dir: string): WebManifest | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as WebManifest;
  } catch {
    return null;
  }
}

/** The public URL of a bundle file. */
export function assetUrl(file: string): string {
  return `${ASSETS_PATH}/${file}`;
}

const YEAR_SECONDS = 365 * 24 * 3600;
const IMMUTABLE = `public, max-age=${YEAR_SECONDS}, immutable`;
const PRECOMPRESSED = /\.(js|css|ttf)$/;

/**
 * Serves the bundle directory at {@link ASSETS_PATH}. File names carry a content hash, so every
 * file is cached for a year as immutable. Scripts, stylesheets and fonts go out gzip-compressed
 * (precompressed at build time) to clients that accept gzip.
 */
export function assetsRouter(dir: string): Router {
  const router = express.Router();
  const precompressed: RequestHandler = (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !PRECOMPRESSED.test(req.path)) return next();
    const relative = path.normalize(decodeURIComponent(req.path)).replace(/^[/\\]+/, '');
    if (relative.startsWith('..') || !req.acceptsEncodings('gzip') || !fs.existsSync(path.join(dir, `${relative}.gz`)))
      return next();
    res.type(path.extname(relative));
    res.setHeader('Content-Encoding', 'gzip');
    res.setHeader('Vary', 'Accept-Encoding');
    res.setHeader('Cache-Control', IMMUTABLE);
    res.sendFile(`${relative}.gz`, { root: dir, cacheControl: false, dotfiles: 'deny' }, (error) => {
      if (error) next(error);
    });
  };
  router.use(
    ASSETS_PATH,
    precompressed,
    express.static(dir, {
      index: false,
      cacheControl: false,
      setHeaders: (res) => res.setHeader('Cache-Control', IMMUTABLE),
    }),
  );
  return router;
}
