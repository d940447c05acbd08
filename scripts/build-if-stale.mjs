// `npm start`'s prestart: runs `npm run build` when dist/ is missing or older than anything it is
// built from (src/, web/, the build script, tsconfig, package files), so a second `npm start`
// starts at once. Plain JavaScript without dependencies: it runs wherever `node` does.
/* global console, process -- a Node script */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const INPUTS = [
  'src',
  'web',
  'scripts/build-web.ts',
  'tsconfig.json',
  'tsconfig.build.json',
  'package.json',
  'package-lock.json',
];
// Both rewritten by every build: tsc emits every file, build-web writes a new manifest.
const OUTPUTS = ['dist/src/main.js', 'dist/web/manifest.json'];

/** Newest modification time under a path (directories count: removing a file changes its folder's). */
function newest(entry) {
  const stat = fs.statSync(entry, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return fs.readdirSync(entry).reduce((max, child) => Math.max(max, newest(path.join(entry, child))), stat.mtimeMs);
}

const built = Math.min(
  ...OUTPUTS.map((file) => fs.statSync(path.join(ROOT, file), { throwIfNoEntry: false })?.mtimeMs ?? 0),
);
const changed = Math.max(...INPUTS.map((input) => newest(path.join(ROOT, input))));
if (built > 0 && built >= changed) {
  console.log('dist/ is up to date with its sources: not rebuilding (npm run build forces a build)');
} else {
  // npm_execpath: the npm running this script (`npm` on PATH otherwise).
  const npm = process.env.npm_execpath;
  const result = npm
    ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: ROOT, stdio: 'inherit' })
    : spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
