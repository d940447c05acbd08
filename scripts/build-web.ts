/**
 * Bundles the browser pages (the GraphiQL IDE and the lab dashboard) with esbuild into
 * `dist/web/`, from npm packages only, so the server serves them offline. Monaco's workers
 * (editor, JSON, GraphQL) are entries of their own; the pages load them from the same origin.
 *
 * Output file names carry a content hash (served with year-long cache headers); `manifest.json`
 * maps each entry to its files. The new bundle is built beside the old one and swapped in, so a
 * reader never sees half a bundle.
 *
 * Run with `npm run build:web` (part of `npm run build`).
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { build, type Metafile } from 'esbuild';

/** The repository root. */
export const ROOT = path.resolve(__dirname, '..');
/** Where the bundles go. */
export const WEB_OUT_DIR = path.join(ROOT, 'dist', 'web');
/** The front-end sources. */
export const WEB_SRC_DIR = path.join(ROOT, 'web');

// The manifest's shape is the server's (src/ide/web-bundle.ts), which reads it to write each page's tags.
import type { WebEntry, WebManifest } from '../src/app/web/web-bundle';
export type { WebEntry, WebManifest };

const ENTRY_POINTS: Record<string, string> = {
  ide: 'web/ide/main.tsx',
  dashboard: 'web/dashboard/main.tsx',
  'editor.worker': 'web/ide/workers/editor.worker.ts',
  'json.worker': 'web/ide/workers/json.worker.ts',
  'graphql.worker': 'web/ide/workers/graphql.worker.ts',
};

/** Builds every entry into `outDir` (default `dist/web`) and returns the manifest. */
export async function buildWeb(options: { outDir?: string } = {}): Promise<WebManifest> {
  const outDir = options.outDir ?? WEB_OUT_DIR;
  const staging = `${outDir}.tmp-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ENTRY_POINTS,
    outdir: staging,
    entryNames: '[name]-[hash]',
    assetNames: 'assets/[name]-[hash]',
    bundle: true,
    // Classic scripts and classic workers: no module loading, nothing fetched at run time.
    format: 'iife',
    platform: 'browser',
    target: ['chrome109', 'firefox115', 'safari16'],
    minify: true,
    legalComments: 'linked',
    jsx: 'automatic',
    tsconfig: path.join(WEB_SRC_DIR, 'tsconfig.json'),
    define: { 'process.env.NODE_ENV': '"production"' },
    loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'file', '.png': 'file' },
    metafile: true,
    logLevel: 'warning',
  });
  precompress(staging);
  const manifest: WebManifest = { builtAt: new Date().toISOString(), entries: entriesOf(result.metafile, staging) };
  fs.writeFileSync(path.join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  // Swap: the old bundle moves aside, the new one takes its place, the old one goes.
  const old = `${outDir}.old-${process.pid}`;
  if (fs.existsSync(outDir)) fs.renameSync(outDir, old);
  fs.renameSync(staging, outDir);
  fs.rmSync(old, { recursive: true, force: true });
  return manifest;
}

/**
 * Writes a gzip copy beside every script, stylesheet and font (the IDE's script is megabytes of
 * Monaco; gzip takes it to about a quarter), which the server sends to clients that accept it.
 */
function precompress(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !/\.(js|css|ttf)$/.test(entry.name)) continue;
    const file = path.join(entry.parentPath, entry.name);
    fs.writeFileSync(`${file}.gz`, zlib.gzipSync(fs.readFileSync(file), { level: 9 }));
  }
}

/** Maps each entry name to its output script and stylesheet. */
function entriesOf(metafile: Metafile, outDir: string): Record<string, WebEntry> {
  const byEntryPoint = new Map(Object.entries(ENTRY_POINTS).map(([name, file]) => [file, name]));
  const entries: Record<string, WebEntry> = {};
  for (const [output, info] of Object.entries(metafile.outputs)) {
    if (!info.entryPoint || !output.endsWith('.js')) continue;
    const name = byEntryPoint.get(info.entryPoint);
    if (!name) continue;
    const relative = (file: string) => path.relative(outDir, path.resolve(ROOT, file)).split(path.sep).join('/');
    entries[name] = { js: relative(output), ...(info.cssBundle ? { css: relative(info.cssBundle) } : {}) };
  }
  for (const name of Object.keys(ENTRY_POINTS)) {
    if (!entries[name]) throw new Error(`esbuild produced no output for entry ${name}`);
  }
  return entries;
}

// Run as a script (tsx scripts/build-web.ts), not when imported by the tests.
if (process.argv[1] && path.resolve(process.argv[1]) === __filename) {
  const started = Date.now();
  buildWeb().then(
    (manifest) => {
      const sizes = Object.entries(manifest.entries).map(([name, entry]) => {
        const bytes = fs.statSync(path.join(WEB_OUT_DIR, entry.js)).size;
        return `${name} ${(bytes / 1024).toFixed(0)} KiB`;
      });
      console.log(
        `web bundles built in ${((Date.now() - started) / 1000).toFixed(1)} s into ${path.relative(ROOT, WEB_OUT_DIR)}/: ${sizes.join(', ')}`,
      );
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
