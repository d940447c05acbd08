/**
 * `sanitizeSelector`: the gate for MADSci's raw MongoDB selectors. What it lets through (a safe
 * copy, dates as instants) and what it refuses (each with BAD_USER_INPUT on `selector`).
 */
import { describe, expect, it } from 'vitest';
import { sanitizeSelector } from '../../src/events/selector';
import { badInput, thrown } from './thrown';

const ALLOWED =
  'allowed: $eq $ne $gt $gte $lt $lte $in $nin $exists $regex $options $and $or $nor $not $elemMatch $size $all';
const refused = (message: string) => badInput(message, 'selector');

describe('sanitizeSelector: accepted selectors', () => {
  it('returns a copy of field conditions and logical operators as given', () => {
    const raw = {
      event_type: 'log_info',
      log_level: { $gte: 20, $lt: 50 },
      $or: [{ alert: true }, { 'source.node_id': { $in: ['A', null] } }],
      $nor: [{ archived: true }],
      'event_data.tags': { $all: ['a'], $size: 2 },
      trace_id: { $exists: false },
      search_text: { $regex: '^robot', $options: 'ix' },
      'event_data.k': { $not: { $gt: 3 } },
    };
    const copy = sanitizeSelector(raw, 10);
    expect(copy).toEqual({
      event_type: 'log_info',
      log_level: { $gte: 20, $lt: 50 },
      $or: [{ alert: true }, { 'source.node_id': { $in: ['A', null] } }],
      $nor: [{ archived: true }],
      'event_data.tags': { $all: ['a'], $size: 2 },
      trace_id: { $exists: false },
      search_text: { $regex: '^robot', $options: 'ix' },
      'event_data.k': { $not: { $gt: 3 } },
    });
    expect(copy).not.toBe(raw);
    expect(copy.$or).not.toBe(raw.$or);
  });

  it('reads $elemMatch as a query or as operators', () => {
    expect(sanitizeSelector({ 'event_data.items': { $elemMatch: { k: 9 } } }, 10)).toEqual({
      'event_data.items': { $elemMatch: { k: 9 } },
    });
    expect(sanitizeSelector({ 'event_data.tags': { $elemMatch: { $eq: 'a' } } }, 10)).toEqual({
      'event_data.tags': { $elemMatch: { $eq: 'a' } },
    });
  });

  it('turns ISO strings compared with the date fields into instants (naive = UTC); other strings stay', () => {
    expect(
      sanitizeSelector(
        {
          event_timestamp: { $gte: '2024-01-02T03:04:05Z', $lt: '2024-01-02T03:04:05' },
          received_at: { $in: ['2024-01-02T05:04:05+02:00'] },
          'x.archived_at': '2024-01-02',
          trace_id: '2024-01-02T03:04:05Z',
        },
        10,
      ),
    ).toEqual({
      event_timestamp: { $gte: new Date('2024-01-02T03:04:05.000Z'), $lt: new Date('2024-01-02T03:04:05.000Z') },
      received_at: { $in: [new Date('2024-01-02T03:04:05.000Z')] },
      'x.archived_at': new Date('2024-01-02T00:00:00.000Z'),
      trace_id: '2024-01-02T03:04:05Z',
    });
    expect(sanitizeSelector({ event_timestamp: 'yesterday' }, 10)).toEqual({ event_timestamp: 'yesterday' });
  });

  it('reads the three EJSON {"$date": ...} forms on any field', () => {
    expect(
      sanitizeSelector(
        {
          event_timestamp: { $lt: { $date: '2024-01-02T00:00:00Z' } },
          received_at: { $date: 1700000000000 },
          'event_data.at': { $gte: { $date: { $numberLong: '86400000' } } },
        },
        10,
      ),
    ).toEqual({
      event_timestamp: { $lt: new Date('2024-01-02T00:00:00.000Z') },
      received_at: new Date('2023-11-14T22:13:20.000Z'),
      'event_data.at': { $gte: new Date('1970-01-02T00:00:00.000Z') },
    });
  });

  it('accepts exactly maxDepth levels', () => {
    // query (1) > condition on a (2) > operand of $gt (3)
    expect(sanitizeSelector({ a: { $gt: 1 } }, 3)).toEqual({ a: { $gt: 1 } });
  });
});

