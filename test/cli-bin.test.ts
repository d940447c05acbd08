/**
 * The `lab-events` command as the README runs it in a checkout: `npx lab-events ...` (npm resolves
 * the root package's own bin, bin/lab-events.cjs) and `npm run cli -- ...`, built or not.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './support/python';

const ROOT = path.resolve(__dirname, '..');

function npm(command: string, args: string[]) {
  return run(command, args, { cwd: ROOT, env: { ...process.env }, timeoutMs: 120_000 });
}

describe('the lab-events command in a checkout', () => {
  it('npx lab-events --help prints the commands (not npm’s help), exit 0', async () => {
    const result = await npm('npx', ['--yes', 'lab-events', '--help']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Usage: lab-events <command> \[options\]/m);
  }, 150_000);

  it('npm run cli -- import --help prints the options of import; an unknown command exits 2', async () => {
    const help = await npm('npm', ['run', '--silent', 'cli', '--', 'import', '--help']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: lab-events import --from <mongodb-uri>/);
    const unknown = await npm('npx', ['--yes', 'lab-events', 'frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown command "frobnicate"/);
  }, 150_000);
});
