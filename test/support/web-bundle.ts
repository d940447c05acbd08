/**
 * The browser tests need the web bundle (`dist/web`). It is built here when missing or older than
 * its sources, once, under a lock file so parallel test files do not build it twice.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildWeb, ROOT, WEB_OUT_DIR, WEB_SRC_DIR } from '../../scripts/build-web';

const LOCK = `${WEB_OUT_DIR}.lock`;
const STALE_LOCK_MS = 5 * 60_000;

/** Newest modification time among the bundle's sources and the build script. */
function newestSourceMtime(): number {
  let newest = 0;
  const visit = (entry: string) => {
    const stat = fs.statSync(entry);
    if (stat.isDirectory()) {
      for (const child of fs.readdirSync(entry)) visit(path.join(entry, child));
    } else {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  visit(WEB_SRC_DIR);
  visit(path.join(ROOT, 'scripts', 'build-web.ts'));
  visit(path.join(ROOT, 'package-lock.json'));
  return newest;
}

function isFresh(): boolean {
  const manifest = path.join(WEB_OUT_DIR, 'manifest.json');
  return fs.existsSync(manifest) && fs.statSync(manifest).mtimeMs >= newestSourceMtime();
}

/** Builds `dist/web` unless it is there and current. */
export async function ensureWebBundle(): Promise<void> {
  fs.mkdirSync(path.dirname(WEB_OUT_DIR), { recursive: true });
  for (;;) {
    if (isFresh()) return;
    let fd: number;
    try {
      fd = fs.openSync(LOCK, 'wx');
    } catch {
      // Someone else is building: wait for them (or take over a lock left by a dead process).
      const age = Date.now() - (fs.statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) fs.rmSync(LOCK, { force: true });
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    try {
      if (!isFresh()) {
        const started = Date.now();
        await buildWeb();
        console.log(`web bundle built for the browser tests in ${Date.now() - started} ms`);
      }
      return;
    } finally {
      fs.closeSync(fd);
      fs.rmSync(LOCK, { force: true });
    }
  }
}
