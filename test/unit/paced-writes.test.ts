import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { PacedWrites } from '../../src/app/ws/paced-writes';

/** A real WebSocket server on localhost with `count` connected clients, and what each client received. */
async function connectedPairs(count: number, perMessageDeflate = false) {
  const httpServer = http.createServer();
  const wss = new WebSocketServer({ server: httpServer, perMessageDeflate });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  const accepted: WebSocket[] = [];
  wss.on('connection', (socket) => accepted.push(socket));
  const clients: WebSocket[] = [];
  const received: string[][] = [];
  for (let i = 0; i < count; i++) {
    const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate });
    const inbox: string[] = [];
    client.on('message', (data) => inbox.push(String(data)));
    await new Promise((resolve) => client.once('open', resolve));
    clients.push(client);
    received.push(inbox);
  }
  await vi.waitFor(() => expect(accepted.length).toBe(count));
  // Write calls on each server-side TCP socket (one per system call: `_writev` takes a whole corked batch).
  const writes = accepted.map((socket) => {
    const raw = (socket as unknown as { _socket: Socket & Record<string, unknown> })._socket;
    const counter = { calls: 0 };
    for (const method of ['_write', '_writev'] as const) {
      const original = raw[method] as (...args: unknown[]) => unknown;
      raw[method] = (...args: unknown[]) => {
        counter.calls += 1;
        return original.apply(raw, args);
      };
    }
    return counter;
  });
  return {
    server: accepted,
    received,
    writes,
    close: async () => {
      for (const client of clients) client.terminate();
      for (const socket of accepted) socket.terminate();
      wss.close();
      await new Promise((resolve) => httpServer.close(resolve));
    },
  };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
/** One text frame, given as a prefix and a body as the fan-out gives it. */
const send = (paced: PacedWrites, socket: WebSocket, text: string) =>
  paced.send(socket, Buffer.from(text.slice(0, 3)), Buffer.from(text.slice(3)));

describe('PacedWrites', () => {
  let close: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await close?.();
    close = null;
  });

  it('sends the frames written to several sockets in one turn in one write per socket, in order, with the frames written beside it', async () => {
    const pairs = await connectedPairs(3);
    close = pairs.close;
    const writes = new PacedWrites();
    const expected: string[][] = [[], [], []];
    for (let i = 0; i < 50; i++) {
      for (const [s, socket] of pairs.server.entries()) {
        // Each socket gets its own subset, interleaved with the others.
        if (i % (s + 1) !== 0) continue;
        send(writes, socket, `s${s}-${i}`);
        expected[s]!.push(`s${s}-${i}`);
      }
      // A frame written straight to the socket (graphql-ws's own, a pong) keeps its place.
      if (i === 25) {
        pairs.server[0]!.send('direct');
        expected[0]!.push('direct');
      }
    }
    expect(writes.held).toBe(3);
    await vi.waitFor(() => pairs.received.forEach((inbox, s) => expect(inbox.length).toBe(expected[s]!.length)));
    expect(pairs.received).toEqual(expected);
    expect(pairs.writes.map((w) => w.calls)).toEqual([1, 1, 1]);
    expect(writes.held).toBe(0);
  });

  it('after a long flush, holds new frames until the pace allows, then sends them together; never longer than maxGapMs', async () => {
    const pairs = await connectedPairs(1);
    close = pairs.close;
    const socket = pairs.server[0]!;
    // A clock on which each reading is 10 ms after the previous: every flush "takes" 10 ms.
    let clock = 0;
    const paced = new PacedWrites({ pace: 4, maxGapMs: 1000, now: () => (clock += 10) });
    send(paced, socket, 'first');
    await vi.waitFor(() => expect(pairs.received[0]).toEqual(['first']));
    const before = pairs.writes[0]!.calls;
    send(paced, socket, 'a');
    await turn();
    send(paced, socket, 'b');
    await turn();
    // Still held a turn later (the next flush is 40 ms after the last one ended), then sent in one write.
    expect(paced.held).toBe(1);
    expect(pairs.writes[0]!.calls).toBe(before);
    await vi.waitFor(() => expect(pairs.received[0]).toEqual(['first', 'a', 'b']));
    expect(pairs.writes[0]!.calls).toBe(before + 1);

    // However long the last flush took, the wait is capped.
    // The first flush ends an hour after it started on this clock; the next send comes then.
    const readings = [0, 0, 3_600_000];
    const capped = new PacedWrites({ pace: 1, maxGapMs: 20, now: () => readings.shift() ?? 3_600_000 });
    send(capped, socket, 'c');
    await vi.waitFor(() => expect(pairs.received[0]).toContain('c'));
    send(capped, socket, 'd');
    await turn();
    expect(capped.held).toBe(1);
    await vi.waitFor(() => expect(pairs.received[0]).toEqual(['first', 'a', 'b', 'c', 'd']), { timeout: 2000 });
  });

  it('counts held bytes in bufferedAmount (back-pressure sees them) and survives a socket closed while held', async () => {
    const pairs = await connectedPairs(2);
    close = pairs.close;
    const paced = new PacedWrites();
    const [a, b] = pairs.server as [WebSocket, WebSocket];
    send(paced, a, 'x'.repeat(10_000));
    expect(a.bufferedAmount).toBeGreaterThanOrEqual(10_000);
    send(paced, b, 'kept');
    a.terminate();
    await vi.waitFor(() => expect(pairs.received[1]).toEqual(['kept']));
    expect(paced.held).toBe(0);
    expect(b.bufferedAmount).toBe(0);
  });

  it.each([false, true])(
    'frames every length a client can parse, multi-byte text included (permessage-deflate: %s)',
    async (perMessageDeflate) => {
      const pairs = await connectedPairs(1, perMessageDeflate);
      close = pairs.close;
      const socket = pairs.server[0]!;
      expect(socket.extensions === '').toBe(!perMessageDeflate);
      const paced = new PacedWrites();
      // Around the 7-bit, 16-bit and 64-bit length encodings (RFC 6455 §5.2), in bytes.
      const texts = [0, 1, 120, 125, 126, 127, 65_535, 65_536, 70_000].map((n) => 'x'.repeat(n));
      texts.push('{"id":"é✓","type":"next"}', 'ü'.repeat(63), 'ü'.repeat(63) + 'a');
      for (const text of texts) send(paced, socket, text);
      await vi.waitFor(() => expect(pairs.received[0]!.length).toBe(texts.length));
      expect(pairs.received[0]).toEqual(texts);
    },
  );
});
