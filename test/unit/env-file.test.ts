/**
 * `.env` loading (src/core/env-file.ts): read from the given directory when present, nothing
 * otherwise, and a variable already in the environment keeps its value.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadEnvFile } from '../../src/core/env-file';

const NAMES = ['LAB_EVENTS_TEST_FROM_FILE', 'LAB_EVENTS_TEST_SET_BOTH', 'LAB_EVENTS_TEST_QUOTED'];
const dirs: string[] = [];
afterEach(() => {
  for (const name of NAMES) delete process.env[name];
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function dirWith(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-events-env-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

describe('loadEnvFile', () => {
  it('loads .env, and the environment wins over the file', () => {
    process.env.LAB_EVENTS_TEST_SET_BOTH = 'from the environment';
    const dir = dirWith({
      '.env':
        '# a comment\nLAB_EVENTS_TEST_FROM_FILE=42\nLAB_EVENTS_TEST_SET_BOTH=from the file\nLAB_EVENTS_TEST_QUOTED="a b # c"\n',
    });
    expect(loadEnvFile(dir)).toBe(path.join(dir, '.env'));
    expect(process.env.LAB_EVENTS_TEST_FROM_FILE).toBe('42');
    expect(process.env.LAB_EVENTS_TEST_SET_BOTH).toBe('from the environment');
    expect(process.env.LAB_EVENTS_TEST_QUOTED).toBe('a b # c');
  });

  it('does nothing without a .env file (.env.example is not read)', () => {
    const dir = dirWith({ '.env.example': 'LAB_EVENTS_TEST_FROM_FILE=1\n' });
    expect(loadEnvFile(dir)).toBeNull();
    expect(process.env.LAB_EVENTS_TEST_FROM_FILE).toBeUndefined();
  });
});
