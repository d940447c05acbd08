/**
 * The query limits of every GraphQL door, without a server: the estimated cost of an operation
 * (`assertCost`, `assertVariableLimits`) and the depth and alias rules (`limitRules`), over the
 * published schema.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { assertCost, assertVariableLimits, limitRules } from '../../src/app/graphql/limits';
import { badInput, thrown } from './thrown';

const schema = buildSchema(fs.readFileSync(path.join(__dirname, '../../schema.graphql'), 'utf8'));

const tooComplex = (message: string) => ({
  name: 'QueryTooComplexError',
  message,
  code: 'QUERY_TOO_COMPLEX',
  field: undefined,
});

/** The cost the server computes, read from the message of a check with a maximum of 0. */
function cost(query: string, variables?: Record<string, unknown>): number {
  const error = thrown(() => assertCost(schema, parse(query), variables, undefined, 0));
  const match = /^Query cost (\d+) exceeds the maximum of 0; ask for fewer items or fields$/.exec(error.message);
  expect(match, error.message).not.toBeNull();
  expect(error.code).toBe('QUERY_TOO_COMPLEX');
  return Number(match![1]);
}

describe('query cost', () => {
  it('counts 1 per field', () => {
    expect(cost('{ health { status: healthy description } }')).toBe(3);
  });

  it('multiplies the children of a list by its page size', () => {
    // events: 1 + 10 x edges (1 + node (1 + id 1))
    expect(cost('{ events(first: 10) { edges { node { id } } } }')).toBe(31);
    expect(cost('{ eventPage(limit: 7) { totalCount } }')).toBe(8);
    expect(cost('{ queryEvents(selector: {}, limit: 3) { id eventType } }')).toBe(7);
  });

  it('counts an unsized page as its default of 100, and an empty one as 1', () => {
    expect(cost('{ events { totalCount } }')).toBe(101);
    expect(cost('{ events(first: 0) { totalCount } }')).toBe(2);
    // An explicit null is no size: the default page is counted.
    expect(cost('{ events(first: null) { totalCount } }')).toBe(101);
    expect(cost('{ eventPage(limit: null) { totalCount } }')).toBe(101);
  });

  it('sizes by the ids or events asked for', () => {
    expect(cost('{ eventsByIds(ids: ["a", "b", "c"]) { id } }')).toBe(4);
    expect(
      cost('query($ids: [ID!]!) { eventsByIds(ids: $ids) { id eventType } }', { ids: ['a', 'b', 'c', 'd', 'e'] }),
    ).toBe(11);
  });

  it('reads page sizes from the variables', () => {
    expect(cost('query($n: Int) { events(first: $n) { totalCount } }', { n: 5 })).toBe(6);
  });

  it('passes at the maximum and refuses one above', () => {
    const query = parse('{ events(first: 10) { edges { node { id } } } }');
    expect(() => assertCost(schema, query, undefined, undefined, 31)).not.toThrow();
    expect(thrown(() => assertCost(schema, query, undefined, undefined, 30))).toEqual(
      tooComplex('Query cost 31 exceeds the maximum of 30; ask for fewer items or fields'),
    );
  });

  it('costs only the named operation', () => {
    const doc = parse('query Big { events(first: 1000) { totalCount } } query Small { health { healthy } }');
    expect(() => assertCost(schema, doc, undefined, 'Small', 2)).not.toThrow();
    expect(thrown(() => assertCost(schema, doc, undefined, 'Big', 2)).message).toBe(
      'Query cost 1001 exceeds the maximum of 2; ask for fewer items or fields',
    );
  });

  it('caches a cost per parsed document, yet re-estimates when a variable that sizes it changes', () => {
    // One DocumentNode, as Apollo hands it for every request of the same text.
    const costOf = (doc: ReturnType<typeof parse>, variables: Record<string, unknown>, operationName?: string) => {
      const error = thrown(() => assertCost(schema, doc, variables, operationName, 0));
      return Number(/^Query cost (\d+)/.exec(error.message)![1]);
    };
    const page = parse(
      'query($n: Int, $skip: Boolean!) { events(first: $n) { totalCount edges @skip(if: $skip) { node { id } } } }',
    );
    expect(costOf(page, { n: 5, skip: true })).toBe(6);
    expect(costOf(page, { n: 50, skip: true })).toBe(51);
    expect(costOf(page, { n: 5, skip: false })).toBe(21);
    expect(costOf(page, { n: 5, skip: true })).toBe(6);
    const byIds = parse(
      'query($ids: [ID!]!, $other: String) { eventsByIds(ids: $ids) { id eventType } health { healthy } }',
    );
    expect(costOf(byIds, { ids: ['a'], other: 'x' })).toBe(5);
    expect(costOf(byIds, { ids: ['a', 'b', 'c'], other: 'y' })).toBe(9);
    expect(costOf(byIds, { ids: ['z'], other: 'z' })).toBe(5);
    const two = parse('query A($n: Int) { events(first: $n) { totalCount } } query B { health { healthy } }');
    expect(costOf(two, { n: 7 }, 'A')).toBe(8);
    expect(costOf(two, { n: 7 }, 'B')).toBe(2);
  });

  it('leaves invalid variables to execution (BAD_USER_INPUT there), not to the cost check', () => {
    expect(() =>
      assertCost(schema, parse('query($n: Int) { events(first: $n) { totalCount } }'), { n: 'many' }, undefined, 0),
    ).not.toThrow();
  });
});

