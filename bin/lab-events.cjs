#!/usr/bin/env node
// The `lab-events` command (package.json "bin"; `npx lab-events ...` or `npm run cli -- ...` in a
// checkout): the compiled CLI from `npm run build` when there is one, else its TypeScript source
// through tsx (a dev dependency), so it runs right after `npm ci`.
'use strict';
/* global require, __dirname, process -- CommonJS, run by node */
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS: require is how it loads the CLI */
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const built = path.join(root, 'dist', 'src', 'app', 'cli', 'main.js');
if (fs.existsSync(built)) {
  require(built).main();
} else {
  // The project's compiler options (decorators) whatever the working directory.
  process.env.TSX_TSCONFIG_PATH ??= path.join(root, 'tsconfig.json');
  require('tsx/cjs/api').register();
  require(path.join(root, 'src', 'app', 'cli', 'main.ts')).main();
}
