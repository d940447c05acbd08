/**
 * `selectorToSql`: the SQLite store's pushdown of a MongoDB selector. Exact where the column and
 * value types agree; a superset (`exact: false`, finished with mingo) or nothing elsewhere.
 */
import { describe, expect, it } from 'vitest';
import { regexLiteral, selectorToSql } from '../../src/store/sqlite/selector-to-sql';

const NONE = { sql: null, params: [], exact: false };

describe('selectorToSql', () => {
  it('pushes nothing down for the empty selector, exactly', () => {
    expect(selectorToSql({})).toEqual({ sql: null, params: [], exact: true });
  });

  it('compares a column with a literal of its type', () => {
    expect(selectorToSql({ event_type: 'log_info' })).toEqual({
      sql: '(event_type = ?)',
      params: ['log_info'],
      exact: true,
    });
    expect(selectorToSql({ _id: '01H' })).toEqual({ sql: '(id = ?)', params: ['01H'], exact: true });
    expect(selectorToSql({ alert: true })).toEqual({ sql: '(alert = ?)', params: [1], exact: true });
    expect(selectorToSql({ log_level: { $eq: 40 } })).toEqual({ sql: '((log_level = ?))', params: [40], exact: true });
  });

  it('stores instants as epoch milliseconds', () => {
    expect(
      selectorToSql({
        event_timestamp: { $gte: new Date('1970-01-01T00:00:01.000Z'), $lt: new Date('1970-01-01T00:00:02.000Z') },
      }),
    ).toEqual({
      sql: '((event_timestamp >= ?) AND (event_timestamp < ?))',
      params: [1000, 2000],
      exact: true,
    });
  });

  it('maps the source members and the comparison operators', () => {
    expect(selectorToSql({ 'source.node_id': { $gt: 'A', $lte: 'M' }, log_level: { $lt: 30 } })).toEqual({
      sql: '((source_node_id > ?) AND (source_node_id <= ?)) AND ((log_level < ?))',
      params: ['A', 'M', 30],
      exact: true,
    });
  });

  it('tests null as IS NULL on nullable columns and as false on the others', () => {
    expect(selectorToSql({ 'source.node_id': null })).toEqual({
      sql: '(source_node_id IS NULL)',
      params: [],
      exact: true,
    });
    expect(selectorToSql({ event_type: null })).toEqual({ sql: '(0)', params: [], exact: true });
    expect(selectorToSql({ trace_id: { $ne: null } })).toEqual({
      sql: '((trace_id IS NOT NULL))',
      params: [],
      exact: true,
    });
    expect(selectorToSql({ event_type: { $ne: null } })).toEqual({ sql: '((1))', params: [], exact: true });
  });

  it('says $ne per column kind: "= 0/1" on booleans, IS NOT on nullable columns, <> elsewhere', () => {
    expect(selectorToSql({ archived: { $ne: true } })).toEqual({ sql: '((archived = ?))', params: [0], exact: true });
    expect(selectorToSql({ alert: { $ne: false } })).toEqual({ sql: '((alert = ?))', params: [1], exact: true });
    expect(selectorToSql({ trace_id: { $ne: 't' } })).toEqual({
      sql: '((trace_id IS NOT ?))',
      params: ['t'],
      exact: true,
    });
    expect(selectorToSql({ event_type: { $ne: 'x' } })).toEqual({
      sql: '((event_type <> ?))',
      params: ['x'],
      exact: true,
    });
  });

  it('translates $in and $nin with and without null', () => {
    expect(selectorToSql({ event_type: { $in: ['a', 'b'] } })).toEqual({
      sql: '((event_type IN (?, ?)))',
      params: ['a', 'b'],
      exact: true,
    });
    expect(selectorToSql({ 'source.node_id': { $in: ['A', null] } })).toEqual({
      sql: '(((source_node_id IN (?) OR source_node_id IS NULL)))',
      params: ['A'],
      exact: true,
    });
    expect(selectorToSql({ _id: { $in: [] } })).toEqual({ sql: '((0))', params: [], exact: true });
    expect(selectorToSql({ trace_id: { $in: [null] } })).toEqual({
      sql: '((trace_id IS NULL))',
      params: [],
      exact: true,
    });
    expect(selectorToSql({ event_type: { $nin: ['a', 'b'] } })).toEqual({
      sql: '((NOT (event_type IN (?, ?))))',
      params: ['a', 'b'],
      exact: true,
    });
    expect(selectorToSql({ trace_id: { $nin: ['t'] } })).toEqual({
      sql: '(((trace_id IS NULL OR NOT (trace_id IN (?)))))',
      params: ['t'],
      exact: true,
    });
    expect(selectorToSql({ trace_id: { $nin: ['t', null] } })).toEqual({
      sql: '((trace_id IS NOT NULL AND NOT (trace_id IN (?))))',
      params: ['t'],
      exact: true,
    });
    expect(selectorToSql({ event_type: { $nin: [] } })).toEqual({ sql: '((1))', params: [], exact: true });
  });

  it('searches a literal regular expression with instr, and leaves real patterns and flags to mingo', () => {
    expect(selectorToSql({ search_text: { $regex: 'robot arm\\.' } })).toEqual({
      sql: '((instr(search_text, ?) > 0))',
      params: ['robot arm.'],
      exact: true,
    });
    expect(selectorToSql({ search_text: { $regex: '^robot' } })).toEqual(NONE);
    expect(selectorToSql({ search_text: { $regex: 'robot', $options: 'i' } })).toEqual(NONE);
    expect(selectorToSql({ log_level: { $regex: '1' } })).toEqual(NONE);
  });

  it('leaves to mingo what it cannot say exactly: other types, unknown paths, other operators', () => {
    expect(selectorToSql({ log_level: '20' })).toEqual(NONE);
    expect(selectorToSql({ alert: 1 })).toEqual(NONE);
    expect(selectorToSql({ event_timestamp: { $gte: '2024-01-01' } })).toEqual(NONE);
    expect(selectorToSql({ event_timestamp: new Date(Number.NaN) })).toEqual(NONE);
    expect(selectorToSql({ 'event_data.n': { $gt: 4 } })).toEqual(NONE);
    expect(selectorToSql({ event_type: { $exists: true } })).toEqual(NONE);
    expect(selectorToSql({ $nor: [{ alert: true }] })).toEqual(NONE);
  });

  it('keeps the SQL part of a conjunction and marks it inexact', () => {
    expect(selectorToSql({ log_level: 40, 'event_data.n': 1 })).toEqual({
      sql: '(log_level = ?)',
      params: [40],
      exact: false,
    });
    expect(selectorToSql({ $and: [{ log_level: 40 }, { 'event_data.n': 1 }] })).toEqual({
      sql: '(((log_level = ?)))',
      params: [40],
      exact: false,
    });
  });

  it('pushes a disjunction down only when every branch has SQL', () => {
    expect(selectorToSql({ $or: [{ alert: true }, { log_level: 50 }] })).toEqual({
      sql: '(((alert = ?)) OR ((log_level = ?)))',
      params: [1, 50],
      exact: true,
    });
    expect(selectorToSql({ $or: [{ alert: true }, { 'event_data.n': 1 }] })).toEqual(NONE);
    expect(selectorToSql({ $or: [] })).toEqual(NONE);
  });
});

describe('regexLiteral', () => {
  it.each<[string, string | null]>([
    ['robot arm', 'robot arm'],
    ['', ''],
    ['a\\.b\\(c\\)\\\\', 'a.b(c)\\'],
    ['a\\-b', 'a-b'],
    ['a.b', null],
    ['^a', null],
    ['a|b', null],
    ['a\\d', null],
    ['a\\n', null],
    ['a\\', null],
  ])('%j -> %j', (pattern, literal) => {
    expect(regexLiteral(pattern)).toBe(literal);
  });
});