describe('sanitizeSelector: refused selectors', () => {
  it.each([
    ['an array', []],
    ['null', null],
    ['a string', '{}'],
    ['a Date', new Date(0)],
  ])('refuses %s as the selector', (_name, raw) => {
    expect(thrown(() => sanitizeSelector(raw, 10))).toEqual(refused('The selector must be a JSON object'));
  });

  it.each<[string, unknown, string]>([
    ['$where', { $where: 'sleep(1000)' }, `Operator $where is not allowed at the top of a query; ${ALLOWED}`],
    [
      'a comparison at the top of a query',
      { $eq: [{}] },
      `Operator $eq is not allowed at the top of a query; ${ALLOWED}`,
    ],
    ['$expr in a condition', { a: { $expr: 1 } }, `Operator $expr is not allowed in the condition on "a"; ${ALLOWED}`],
    [
      '$function nested in $or',
      { $or: [{ b: { $function: 'x' } }] },
      `Operator $function is not allowed in the condition on "b"; ${ALLOWED}`,
    ],
    [
      'a logical operator in a condition',
      { 'x.y': { $or: [{}] } },
      `Operator $or is not allowed in the condition on "y"; ${ALLOWED}`,
    ],
    [
      'an operator in a literal document',
      { a: { b: { $gt: 1 } } },
      `Operator $gt is not allowed inside a literal document; ${ALLOWED}`,
    ],
    ['an empty $or', { $or: [] }, '$or takes a non-empty array of queries'],
    ['$and of a non-object', { $and: [1] }, '$and takes a non-empty array of queries'],
    ['$nor of an object', { $nor: { a: 1 } }, '$nor takes a non-empty array of queries'],
    ['operators mixed with fields', { a: { $gt: 1, b: 2 } }, 'Cannot mix operators and fields in the condition on "a"'],
    ['an invalid regular expression', { a: { $regex: '(' } }, '$regex is not a valid regular expression: "("'],
    ['a non-string $regex', { a: { $regex: 5 } }, '$regex takes a string'],
    ['a $regex over 1000 characters', { a: { $regex: 'x'.repeat(1001) } }, '$regex may be at most 1000 characters'],
    [
      'an unknown regex flag',
      { a: { $regex: 'a', $options: 'g' } },
      '$options may contain only the flags i, m, s and x',
    ],
    ['$options alone', { a: { $options: 'i' } }, '$options needs $regex'],
    ['$exists of a string', { a: { $exists: 'yes' } }, '$exists takes a boolean'],
    ['a negative $size', { a: { $size: -1 } }, '$size takes a non-negative integer'],
    ['a fractional $size', { a: { $size: 1.5 } }, '$size takes a non-negative integer'],
    ['$in of a string', { a: { $in: 'x' } }, '$in takes an array'],
    ['$not of a number', { a: { $not: 1 } }, '$not takes an object of operators'],
    ['$elemMatch of an array', { a: { $elemMatch: [] } }, '$elemMatch takes a query object'],
    ['an empty field path', { '': 1 }, 'Invalid field path ""'],
    ['an empty path segment', { 'a..b': 1 }, 'Invalid field path "a..b"'],
    ['an operator as a path segment', { 'a.$b': 1 }, 'Invalid field path "a.$b"'],
    ['an invalid EJSON date', { event_timestamp: { $date: 'nope' } }, 'Invalid {"$date": ...} value "nope"'],
  ])('refuses %s', (_name, raw, message) => {
    expect(thrown(() => sanitizeSelector(raw, 10))).toEqual(refused(message));
  });

  it('refuses nesting deeper than maxDepth', () => {
    expect(thrown(() => sanitizeSelector({ a: { $gt: 1 } }, 2))).toEqual(
      refused('The selector may nest at most 2 levels'),
    );
    let deep: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < 5000; i++) deep = { $and: [deep] };
    expect(thrown(() => sanitizeSelector(deep, 100))).toEqual(refused('The selector may nest at most 100 levels'));
  });

  it('refuses more than 10 000 parts', () => {
    // query, condition, the $in array and each item: 3 + 9 997 parts is the most.
    expect(Object.keys(sanitizeSelector({ a: { $in: new Array(9_997).fill(1) } }, 10))).toEqual(['a']);
    expect(thrown(() => sanitizeSelector({ a: { $in: new Array(9_998).fill(1) } }, 10))).toEqual(
      refused('The selector may have at most 10000 parts'),
    );
  });
});
