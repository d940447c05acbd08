import http from 'node:http';
import net from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LogEventDocument, type EventInput } from './generated/graphql';
import { NODES, WORKCELL } from './support/fixtures';
import { freePort } from './support/ferretdb';
import { startTestServer, type TestServer } from './support/server';

/** A mail as the SMTP peer received it. */
interface Mail {
  envelopeFrom: string;
  envelopeTo: string[];
  user: string | undefined;
  secure: boolean;
  headers: Record<string, string>;
  body: string;
}

/** Headers (unfolded, lower-case names) and the decoded text body of a single-part message. */
function parseMail(raw: string): { headers: Record<string, string>; body: string } {
  const split = raw.indexOf('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of raw
    .slice(0, split)
    .replace(/\r\n[ \t]+/g, ' ')
    .split('\r\n')) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.slice(split + 4);
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  if (encoding === 'quoted-printable') {
    body = Buffer.from(
      body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
      'latin1',
    ).toString('utf8');
  } else if (encoding === 'base64') {
    body = Buffer.from(body, 'base64').toString('utf8');
  }
  return { headers, body: body.replace(/\r\n/g, '\n').trimEnd() };
}

/** A real SMTP peer (STARTTLS with its built-in certificate, login required). */
async function startSmtpPeer(): Promise<{
  port: number;
  mails: Mail[];
  arrived: (count: number) => Promise<void>;
  stop: () => Promise<void>;
}> {
  const mails: Mail[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = new SMTPServer({
    logger: false,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, callback) {
      if (auth.username === 'lab' && auth.password === 's3cret') callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        mails.push({
          envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          envelopeTo: session.envelope.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
          secure: session.secure,
          ...parseMail(Buffer.concat(chunks).toString('utf8')),
        });
        for (const waiter of waiters.filter((w) => mails.length >= w.count)) waiter.resolve();
        callback();
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    mails,
    arrived: (count) =>
      mails.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve })),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** An HTTP receiver whose answers the test decides, one request at a time. */
function startWebhookReceiver() {
  const requests: { body: unknown; headers: http.IncomingHttpHeaders; respond: (status: number) => void }[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let autoStatus: number | null = 204;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const respond = (status: number) => res.writeHead(status).end();
      requests.push({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')), headers: req.headers, respond });
      if (autoStatus !== null) respond(autoStatus);
      for (const waiter of waiters.filter((w) => requests.length >= w.count)) waiter.resolve();
    });
  });
  return {
    requests,
    /** null: hold each request until the test calls its `respond`. */
    answerWith: (status: number | null) => {
      autoStatus = status;
    },
    arrived: (count: number) =>
      requests.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve })),
    listen: async () => {
      const port = await freePort();
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      return `http://127.0.0.1:${port}/hooks/alerts?token=abc`;
    },
    stop: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function logOn(server: TestServer, event: EventInput) {
  return (await server.ok(LogEventDocument, { event })).logEvent;
}

