/** `searchTextOf`: what the `text` filter searches in an event's `event_data`. */
import { describe, expect, it } from 'vitest';
import { searchTextOf } from '../../src/store/event-document';

describe('searchTextOf', () => {
  it.each<[string, unknown, string]>([
    ['a string, lower-cased', 'Hello WORLD', 'hello world'],
    ['a number', 42, '42'],
    ['a boolean', false, 'false'],
    ['null', null, ''],
    ['undefined', undefined, ''],
    ['an empty array', [], ''],
    ['an empty object', {}, ''],
    [
      'every scalar of an object, in order, keys excluded, nulls skipped',
      { Message: 'Robot ARM moved', n: 3, ok: true, nothing: null, list: ['A', { deep: 'B' }, [1.5]] },
      'robot arm moved\n3\ntrue\na\nb\n1.5',
    ],
  ])('%s', (_name, data, text) => {
    expect(searchTextOf(data)).toBe(text);
  });

  it('keeps at most 64 KiB of text', () => {
    expect(searchTextOf('X'.repeat(70_000))).toBe('x'.repeat(65_536));
    const many = searchTextOf(new Array(100_000).fill('ab'));
    expect(many).toHaveLength(65_536);
    expect(many.startsWith('ab\nab\n')).toBe(true);
  });
});
