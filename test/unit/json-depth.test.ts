/** `jsonDepth` and `assertInputDepth`: nesting depth of hostile JSON, counted without recursion. */
import { describe, expect, it } from 'vitest';
import { assertInputDepth, jsonDepth } from '../../src/core/json-depth';
import { badInput, thrown } from './thrown';

/** `levels` arrays inside each other around a scalar. */
function nested(levels: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { k: value };
  return value;
}

describe('jsonDepth', () => {
  it.each<[string, unknown, number]>([
    ['a number', 1, 0],
    ['a string', 'x', 0],
    ['null', null, 0],
    ['undefined', undefined, 0],
    ['{}', {}, 1],
    ['[]', [], 1],
    ['{a: [1]}', { a: [1] }, 2],
    ['[[[]]]', [[[]]], 3],
    ['the deepest branch wins', { a: { b: {} }, c: [], d: 1 }, 3],
    ['siblings do not add up', [[1], [2], [3], { x: [4] }], 3],
  ])('%s is %i deep', (_name, value, depth) => {
    expect(jsonDepth(value, 100)).toBe(depth);
  });

  it('stops at max + 1', () => {
    expect(jsonDepth([[[]]], 3)).toBe(3);
    expect(jsonDepth([[[]]], 2)).toBe(3);
    expect(jsonDepth([[[[[[]]]]]], 2)).toBe(3);
  });

  it('walks 200 000 levels without overflowing the stack', () => {
    expect(jsonDepth(nested(200_000), 10)).toBe(11);
    expect(jsonDepth(nested(50_000), 100_000)).toBe(50_000);
  });
});

describe('assertInputDepth', () => {
  it('accepts max levels and refuses one more, naming the input', () => {
    expect(() => assertInputDepth(nested(3), 3, 'variables')).not.toThrow();
    expect(() => assertInputDepth(null, 0, 'variables')).not.toThrow();
    expect(thrown(() => assertInputDepth(nested(4), 3, 'variables'))).toEqual(
      badInput('Input nests deeper than 3 levels', 'variables'),
    );
    expect(thrown(() => assertInputDepth(nested(100_000), 64, 'body'))).toEqual(
      badInput('Input nests deeper than 64 levels', 'body'),
    );
  });
});
