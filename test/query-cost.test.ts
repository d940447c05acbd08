/**
 * The default MAX_QUERY_COST (50 000, docs/limits.md#query-cost) at its boundary, over HTTP on a
 * real server: an operation costing exactly the maximum is answered, one costing 1 more is refused
 * with 400 and QUERY_TOO_COMPLEX; two pages of 1 000 events with the dashboard's fields fit, three
 * do not.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server';

/** 24 pages of 1 000 ids (2 001 each: 48 024), one count page of 1 000 (1 001), one of `n` (1 + n). */
const EDGE = `query Edge($n: Int) {
  ${Array.from({ length: 24 }, (_, i) => `p${i}: events(first: 1000) { nodes { id } }`).join('\n  ')}
  c1: eventPage(limit: 1000) { totalCount }
  c2: eventPage(limit: $n) { totalCount }
}`;

/** The dashboard's event fields, as it asks for them (web/dashboard/api.ts). */
const DASHBOARD_FIELDS = fs
  .readFileSync(path.join(__dirname, '..', 'web', 'dashboard', 'api.ts'), 'utf8')
  .match(/const EVENT_FIELDS = `([^`]*)`/)![1]!;
const dashboardPages = (count: number) =>
  `{ ${Array.from({ length: count }, (_, i) => `p${i}: events(first: 1000) { totalCount nodes { ${DASHBOARD_FIELDS} } pageInfo { endCursor hasNextPage } }`).join(' ')} }`;

describe('the default query cost limit', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('sqlite'); // MAX_QUERY_COST unset: the default
  });
  afterAll(async () => server?.stop());

  async function ask(query: string, variables?: Record<string, unknown>) {
    const response = await server.post(JSON.stringify({ query, variables }));
    const body = (await response.json()) as {
      data?: unknown;
      errors?: { message: string; extensions?: { code?: string } }[];
    };
    return { status: response.status, code: body.errors?.[0]?.extensions?.code, body };
  }

  it('answers an operation costing exactly 50 000 and refuses 50 001 with 400 QUERY_TOO_COMPLEX', async () => {
    const at = await ask(EDGE, { n: 974 }); // 48 024 + 1 001 + 975 = 50 000
    expect({ status: at.status, code: at.code }).toEqual({ status: 200, code: undefined });
    expect(at.body.data).toMatchObject({ c1: { totalCount: 0 }, c2: { totalCount: 0 } });

    const over = await ask(EDGE, { n: 975 });
    expect({ status: over.status, code: over.code }).toEqual({ status: 400, code: 'QUERY_TOO_COMPLEX' });
    expect(over.body.errors?.[0]?.message).toBe(
      'Query cost 50001 exceeds the maximum of 50000; ask for fewer items or fields',
    );
  });

  it('admits two dashboard pages of 1 000 events in one request, not three', async () => {
    expect(await ask(dashboardPages(2))).toMatchObject({ status: 200, code: undefined });
    expect(await ask(dashboardPages(3))).toMatchObject({ status: 400, code: 'QUERY_TOO_COMPLEX' });
  });
});