describe('alerts out: email and webhooks', () => {
  let smtp: Awaited<ReturnType<typeof startSmtpPeer>>;
  const hook = startWebhookReceiver();
  let server: TestServer;

  beforeAll(async () => {
    smtp = await startSmtpPeer();
    const url = await hook.listen();
    server = await startTestServer('sqlite', {
      SMTP_SERVER: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      SMTP_USERNAME: 'lab',
      SMTP_PASSWORD: 's3cret',
      SMTP_USE_TLS: 'true',
      // The peer's certificate is smtp-server's built-in self-signed one.
      SMTP_TLS_REJECT_UNAUTHORIZED: 'false',
      ALERT_EMAIL_SENDER: 'events@lab.example',
      ALERT_EMAIL_ADDRESSES: 'ops@lab.example, pi@lab.example',
      ALERT_EMAIL_IMPORTANCE: 'High',
      ALERT_WEBHOOK_URLS: url,
    });
  });
  afterAll(async () => {
    await server?.stop();
    await smtp?.stop();
    await hook.stop();
  });

  it('mails each address the alert, with the subject of docs/madsci-compatibility.md#d7-alert-e-mail-subjects and the event as JSON, and posts it to the webhook', async () => {
    await logOn(server, { eventType: 'LOG_INFO', logLevel: 'INFO', eventData: { message: 'not an alert' } });
    const event = await logOn(server, {
      eventType: 'NODE_ERROR',
      logLevel: 'ERROR',
      eventTimestamp: '2025-01-06T08:20:00Z',
      source: { nodeId: NODES[0], workcellId: WORKCELL },
      eventData: { message: 'Pump jammed', code: 7 },
      traceId: 'a'.repeat(32),
    });
    await smtp.arrived(2);
    await hook.arrived(1);

    const expectedJson = {
      event_id: event.id,
      event_type: 'node_error',
      log_level: 40,
      alert: false,
      event_timestamp: '2025-01-06T08:20:00.000Z',
      source: { node_id: NODES[0], workcell_id: WORKCELL },
      event_data: { message: 'Pump jammed', code: 7 },
      trace_id: 'a'.repeat(32),
      span_id: null,
      archived: false,
      archived_at: null,
    };
    const subject = `[ERROR] node_error from node_id=${NODES[0]}, workcell_id=${WORKCELL}`;
    expect(smtp.mails.map((m) => m.envelopeTo).sort()).toEqual([['ops@lab.example'], ['pi@lab.example']]);
    for (const mail of smtp.mails) {
      expect(mail).toMatchObject({ envelopeFrom: 'events@lab.example', user: 'lab', secure: true });
      expect(mail.headers).toMatchObject({
        subject,
        from: 'events@lab.example',
        to: mail.envelopeTo[0],
        importance: 'High',
        'x-priority': '1',
        'x-madsci-event-id': event.id,
      });
      expect(mail.headers['content-type']).toMatch(/^text\/plain/);
      // Pretty JSON, two-space indent, MADSci's field names and key order.
      expect(mail.body).toBe(JSON.stringify(expectedJson, null, 2));
    }

    const [request] = hook.requests;
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.body).toEqual({ type: 'alert', subject, level: 'ERROR', event: expectedJson });
    // The peer has the mail a moment before the sender has its answer.
    await vi.waitFor(
      () =>
        expect(server.handle.services.alerts.metrics()).toMatchObject({
          alerts: 1,
          email: { delivered: 2, failed: 0 },
          webhook: { delivered: 1, failed: 0 },
        }),
      {
        timeout: 20_000,
        interval: 10,
      },
    );
  });

  it('alerts on alert: true at any level, not on a retried duplicate', async () => {
    const flagged = await logOn(server, { eventType: 'LOG_WARNING', logLevel: 'WARNING', alert: true });
    await hook.arrived(2);
    // The client retries: same id, stored event returned, no second alert.
    await logOn(server, { id: flagged.id, eventType: 'LOG_WARNING', logLevel: 'WARNING', alert: true });
    const critical = await logOn(server, { eventType: 'WORKFLOW_ABORT', logLevel: 'CRITICAL' });
    await hook.arrived(3);
    await smtp.arrived(6);
    expect(hook.requests.map((r) => (r.body as { event: { event_id: string } }).event.event_id).slice(1)).toEqual([
      flagged.id,
      critical.id,
    ]);
    expect(
      smtp.mails
        .slice(2)
        .map((m) => m.headers.subject)
        .sort(),
    ).toEqual([
      '[CRITICAL] workflow_abort',
      '[CRITICAL] workflow_abort',
      '[WARNING] log_warning',
      '[WARNING] log_warning',
    ]);
    expect(server.handle.services.alerts.metrics().alerts).toBe(3);
  });
});