describe('assertVariableLimits', () => {
  const doc = parse('query($n: Int, $f: EventFilter) { events(first: $n, filter: $f) { totalCount } }');

  it('checks the depth of the variables before the cost', () => {
    // variables (1) > f (2) > and (3) > {} (4) > and (5) > {} (6)
    const deep = { n: 1, f: { and: [{ and: [{}] }] } };
    expect(thrown(() => assertVariableLimits(schema, doc, deep, null, { maxCost: 0, maxInputDepth: 5 }))).toEqual(
      badInput('Input nests deeper than 5 levels', 'variables'),
    );
    expect(thrown(() => assertVariableLimits(schema, doc, deep, null, { maxCost: 0, maxInputDepth: 6 }))).toEqual(
      tooComplex('Query cost 2 exceeds the maximum of 0; ask for fewer items or fields'),
    );
    expect(() => assertVariableLimits(schema, doc, null, null, { maxCost: 101, maxInputDepth: 0 })).not.toThrow();
  });
});

describe('limitRules', () => {
  const check = (query: string, maxDepth: number, maxAliases: number) =>
    validate(schema, parse(query), limitRules({ maxDepth, maxAliases, maxCost: 0 })).map((e) => ({
      message: e.message,
      code: e.extensions.code,
    }));

  it('passes a document within both limits', () => {
    expect(check('{ a: health { healthy } b: health { healthy } }', 1, 2)).toEqual([]);
  });

  it('refuses one alias too many, and reports it once however many follow', () => {
    const error = { message: 'A document may use at most 2 aliases', code: 'QUERY_TOO_COMPLEX' };
    expect(check('{ a: health { healthy } b: health { healthy } c: health { healthy } }', 5, 2)).toEqual([error]);
    expect(
      check(
        '{ a: health { healthy } b: health { healthy } c: health { x: healthy y: healthy } d: health { healthy } }',
        5,
        2,
      ),
    ).toEqual([error]);
  });

  it('refuses a selection deeper than maxDepth, with QUERY_TOO_COMPLEX; introspection is not counted', () => {
    // graphql-depth-limit counts the top-level fields as depth 0: id is at depth 3.
    const query = '{ events { edges { node { id } } } }';
    expect(check(query, 3, 10)).toEqual([]);
    expect(check(query, 2, 10)).toEqual([
      { message: "'' exceeds maximum operation depth of 2", code: 'QUERY_TOO_COMPLEX' },
    ]);
    expect(check('{ __schema { types { fields { type { ofType { name } } } } } }', 1, 10)).toEqual([]);
  });
});
