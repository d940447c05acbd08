import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { cacheDir } from './ferretdb';

/** A Python interpreter found on PATH. */
export interface PythonInfo {
  command: string;
  version: string;
}

/** The first of `python3`, `python` that is Python 3.10 or newer (MADSci's floor), or null. */
export function findPython(): PythonInfo | null {
  for (const command of ['python3', 'python']) {
    const probe = spawnSync(command, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], {
      encoding: 'utf8',
    });
    if (probe.status !== 0) continue;
    const version = probe.stdout.trim();
    const [major, minor] = version.split('.').map(Number);
    if (major === 3 && (minor ?? 0) >= 10) return { command, version };
  }
  return null;
}

/** Output of a finished process. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion without blocking the event loop (servers in this process keep answering). */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * A virtual environment with the packages of `requirements` installed (pip from PyPI), cached
 * outside the repository under `<cache>/venv-<name>-<hash of requirements and Python version>`, so
 * only the first run installs. Returns the environment's Python. An interrupted install (no
 * `.ready` marker) is thrown away and redone.
 * @throws Error with pip's output when the install fails.
 */
export async function ensureVenv(
  python: PythonInfo,
  name: string,
  requirements: string,
  log: (line: string) => void = console.log,
): Promise<string> {
  const hash = crypto
    .createHash('sha256')
    .update(fs.readFileSync(requirements))
    .update(python.version)
    .digest('hex')
    .slice(0, 12);
  const dir = path.join(cacheDir(), `venv-${name}-${hash}`);
  const venvPython = path.join(dir, 'bin', 'python');
  const ready = path.join(dir, '.ready');
  if (fs.existsSync(ready)) return venvPython;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  log(`creating ${dir} and installing ${path.basename(requirements)} from PyPI (first run only)`);
  const steps: [string, string[]][] = [
    [python.command, ['-m', 'venv', dir]],
    [venvPython, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet', '-r', requirements]],
  ];
  for (const [command, args] of steps) {
    const result = await run(command, args, { timeoutMs: 15 * 60_000 });
    if (result.code !== 0) {
      throw new Error(`${command} ${args.join(' ')} failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
    }
  }
  fs.writeFileSync(ready, `${new Date().toISOString()}\n`);
  return venvPython;
}
