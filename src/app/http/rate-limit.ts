import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import type { VerifyClientCallbackAsync } from 'ws';
import type { Config } from '../../core/config';

/** What the limiter decided for one request. */
export type RateDecision =
  | { allowed: true; headers: Record<string, string> }
  | { allowed: false; status: 429; detail: string; headers: Record<string, string> };

/**
 * MADSci's rate limiter (its `RateLimitMiddleware`), per client address, one for all doors (REST,
 * GraphQL over HTTP, graphql-ws operations): a sliding log of request
 * times over the long window; a request is refused when the short (burst) window or the long
 * window is full. Refused requests are not counted. Idle clients are forgotten every
 * `cleanupIntervalSeconds`. Headers and messages are MADSci's.
 */
export class RateLimiter {
  private readonly log = new Map<string, number[]>();
  private lastCleanup: number;
  private readonly exempt: Set<string>;

  constructor(
    private readonly settings: Config['rateLimit'],
    /** Seconds (fractional), injectable for tests. */
    private readonly now: () => number = () => Date.now() / 1000,
  ) {
    this.exempt = new Set(settings.exemptIps.map(normalizeAddress));
    this.lastCleanup = now();
  }

  /** Records a request arriving on `request`'s connection (its client address), if allowed. */
  checkRequest(request: Pick<IncomingMessage, 'socket'>): RateDecision | null {
    return this.check(request.socket.remoteAddress ?? 'unknown');
  }

  /** Records a request from `client` if allowed. */
  check(client: string): RateDecision | null {
    const address = normalizeAddress(client);
    if (this.exempt.has(address)) return null;
    const { requests, windowSeconds, shortRequests, shortWindowSeconds } = this.settings;
    const now = this.now();
    if (now - this.lastCleanup > this.settings.cleanupIntervalSeconds) this.cleanup(now);

    const times = (this.log.get(address) ?? []).filter((t) => t > now - windowSeconds);
    this.log.set(address, times);
    const resetOf = (fallback: number) => String(Math.trunc(times.length > 0 ? times[0]! + windowSeconds : fallback));

    const inShort = times.filter((t) => t > now - shortWindowSeconds);
    if (inShort.length >= shortRequests) {
      return {
        allowed: false,
        status: 429,
        detail: `Rate limit exceeded: ${shortRequests} requests per ${shortWindowSeconds} seconds (burst limit)`,
        headers: {
          'Retry-After': String(Math.max(1, Math.trunc(inShort[0]! + shortWindowSeconds - now) + 1)),
          'X-RateLimit-Limit': String(requests),
          'X-RateLimit-Remaining': '0',
          'X-RateLimit-Reset': resetOf(now + windowSeconds),
          'X-RateLimit-Burst-Limit': String(shortRequests),
          'X-RateLimit-Burst-Remaining': '0',
        },
      };
    }
    if (times.length >= requests) {
      return {
        allowed: false,
        status: 429,
        detail: `Rate limit exceeded: ${requests} requests per ${windowSeconds} seconds`,
        headers: {
          'Retry-After': String(Math.max(1, Math.trunc(times[0]! + windowSeconds - now) + 1)),
          'X-RateLimit-Limit': String(requests),
          'X-RateLimit-Remaining': '0',
          'X-RateLimit-Reset': resetOf(now + windowSeconds),
        },
      };
    }
    times.push(now);
    return {
      allowed: true,
      headers: {
        'X-RateLimit-Limit': String(requests),
        'X-RateLimit-Remaining': String(requests - times.length),
        'X-RateLimit-Reset': resetOf(0),
        'X-RateLimit-Burst-Limit': String(shortRequests),
        'X-RateLimit-Burst-Remaining': String(shortRequests - (inShort.length + 1)),
      },
    };
  }

  /** Number of clients currently tracked. */
  get trackedClients(): number {
    return this.log.size;
  }

  private cleanup(now: number): void {
    for (const [client, times] of this.log) {
      if (times.length === 0 || times.at(-1)! < now - this.settings.windowSeconds) this.log.delete(client);
    }
    this.lastCleanup = now;
  }
}

/** `::ffff:127.0.0.1` (an IPv4 client on a dual-stack socket) is `127.0.0.1`. */
function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** The limiter of a server (`RATE_LIMIT_ENABLED`), shared by every door; null when off. */
export function createRateLimiter(settings: Config['rateLimit']): RateLimiter | null {
  return settings.enabled ? new RateLimiter(settings) : null;
}

/**
 * Express middleware over the server's {@link RateLimiter}: every answer carries MADSci's
 * `X-RateLimit-*` headers, a refused request gets 429 with `Retry-After` and the body `refuse`
 * writes (each door has its own error shape). A pass-through when rate limiting is off.
 */
export function rateLimitMiddleware(limiter: RateLimiter | null, refuse: (detail: string) => unknown): RequestHandler {
  if (limiter === null) return (_req, _res, next) => next();
  return (req, res, next) => {
    const decision = limiter.checkRequest(req);
    if (decision === null) return next();
    res.set(decision.headers);
    if (!decision.allowed) {
      res.status(decision.status).json(refuse(decision.detail));
      return;
    }
    next();
  };
}

/**
 * The WebSocket handshake is a request too: a client over its limit gets HTTP 429 with MADSci's
 * headers instead of the upgrade (ws's `verifyClient`). Undefined when rate limiting is off.
 */
export function rateLimitHandshake(limiter: RateLimiter | null): VerifyClientCallbackAsync | undefined {
  if (limiter === null) return undefined;
  return ({ req }: { req: IncomingMessage }, accept) => {
    const decision = limiter.checkRequest(req);
    if (decision === null || decision.allowed) accept(true);
    else accept(false, decision.status, decision.detail, decision.headers);
  };
}
