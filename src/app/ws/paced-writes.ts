import type { Socket } from 'node:net';
import type WebSocket from 'ws';

/** Options of {@link PacedWrites}. */
export interface PacedWritesOptions {
  /**
   * After a flush that took `t` ms, the next one starts no sooner than `t * pace` ms later: socket
   * writes take at most about `1 / (1 + pace)` of the process's time, however many sockets and
   * events there are. 0: flush at the end of every turn.
   */
  pace?: number;
  /** The longest wait between two flushes (ms), however long the last one took: bounds the latency added. */
  maxGapMs?: number;
  /** Clock (ms). */
  now?: () => number;
}

/**
 * Holds a WebSocket's writes and flushes every held socket together, so that the frames written
 * to one socket in a busy moment (several live events to each of a thousand sockets) leave in one
 * system call instead of one each: with a thousand sockets the write per frame is most of the
 * cost of a delivery (measured: 10-17 µs of `writev` per frame on 2 busy cores, against ~5 µs for
 * everything else), and its cost is per call much more than per byte.
 *
 * When to flush adapts to the load: an idle server flushes at the end of the turn the frame was
 * written in; after a flush that took `t` ms (many sockets, a busy machine), the next waits until
 * `t * pace` ms have passed (at most `maxGapMs`), so the frames of the events arriving meanwhile
 * go out together. A frame waits at most `maxGapMs` plus one flush.
 *
 * Uses the `net.Socket` under a `ws` WebSocket (`cork`/`uncork` are counted, so the frame
 * writer's own corking nests inside). Everything else written to a held socket meanwhile (pings,
 * graphql-ws's own `error`/`complete` frames, a close frame) waits with it, so the order on the
 * wire is the order of the writes; `bufferedAmount` counts held bytes, so back-pressure sees them.
 */
export class PacedWrites {
  private corked = new Set<Socket>();
  private scheduled = false;
  private nextFlushAt = 0;
  private readonly pace: number;
  private readonly maxGapMs: number;
  private readonly now: () => number;
  private readonly flushNow = () => this.flush();

  constructor(options: PacedWritesOptions = {}) {
    this.pace = options.pace ?? 1;
    this.maxGapMs = options.maxGapMs ?? 50;
    this.now = options.now ?? (() => performance.now());
  }

  /** Sockets holding writes now (for tests). */
  get held(): number {
    return this.corked.size;
  }

  /**
   * Sends one text frame on `socket` whose payload is `prefix` then `body`; it leaves with the
   * next flush. Without an extension on the socket (no permessage-deflate, the server's default),
   * the frame goes to the TCP socket as a small header (with the prefix) and `body` itself, so a
   * body shared by a thousand sockets is neither copied nor re-encoded per socket; otherwise
   * through `ws`.
   */
  send(socket: WebSocket, prefix: Buffer, body: Buffer): void {
    const raw = (socket as unknown as { _socket?: Socket })._socket;
    const usable = raw !== undefined && typeof raw.cork === 'function' && !raw.destroyed;
    if (usable && !this.corked.has(raw)) {
      raw.cork();
      this.corked.add(raw);
      this.schedule();
    }
    if (usable && socket.extensions === '' && socket.readyState === socket.OPEN) {
      raw.write(frameHead(prefix, body.length));
      raw.write(body);
    } else {
      socket.send(Buffer.concat([prefix, body]), { binary: false });
    }
  }

  /** Flushes every held socket now. */
  flush(): void {
    this.scheduled = false;
    if (this.corked.size === 0) return;
    const sockets = this.corked;
    this.corked = new Set();
    const started = this.now();
    for (const raw of sockets) raw.uncork();
    const ended = this.now();
    this.nextFlushAt = ended + Math.min(this.maxGapMs, (ended - started) * this.pace);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = this.nextFlushAt - this.now();
    if (wait >= 1) setTimeout(this.flushNow, wait);
    else setImmediate(this.flushNow);
  }
}

/** The header of an unmasked, final text frame of `prefix.length + bodyLength` bytes, followed by `prefix` (RFC 6455 §5.2). */
function frameHead(prefix: Buffer, bodyLength: number): Buffer {
  const length = prefix.length + bodyLength;
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const head = Buffer.allocUnsafe(headerLength + prefix.length);
  head[0] = 0x81;
  if (length < 126) {
    head[1] = length;
  } else if (length < 65536) {
    head[1] = 126;
    head.writeUInt16BE(length, 2);
  } else {
    head[1] = 127;
    head.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    head.writeUInt32BE(length >>> 0, 6);
  }
  prefix.copy(head, headerLength);
  return head;
}
