/** The keyset cursor codec: `["c1", epoch ms, id]` as base64url JSON, and what it refuses. */
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/events/cursor';
import { badInput, thrown } from './thrown';

describe('encodeCursor / decodeCursor', () => {
  it('encodes the version, the instant in ms and the id as base64url JSON', () => {
    // base64url('["c1",0,"A"]') and base64url('["c1",1700000000000,"01ARZ3NDEKTSV4RRFFQ69G5FAV"]')
    expect(encodeCursor({ value: new Date(0), id: 'A' })).toBe('WyJjMSIsMCwiQSJd');
    expect(encodeCursor({ value: new Date('2023-11-14T22:13:20.000Z'), id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' })).toBe(
      'WyJjMSIsMTcwMDAwMDAwMDAwMCwiMDFBUlozTkRFS1RTVjRSUkZGUTY5RzVGQVYiXQ',
    );
  });

  it('decodes what it encoded', () => {
    expect(decodeCursor('WyJjMSIsMCwiQSJd')).toEqual({ value: new Date(0), id: 'A' });
    expect(decodeCursor('WyJjMSIsMTcwMDAwMDAwMDAwMCwiMDFBUlozTkRFS1RTVjRSUkZGUTY5RzVGQVYiXQ')).toEqual({
      value: new Date('2023-11-14T22:13:20.000Z'),
      id: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
    });
    const odd = { value: new Date(-1), id: '\u{1F600} ~?/+= "' };
    const cursor = encodeCursor(odd);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(odd);
  });

  it.each([
    ['not base64 JSON', 'nope'],
    ['empty', ''],
    ['another version', 'WyJjMiIsMCwiQSJd'], // ["c2",0,"A"]
    ['a string instant', 'WyJjMSIsIjAiLCJBIl0'], // ["c1","0","A"]
    ['an empty id', 'WyJjMSIsMCwiIl0'], // ["c1",0,""]
    ['an instant out of range', 'WyJjMSIsMWUyMCwiQSJd'], // ["c1",1e20,"A"]
    ['four members', 'WyJjMSIsMCwiQSIsMV0'], // ["c1",0,"A",1]
    ['an object', 'eyJjMSI6MH0'], // {"c1":0}
    ['over 512 characters', `WyJjMSIsMCwiQSJd${'A'.repeat(500)}`],
  ])('refuses a cursor that is %s, as BAD_USER_INPUT on `after`', (_name, cursor) => {
    expect(thrown(() => decodeCursor(cursor))).toEqual(badInput('Invalid cursor', 'after'));
  });

  it('names the argument it was given', () => {
    expect(thrown(() => decodeCursor('nope', 'before'))).toEqual(badInput('Invalid cursor', 'before'));
  });
});
