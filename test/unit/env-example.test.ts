/**
 * `.env.example` against the configuration schema (src/core/config.ts), so it cannot drift: it
 * names every variable the server reads and nothing else, and copying it to `.env` changes
 * nothing (every value written is the default); commented lines show optional settings.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { configDefaults, loadConfig } from '../../src/core/config';

const TEXT = fs.readFileSync(path.join(__dirname, '..', '..', '.env.example'), 'utf8');
/** `NAME=value` lines, read as `.env` is read (Node's parser). */
const ACTIVE = parseEnv(TEXT) as Record<string, string>;
/** `# NAME=value` lines: optional settings, shown but not set. */
const COMMENTED = Object.fromEntries(
  [...TEXT.matchAll(/^#\s*([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((match) => [match[1]!, match[2]!.trim()]),
);
/** Variables whose unset value differs from every value one could write (on, except in production). */
const DEPENDS_ON_NODE_ENV = ['IDE_ENABLED', 'INTROSPECTION'];

describe('.env.example', () => {
  const names = Object.keys(configDefaults());

  it('names every variable the configuration reads, and only those', () => {
    const written = new Set([...Object.keys(ACTIVE), ...Object.keys(COMMENTED)]);
    expect(names.filter((name) => !written.has(name))).toEqual([]);
    expect([...written].filter((name) => !names.includes(name))).toEqual([]);
    expect(Object.keys(ACTIVE).filter((name) => name in COMMENTED)).toEqual([]);
  });

  it('writes each default as it is: copied to .env it changes nothing, in development or production', () => {
    const defaults = configDefaults();
    for (const [name, value] of Object.entries(ACTIVE)) {
      expect({ [name]: loadConfig({ [name]: value }).env[name] }).toEqual({ [name]: defaults[name] });
    }
    expect(loadConfig(ACTIVE)).toEqual(loadConfig({}));
    expect(loadConfig({ ...ACTIVE, NODE_ENV: 'production' })).toEqual(loadConfig({ NODE_ENV: 'production' }));
  });

  it('comments out only optional settings (nothing by default) and those whose default depends on NODE_ENV, with valid examples', () => {
    const defaults = configDefaults();
    for (const [name, value] of Object.entries(COMMENTED)) {
      const nothing = [undefined, ''].includes(defaults[name] as string) || (defaults[name] as unknown[]).length === 0;
      expect({ name, optional: nothing || DEPENDS_ON_NODE_ENV.includes(name) }).toEqual({
        name,
        optional: true,
      });
      expect(() => loadConfig({ [name]: value }), `${name}=${value}`).not.toThrow();
    }
  });
});
