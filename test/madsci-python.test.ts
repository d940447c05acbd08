import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureVenv, findPython, run } from './support/python';
import { startTestServer, type TestServer } from './support/server';

/** MADSci's published client, pinned (with its dependencies) in test/python/requirements.txt. */
const MADSCI_CLIENT_VERSION = '0.8.1';
const REQUIREMENTS = path.join(__dirname, 'python', 'requirements.txt');
const SCRIPT = path.join(__dirname, 'python', 'interop.py');

const python = findPython();
if (!python) {
  console.warn(
    [
      '',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      '!!  SKIPPED: the MADSci Python client interoperability test needs Python 3.10+ on PATH',
      '!!  (python3 or python). Install Python to run it; nothing else is skipped.',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      '',
    ].join('\n'),
  );
}

describe.skipIf(!python)(
  `MADSci's Python EventClient ${MADSCI_CLIENT_VERSION}, unchanged, against this server (SQLite)`,
  () => {
    let venvPython: string;
    let server: TestServer;
    let workDir: string;

    beforeAll(async () => {
      // The install happens once per machine (cached outside the repository), before the timed test.
      venvPython = await ensureVenv(python!, `madsci-${MADSCI_CLIENT_VERSION}`, REQUIREMENTS);
      server = await startTestServer('sqlite');
      // The client reads .env files from its working directory: give it an empty one.
      workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'madsci-interop-'));
    }, 20 * 60_000);

    afterAll(async () => {
      await server?.stop();
      if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
    });

    it('logs, reads, queries, archives, purges, backs up and asks for utilization through the published client; the script checks what it reads back', async () => {
      const tag = `interop-${Date.now().toString(36)}`;
      // A bare host with a trailing slash, as pydantic renders the client's event_server_url.
      const result = await run(
        venvPython,
        [SCRIPT, `${server.url}/`, tag, '--expect-utilization', '--expect-lifecycle', '--expect-backup'],
        {
          cwd: workDir,
          env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', PYTHONUNBUFFERED: '1' },
          timeoutMs: 180_000,
        },
      );
      if (result.code !== 0) console.error(`interop.py failed:\n${result.stdout}\n${result.stderr}`);
      expect(result.code).toBe(0);

      const summary = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as {
        checks: number;
        events: number;
        notes: string[];
      };
      expect(summary.events).toBe(8);
      expect(summary.checks).toBeGreaterThanOrEqual(30);
      console.log(`interop.py: ${summary.checks} checks passed; ${summary.notes.join('; ')}`);

      // What the client logged is what the store holds: 3 structured events, 2 alerts, 3 domain events
      // (one of them sent twice: stored once), less the workcell_stop the script archived and purged.
      const { store } = server.handle.services;
      expect(await store.count({ 'event_data.run': tag })).toBe(7);
      expect(
        await store.count({ 'event_data.run': tag, event_type: { $in: ['workcell_start', 'workflow_complete'] } }),
      ).toBe(2);
      expect(await store.count({ 'event_data.run': tag, alert: true, log_level: 50 })).toBe(2);
    }, 240_000);
  },
);
