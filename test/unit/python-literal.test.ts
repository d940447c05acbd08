/**
 * `parsePythonLiteral`: the selector MADSci's Python client sends in a query string, printed
 * with Python's `str()` (single quotes, True/False/None, tuples), or JSON.
 */
import { describe, expect, it } from 'vitest';
import { LiteralSyntaxError, parsePythonLiteral } from '../../src/app/rest/python-literal';

describe('parsePythonLiteral', () => {
  it.each<[string, unknown]>([
    ["{'event_data.test': {'$gte': 10}}", { 'event_data.test': { $gte: 10 } }],
    ["{'a': True, 'b': False, 'c': None}", { a: true, b: false, c: null }],
    ['{"a": [1, 2.5, -3e2], "b": null, "c": true}', { a: [1, 2.5, -300], b: null, c: true }],
    ["('x', 1)", ['x', 1]],
    ['()', []],
    ['[1, 2,]', [1, 2]],
    ["{'a': 1,}", { a: 1 }],
    ['  [ ]  ', []],
    ['1_000', 1000],
    ['.5', 0.5],
    ['+7', 7],
    ['-0.25e1', -2.5],
    ["'it\\'s'", "it's"],
    ['"say \\"hi\\""', 'say "hi"'],
    ["'\\x41\\u00e9\\U0001F600\\101\\n\\t\\\\'", 'Aé\u{1F600}A\n\t\\'],
    ["'\\d'", '\\d'],
    ["{'$in': ['a', \"b\"], 'nested': {'list': [(1, 2), {}]}}", { $in: ['a', 'b'], nested: { list: [[1, 2], {}] } }],
  ])('reads %s', (text, value) => {
    expect(parsePythonLiteral(text)).toEqual(value);
  });

  it('keeps __proto__ as an ordinary key, without touching the prototype', () => {
    const value = parsePythonLiteral("{'__proto__': {'polluted': 1}}") as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads 100 levels of nesting and refuses 101', () => {
    expect(parsePythonLiteral(`${'['.repeat(101)}${']'.repeat(101)}`)).toHaveLength(1);
    expect(() => parsePythonLiteral(`${'['.repeat(102)}${']'.repeat(102)}`)).toThrow(
      new LiteralSyntaxError('nesting deeper than 100 at position 101'),
    );
  });

  it.each([
    ['datetime.datetime(2024, 1, 1)', 'unsupported value datetime.datetime at position 0'],
    ['', 'unexpected end of input at position 0'],
    ['   ', 'unexpected end of input at position 3'],
    ['@', 'unexpected character "@" at position 0'],
    ['{1: 2}', 'dictionary keys must be strings at position 2'],
    ["{'a' 2}", 'expected ":" at position 5'],
    ["{'a': 2 'b': 3}", 'expected "," or "}" at position 8'],
    ['[1 2]', 'expected "," or "]" at position 3'],
    ['(1 2)', 'expected "," or ")" at position 3'],
    ['1 2', 'unexpected text after the value at position 2'],
    ["'abc", 'unterminated string at position 4'],
    ["'a\nb'", 'unterminated string at position 2'],
    ["'\\x4'", 'invalid escape at position 3'],
    ["'\\UFFFFFFFF'", 'invalid escape at position 11'],
    ['-', 'invalid number at position 0'],
    ['1e999', 'invalid number at position 0'],
  ])('refuses %j: %s', (text, message) => {
    let error: unknown;
    try {
      parsePythonLiteral(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(LiteralSyntaxError);
    expect((error as Error).name).toBe('LiteralSyntaxError');
    expect((error as Error).message).toBe(message);
  });
});