describe('alert delivery never holds up ingest', () => {
  const hook = startWebhookReceiver();
  let tarpit: net.Server;
  const tarpitSockets: net.Socket[] = [];
  let tarpitConnected: Promise<void>;
  let deadUrl: string;
  let server: TestServer;
  const metrics = () => server.handle.services.alerts.metrics();

  beforeAll(async () => {
    hook.answerWith(null);
    const url = await hook.listen();
    // An SMTP server that accepts connections and never says a word.
    let connected!: () => void;
    tarpitConnected = new Promise((resolve) => (connected = resolve));
    tarpit = net.createServer((socket) => {
      tarpitSockets.push(socket);
      connected();
    });
    const smtpPort = await freePort();
    await new Promise<void>((resolve) => tarpit.listen(smtpPort, '127.0.0.1', resolve));
    // A webhook URL where nothing listens.
    deadUrl = `http://127.0.0.1:${await freePort()}/dead`;
    server = await startTestServer('sqlite', {
      SMTP_SERVER: '127.0.0.1',
      SMTP_PORT: String(smtpPort),
      SMTP_USE_TLS: 'false',
      ALERT_EMAIL_ADDRESSES: 'ops@lab.example',
      ALERT_WEBHOOK_URLS: `${url},${deadUrl}`,
      ALERT_TIMEOUT_MS: '120000',
      ALERT_RETRY_BASE_MS: '20',
      ALERT_MAX_ATTEMPTS: '3',
    });
  });
  afterAll(async () => {
    await server?.stop();
    for (const socket of tarpitSockets) socket.destroy();
    await new Promise((resolve) => tarpit.close(resolve));
    await hook.stop();
  });

  it('logs events while a delivery hangs, retries with backoff, and counts what failed', async () => {
    const first = await logOn(server, { eventType: 'NODE_ERROR', logLevel: 'ERROR' });
    // Both deliveries of the first alert are now stuck: the webhook holds the request, the SMTP peer never greets.
    await hook.arrived(1);
    await tarpitConnected;

    // Ingest goes on while they hang.
    const second = await logOn(server, { eventType: 'NODE_ERROR', logLevel: 'CRITICAL' });
    expect(second.id).not.toBe(first.id);
    expect(hook.requests[0]!.body).toMatchObject({ event: { event_id: first.id } });
    expect(metrics()).toMatchObject({ alerts: 2, email: { delivered: 0 }, webhook: { delivered: 0 } });
    expect(metrics().pending).toBeGreaterThanOrEqual(4);

    // The dead URL is retried with backoff, then given up on, for each alert.
    await vi.waitFor(() => expect(metrics().webhook.failed).toBe(2), { timeout: 20_000, interval: 10 });
    expect(metrics().webhook.retries).toBeGreaterThanOrEqual(4);

    // The first alert's held webhook request fails with 503 and is retried; the retry succeeds.
    await hook.arrived(2);
    hook.answerWith(204);
    hook.requests[0]!.respond(503);
    hook.requests[1]!.respond(204);
    await vi.waitFor(() => expect(metrics().webhook.delivered).toBe(2), { timeout: 20_000, interval: 10 });
    const firstAttempts = hook.requests.filter(
      (r) => (r.body as { event: { event_id: string } }).event.event_id === first.id,
    );
    expect(firstAttempts.length).toBe(2);

    // The silent SMTP peer hangs up: the mails are retried, then counted as failed.
    for (const socket of tarpitSockets) socket.destroy();
    tarpit.removeAllListeners('connection');
    tarpit.on('connection', (socket: net.Socket) => socket.destroy());
    await vi.waitFor(() => expect(metrics().email.failed).toBe(2), { timeout: 20_000, interval: 10 });
    expect(metrics()).toMatchObject({ pending: 0, email: { delivered: 0 } });
  });
});

describe('the alert queue is bounded', () => {
  const hook = startWebhookReceiver();
  let server: TestServer;

  beforeAll(async () => {
    hook.answerWith(null);
    server = await startTestServer('sqlite', {
      ALERT_WEBHOOK_URLS: await hook.listen(),
      ALERT_QUEUE_SIZE: '2',
      ALERT_TIMEOUT_MS: '120000',
    });
  });
  afterAll(async () => {
    await server?.stop();
    await hook.stop();
  });

  it('drops and counts deliveries beyond its size instead of growing', async () => {
    for (let i = 0; i < 5; i++) await logOn(server, { logLevel: 'ERROR', eventData: { i } });
    const metrics = server.handle.services.alerts.metrics();
    expect(metrics).toMatchObject({ alerts: 5, pending: 2, webhook: { dropped: 3, delivered: 0 } });
    await hook.arrived(2);
    for (const request of hook.requests) request.respond(204);
    await vi.waitFor(
      () =>
        expect(server.handle.services.alerts.metrics()).toMatchObject({
          pending: 0,
          webhook: { delivered: 2, dropped: 3 },
        }),
      { timeout: 20_000, interval: 10 },
    );
  });
});
