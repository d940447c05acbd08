import type { Browser, Page, Worker } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogEventDocument, LogEventsDocument } from './generated/graphql';
import {
  chromiumUnavailableReason,
  guardedContext,
  launchChromium,
  readmeScreenshot,
  screenshot,
  type GuardedContext,
} from './support/chromium';
import { DEMO_WORKCELLS, demoLabEvents, logDemoEvents } from '../scripts/demo-lab';
import { NODES } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';
import { ensureWebBundle } from './support/web-bundle';

/** The query of the README's IDE picture: the lab's problems, and its events per level. */
const README_QUERY = `# Warnings and worse of one workcell, newest first,
# and the lab's events per level
query WorkcellProblems($filter: EventFilter) {
  events(filter: $filter, first: 2) {
    totalCount
    nodes {
      eventTimestamp
      logLevel
      eventType
      source { nodeId workcellId workflowId }
      eventData
    }
  }
  eventCounts(groupBy: LOG_LEVEL) { key count }
}
`;

/** Its variables. */
const README_VARIABLES = JSON.stringify(
  { filter: { minLevel: 'WARNING', source: { workcellId: [DEMO_WORKCELLS.synthesis.id] } } },
  null,
  2,
);

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

describe('the GraphQL IDE over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    await ensureWebBundle();
    server = await startTestServer('sqlite');
  });
  afterAll(async () => server?.stop());

  it('answers a browser at GET /graphql with the IDE page, same-origin only', async () => {
    const response = await fetch(`${server.url}/graphql`, { headers: { accept: BROWSER_ACCEPT } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    const html = await response.text();
    // Everything the page loads is under /assets on this server.
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(urls.filter((url) => url !== 'data:,')).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/assets\/ide-[A-Z0-9]+\.js$/),
        expect.stringMatching(/^\/assets\/ide-[A-Z0-9]+\.css$/),
      ]),
    );
    expect(urls.every((url) => url === 'data:,' || url.startsWith('/assets/'))).toBe(true);
    const config = JSON.parse(/<script type="application\/json" id="page-config">(.*?)<\/script>/s.exec(html)![1]!) as {
      workers: Record<string, string>;
    };
    expect(Object.values(config.workers)).toHaveLength(3);
    for (const url of Object.values(config.workers)) expect(url).toMatch(/^\/assets\/\w+\.worker-[A-Z0-9]+\.js$/);
  });

  it('serves the bundle with year-long immutable caching, gzip-compressed when accepted', async () => {
    const html = await (await fetch(`${server.url}/graphql`, { headers: { accept: BROWSER_ACCEPT } })).text();
    const script = /src="(\/assets\/ide-[A-Z0-9]+\.js)"/.exec(html)![1]!;
    const gzipped = await fetch(`${server.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(gzipped.status).toBe(200);
    expect(gzipped.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(gzipped.headers.get('content-encoding')).toBe('gzip');
    expect(gzipped.headers.get('content-type')).toMatch(/^(application|text)\/javascript/);
    const body = await gzipped.text(); // fetch decompresses
    const plain = await fetch(`${server.url}${script}`, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(body);
    expect((await fetch(`${server.url}/assets/no-such-file.js`)).status).toBe(404);
  });

  it('leaves API requests to GraphQL: POST, GET asking for JSON, and GET with a query', async () => {
    const post = await server.post(JSON.stringify({ query: '{ health { healthy } }' }));
    expect(await post.json()).toEqual({ data: { health: { healthy: true } } });
    const json = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ health { healthy } }')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    expect(json.headers.get('content-type')).toMatch(/^application\/(graphql-response\+)?json/);
    expect(await json.json()).toEqual({ data: { health: { healthy: true } } });
    const curl = await fetch(`${server.url}/graphql`, { headers: { accept: '*/*' } });
    expect(curl.headers.get('content-type')).not.toMatch(/html/);
  });
});

describe('the IDE switch', () => {
  const servers: TestServer[] = [];
  afterAll(async () => {
    for (const server of servers) await server.stop();
  });
  const idePage = async (env: Record<string, string>) => {
    const server = await startTestServer('sqlite', env);
    servers.push(server);
    const response = await fetch(`${server.url}/graphql`, { headers: { accept: BROWSER_ACCEPT } });
    return (response.headers.get('content-type') ?? '').startsWith('text/html');
  };

  it('is on by default, off by default in production, and either way when IDE_ENABLED says so', async () => {
    expect(await idePage({})).toBe(true);
    expect(await idePage({ NODE_ENV: 'production' })).toBe(false);
    expect(await idePage({ NODE_ENV: 'production', IDE_ENABLED: 'true' })).toBe(true);
    expect(await idePage({ IDE_ENABLED: 'false' })).toBe(false);
  });
});

const browserUnavailable = chromiumUnavailableReason();

describe.skipIf(browserUnavailable !== null)('the GraphQL IDE in headless Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let guarded: GuardedContext;
  let page: Page;
  const workers: string[] = [];
  const apiKeys: string[] = [];
  const wsFrames: string[] = [];
  let storedId: string;

  /** The text of the response editor (Monaco renders lines as DOM, spaces as no-break spaces). */
  const responseText = async () => (await page.locator('.graphiql-response').innerText()).replace(/\u00a0/g, ' ');

  /** Replaces the contents of the Monaco model whose URI ends with `suffix` (GraphiQL exposes Monaco as globalThis.__MONACO). */
  async function setEditor(suffix: string, value: string, target: Page = page): Promise<void> {
    await target.evaluate(
      ([wanted, text]) => {
        const monaco = (
          globalThis as unknown as {
            __MONACO: { editor: { getModels(): { uri: { toString(): string }; setValue(v: string): void }[] } };
          }
        ).__MONACO;
        const model = monaco.editor.getModels().find((m) => m.uri.toString().endsWith(wanted!));
        if (!model)
          throw new Error(
            `no editor model ending with ${wanted}: ${monaco.editor
              .getModels()
              .map((m) => m.uri.toString())
              .join(', ')}`,
          );
        model.setValue(text!);
      },
      [suffix, value],
    );
  }

  /** The contents of the Monaco model whose URI ends with `suffix`. */
  const editorValue = (suffix: string) =>
    page.evaluate((wanted) => {
      const monaco = (
        globalThis as unknown as {
          __MONACO: { editor: { getModels(): { uri: { toString(): string }; getValue(): string }[] } };
        }
      ).__MONACO;
      return (
        monaco.editor
          .getModels()
          .find((m) => m.uri.toString().endsWith(wanted))
          ?.getValue() ?? null
      );
    }, suffix);

  beforeAll(async () => {
    await ensureWebBundle();
    server = await startTestServer('sqlite');
    const logged = await server.ok(LogEventsDocument, {
      events: [
        {
          eventType: 'NODE_START',
          logLevel: 'INFO',
          source: { nodeId: NODES[0] },
          eventData: { message: 'arm online' },
        },
        {
          eventType: 'NODE_ERROR',
          logLevel: 'ERROR',
          source: { nodeId: NODES[1] },
          eventData: { message: 'gripper stalled' },
        },
      ],
    });
    storedId = logged.logEvents.events[1]!.id;
    browser = await launchChromium();
    guarded = await guardedContext(browser);
    page = guarded.page;
    page.on('worker', (worker: Worker) => workers.push(worker.url()));
    page.on('request', (request) => {
      const key = request.headers()['x-api-key'];
      if (key !== undefined) apiKeys.push(key);
    });
    page.on('websocket', (ws) => ws.on('framesent', (frame) => wsFrames.push(String(frame.payload))));
  });
  afterAll(async () => {
    await guarded?.close();
    await browser?.close();
    await server?.stop();
  });

  it('loads the schema from this server and shows it in the documentation explorer', async () => {
    const introspection = page.waitForResponse(
      (r) =>
        r.url().endsWith('/graphql') &&
        r.request().method() === 'POST' &&
        (r.request().postData() ?? '').includes('IntrospectionQuery'),
    );
    await page.goto(`${server.url}/graphql`);
    expect((await introspection).status()).toBe(200);
    await page.getByRole('button', { name: /documentation explorer/i }).click();
    const docs = page.locator('.graphiql-doc-explorer');
    await docs.getByText('Query', { exact: true }).first().waitFor();
    await docs.getByText('Subscription', { exact: true }).first().waitFor();
    // Monaco's workers are the bundled scripts, from this origin.
    await expect.poll(() => workers.length, { timeout: 30_000 }).toBeGreaterThan(0);
    for (const url of workers) expect(url).toMatch(new RegExp(`^${server.url}/assets/\\w+\\.worker-[A-Z0-9]+\\.js$`));
    await screenshot(page, 'ide-schema');
  });

  it('opens with example operations and an API-key header, and runs a query', async () => {
    const tabs = page.locator('.graphiql-tab');
    await expect.poll(() => tabs.count()).toBeGreaterThanOrEqual(5);
    const titles = await tabs.allInnerTexts();
    expect(titles.join(' ')).toMatch(/RecentEvents.*LiveEvents.*LogEvent.*EventsPerHour.*Alerts/s);
    // The first example opens with its variables and the API-key header to fill in.
    expect(JSON.parse((await editorValue('variables.json'))!)).toEqual({ filter: { minLevel: 'INFO' } });
    expect(JSON.parse((await editorValue('headers.json'))!)).toEqual({ 'X-API-Key': '' });

    await page.locator('.graphiql-tab', { hasText: 'RecentEvents' }).click();
    await page.getByRole('button', { name: /^headers$/i }).click();
    await expect.poll(() => page.locator('.graphiql-editor-tool').innerText()).toContain('X-API-Key');
    await setEditor('headers.json', JSON.stringify({ 'X-API-Key': 'lab-key-1' }));
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(responseText, { timeout: 30_000 }).toContain(storedId);
    expect(await responseText()).toMatch(/"totalCount": 2\b/);
    expect(apiKeys).toContain('lab-key-1');
    await screenshot(page, 'ide-query');
  });

  it('runs a subscription over graphql-ws that shows an event logged by the test', async () => {
    await page.locator('.graphiql-tab', { hasText: 'LiveEvents' }).click();
    await setEditor('headers.json', JSON.stringify({ 'X-API-Key': 'lab-key-1' }));
    const socket = page.waitForEvent('websocket', { timeout: 10_000 }).catch(async (error: unknown) => {
      await screenshot(page, 'ide-subscription-failed');
      throw new Error(`no WebSocket opened; page errors: ${guarded.consoleErrors.join(' | ')}`, { cause: error });
    });
    await page.locator('.graphiql-execute-button').click();
    expect((await socket).url()).toBe(`${server.url.replace('http', 'ws')}/graphql`);
    // Subscribed once the server counts the subscription; then log and watch it arrive.
    await expect.poll(() => server.handle.services.live.stats().subscribers, { timeout: 30_000 }).toBe(1);
    const logged = await server.ok(LogEventDocument, {
      event: {
        eventType: 'NODE_ERROR',
        logLevel: 'ERROR',
        source: { nodeId: NODES[2] },
        eventData: { message: 'live from the test' },
      },
    });
    await expect.poll(responseText, { timeout: 30_000 }).toContain(logged.logEvent.id);
    expect(await responseText()).toContain('live from the test');
    // The header editor's headers went along as the connection's parameters.
    expect(wsFrames.some((frame) => frame.includes('"connection_init"') && frame.includes('lab-key-1'))).toBe(true);
    await screenshot(page, 'ide-subscription');
    // Stop it.
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(() => server.handle.services.live.stats().subscribers, { timeout: 30_000 }).toBe(0);
  });

  it('fills the window at 1400x900 and 1920x1080, with several lines of variables in view', async () => {
    for (const viewport of [
      { width: 1400, height: 900 },
      { width: 1920, height: 1080 },
    ]) {
      const sized = await guardedContext(browser, { viewport });
      try {
        await sized.page.goto(`${server.url}/graphql`);
        const tool = sized.page.locator('.graphiql-editor-tool');
        await tool.locator('.view-line').first().waitFor({ timeout: 30_000 });
        const measured = await sized.page.evaluate(() => {
          const doc = globalThis as unknown as {
            innerHeight: number;
            document: { querySelector(s: string): { getBoundingClientRect(): { top: number; bottom: number } } | null };
          };
          const box = (selector: string) => {
            const rect = doc.document.querySelector(selector)?.getBoundingClientRect();
            return rect ? { top: rect.top, bottom: rect.bottom } : null;
          };
          return {
            innerHeight: doc.innerHeight,
            container: box('.graphiql-container'),
            sessions: box('.graphiql-sessions'),
            tool: box('.graphiql-editor-tool'),
          };
        });
        // The editor area (tabs, editors, response) reaches down to the bottom of the window.
        expect(measured.sessions!.bottom - measured.sessions!.top).toBeGreaterThanOrEqual(0.9 * measured.innerHeight);
        expect(measured.container!.bottom).toBeLessThanOrEqual(measured.innerHeight + 1);
        // The variables editor shows the whole first example (five lines), not one cut-off line.
        const visibleLines = await tool
          .locator('.view-line')
          .evaluateAll(
            (lines, bottom) =>
              lines.filter(
                (line) =>
                  (line as unknown as { getBoundingClientRect(): { bottom: number } }).getBoundingClientRect().bottom <=
                  bottom,
              ).length,
            measured.tool!.bottom,
          );
        expect(visibleLines).toBeGreaterThanOrEqual(5);
        expect(measured.tool!.bottom - measured.tool!.top).toBeGreaterThanOrEqual(5 * 19);
        await screenshot(sized.page, `ide-${viewport.width}x${viewport.height}`);
        expect(sized.blocked).toEqual([]);
      } finally {
        await sized.close();
      }
    }
  });

  it('runs a query over a day of lab data, for the README (docs/images/ide.png)', async () => {
    await logDemoEvents(server.url, demoLabEvents(Date.now()));
    const readme = await guardedContext(browser, { viewport: { width: 1400, height: 900 } });
    try {
      const shown = readme.page;
      await shown.goto(`${server.url}/graphql`);
      await shown.locator('.graphiql-editor-tool .view-line').first().waitFor({ timeout: 30_000 });
      await setEditor('operation.graphql', README_QUERY, shown);
      await setEditor('variables.json', README_VARIABLES, shown);
      await shown.locator('.graphiql-execute-button').click();
      const response = async () => (await shown.locator('.graphiql-response').innerText()).replace(/\u00a0/g, ' ');
      await expect.poll(response, { timeout: 30_000 }).toContain('"eventCounts"');
      expect(await response()).toContain(DEMO_WORKCELLS.synthesis.id);
      const bytes = await readmeScreenshot(shown, 'ide');
      expect(bytes).toBeLessThan(300 * 1024);
      expect(readme.blocked).toEqual([]);
      expect(readme.consoleErrors).toEqual([]);
    } finally {
      await readme.close();
    }
  });

  it('made no request that left the machine, and the page logged no error', () => {
    expect(guarded.blocked).toEqual([]);
    expect(guarded.consoleErrors).toEqual([]);
  });
});
