import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode, HTTP_STATUS } from '../../src/core/errors';

/** The rows of docs/errors.md's code table: code -> its cells after the code. */
function documentedCodes(): Map<string, string[]> {
  const text = fs.readFileSync(path.join(__dirname, '../../docs/errors.md'), 'utf8');
  const section = text.split('## Every code')[1]?.split('\n## ')[0] ?? '';
  const rows = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const match = /^\|\s*`([A-Z_]+)`\s*\|(.*)\|\s*$/.exec(line);
    if (match)
      rows.set(
        match[1]!,
        match[2]!.split('|').map((cell) => cell.trim()),
      );
  }
  return rows;
}

describe('docs/errors.md against src/core/errors.ts', () => {
  const rows = documentedCodes();

  it('has a row for every ErrorCode, and none for a code that does not exist', () => {
    expect([...rows.keys()].sort()).toEqual(Object.values(ErrorCode).sort());
  });

  it("gives each code the status of HTTP_STATUS and one cell per door and the 'when'", () => {
    for (const code of Object.values(ErrorCode)) {
      const cells = rows.get(code)!;
      expect(cells, code).toHaveLength(6);
      expect(cells[0], code).toBe(String(HTTP_STATUS[code]));
      for (const cell of cells) expect(cell, code).not.toBe('');
    }
  });
});
