/**
 * The `lab-events` command's help and usage errors (src/app/cli/main.ts), through `runCli` with
 * captured streams: overall help, each command's own, and an unknown command.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/app/cli/main';

async function cli(...argv: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await runCli(argv, { stdout, stderr, env: {} });
  return { code, stdout: out, stderr: err };
}

describe('lab-events help', () => {
  it.each([['--help'], ['-h'], ['help']])('%s lists the commands on stdout, exit 0', async (flag) => {
    const result = await cli(flag);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^Usage: lab-events <command> \[options\]\n/);
    expect(result.stdout).toMatch(/^ {2}import {5}copy the events of a MADSci Event Manager database/m);
    expect(result.stdout).toMatch(/^ {2}hash-key {3}print an API_KEYS entry/m);
    expect(result.stdout).toContain('lab-events <command> --help');
  });

  it.each([[['import', '--help']], [['import', '-h']], [['help', 'import']]])(
    '%j shows the options of import',
    async (argv) => {
      const result = await cli(...argv);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(/^Usage: lab-events import --from <mongodb-uri>/);
      for (const option of ['--from <uri>', '--database <name>', '--collection <name>', '--batch-size <n>'])
        expect(result.stdout).toContain(option);
      expect(result.stdout).not.toContain('hash-key');
    },
  );

  it.each([[['hash-key', '--help']], [['help', 'hash-key']]])('%j shows the usage of hash-key', async (argv) => {
    const result = await cli(...argv);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^Usage: lab-events hash-key <reader\|writer\|admin> \[key\]/);
    expect(result.stdout).not.toContain('--batch-size');
  });

  it('answers no command with the overall usage on stderr, exit 2', async () => {
    const result = await cli();
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(/^Usage: lab-events <command>/);
  });

  it.each([[['frobnicate']], [['help', 'frobnicate']], [['help', 'toString']]])(
    '%j: unknown command, named on stderr with the usage, exit 2',
    async (argv) => {
      const result = await cli(...argv);
      expect(result).toMatchObject({ code: 2, stdout: '' });
      expect(result.stderr).toMatch(/^Unknown command "(frobnicate|toString)"\n\nUsage: lab-events <command>/);
    },
  );

  it('answers bad usage of a command with that command’s usage, exit 2', async () => {
    const missing = await cli('import');
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toMatch(/^--from <mongodb-uri> is required\n\nUsage: lab-events import/);
    const role = await cli('hash-key', 'root');
    expect(role).toMatchObject({ code: 2, stdout: '' });
    expect(role.stderr).toMatch(/^hash-key needs a role .*\n\nUsage: lab-events hash-key/);
  });
});
