/**
 * Headless Chromium for the browser tests: Debian's `chromium` package, driven by `playwright-core`
 * through `executablePath` (playwright's own browser download cannot work offline). The package is
 * installed with apt-get on first use when missing; only when that install fails do the browser
 * tests skip, and they say so loudly.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags for a quiet, sandbox-free headless browser that makes no background requests of its own. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let availability: { ok: true } | { ok: false; reason: string } | null = null;

/** Test files run in parallel workers: one installs, the others wait for it. */
const INSTALL_LOCK = path.join(os.tmpdir(), 'lab-events-chromium-install.lock');
const STALE_INSTALL_MS = 20 * 60_000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function installChromium(): void {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args: string[]) =>
    execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', ...args], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 900_000,
    });
  for (;;) {
    if (fs.existsSync(CHROMIUM_PATH)) return;
    let fd: number;
    try {
      fd = fs.openSync(INSTALL_LOCK, 'wx');
    } catch {
      const age = Date.now() - (fs.statSync(INSTALL_LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_INSTALL_MS) fs.rmSync(INSTALL_LOCK, { force: true });
      sleepSync(500);
      continue;
    }
    try {
      console.log(`${CHROMIUM_PATH} missing: installing Debian's chromium package (apt-get)`);
      apt(['update', '-qq']);
      apt(['install', '-y', '-qq', '--no-install-recommends', 'chromium']);
      if (!fs.existsSync(CHROMIUM_PATH)) throw new Error(`apt-get succeeded but ${CHROMIUM_PATH} is still missing`);
      return;
    } finally {
      fs.closeSync(fd);
      fs.rmSync(INSTALL_LOCK, { force: true });
    }
  }
}

/**
 * Makes sure `/usr/bin/chromium` exists, installing Debian's package when it does not (root and a
 * reachable Debian mirror needed). Returns why the browser is unavailable, or null when it is
 * there. The reason is also printed, loudly.
 */
export function chromiumUnavailableReason(): string | null {
  if (!availability) {
    try {
      installChromium();
      availability = { ok: true };
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
      availability = {
        ok: false,
        reason: `${error instanceof Error ? error.message : String(error)}${stderr ? `\n${stderr}` : ''}`,
      };
    }
  }
  if (availability.ok) return null;
  const banner = '!'.repeat(100);
  console.error(
    `\n${banner}\nBROWSER TESTS SKIPPED: headless Chromium could not be installed.\n${availability.reason}\n${banner}\n`,
  );
  return availability.reason;
}

/** Starts headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** A browser context that lets only loopback requests through and records every other one. */
export interface GuardedContext {
  context: BrowserContext;
  page: Page;
  /** URLs of requests that tried to leave the machine (all were aborted). */
  blocked: string[];
  /** Console errors and uncaught page errors, for diagnosis. */
  consoleErrors: string[];
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Whether a request stays on this machine (loopback, or a URL scheme that makes no request). */
export function isLocalRequest(url: string): boolean {
  const parsed = new URL(url);
  if (parsed.protocol === 'data:' || parsed.protocol === 'blob:' || parsed.protocol === 'about:') return true;
  return LOOPBACK_HOSTS.has(parsed.hostname) || parsed.hostname.startsWith('127.');
}

/**
 * Opens a context whose every non-loopback request is aborted and recorded (`page.route` on the
 * context covers pages and workers), with downloads accepted.
 */
export async function guardedContext(
  browser: Browser,
  options: { viewport?: { width: number; height: number }; timezoneId?: string } = {},
): Promise<GuardedContext> {
  const context = await browser.newContext({
    acceptDownloads: true,
    viewport: options.viewport ?? { width: 1400, height: 900 },
    ...(options.timezoneId ? { timezoneId: options.timezoneId } : {}),
  });
  const blocked: string[] = [];
  const consoleErrors: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLocalRequest(url)) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  // WebSockets are not routed by page.route: record any that leave the machine.
  const watch = (page: Page) => {
    page.on('websocket', (ws) => {
      if (!isLocalRequest(ws.url().replace(/^ws/, 'http'))) blocked.push(ws.url());
    });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
    page.on('response', (response) => {
      if (response.status() >= 400)
        consoleErrors.push(
          `HTTP ${response.status()} for ${response.request().method()} ${response.url()}: ${response.request().postData()?.slice(-200) ?? ''}`,
        );
    });
    page.on('requestfailed', (request: Request) => {
      if (!isLocalRequest(request.url())) return;
      const failure = request.failure()?.errorText ?? 'failed';
      // An aborted long-lived request (a closing page) is not an error of the page.
      if (!failure.includes('ERR_ABORTED')) consoleErrors.push(`requestfailed: ${request.url()} ${failure}`);
    });
  };
  context.on('page', watch);
  const page = await context.newPage();
  return { context, page, blocked, consoleErrors, close: () => context.close() };
}

/** Where browser tests write screenshots (gitignored). */
export const SCREENSHOT_DIR = path.resolve(__dirname, '..', 'screenshots');

/** Writes a full-page screenshot to test/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Where the README's images live (committed). */
export const README_IMAGE_DIR = path.resolve(__dirname, '..', '..', 'docs', 'images');

/**
 * A screenshot for the README: the viewport (what a person sees on opening the page), written to
 * test/screenshots/readme-<name>.png and, when README_IMAGES=1, to docs/images/<name>.png (so a
 * plain test run leaves the committed images alone). Returns the PNG's size in bytes.
 */
export async function readmeScreenshot(page: Page, name: string): Promise<number> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // Finite animations (a live row's highlight) are finished, so the picture shows the settled page.
  const png = await page.screenshot({ path: path.join(SCREENSHOT_DIR, `readme-${name}.png`), animations: 'disabled' });
  if (process.env.README_IMAGES === '1') {
    fs.mkdirSync(README_IMAGE_DIR, { recursive: true });
    fs.writeFileSync(path.join(README_IMAGE_DIR, `${name}.png`), png);
  }
  return png.length;
}
