import os from 'node:os';
import { ulid } from 'ulid';
import type { EventStore } from '../store/event-store';

/** A name for this process as a lease holder: host, pid and a random part (unique per start). */
export function instanceId(): string {
  return `${os.hostname()}:${process.pid}:${ulid()}`;
}

/**
 * A named lease with expiry, held in the store beside the events, so that of several server
 * instances on one database only one does a job at a time. Expiry is what frees the lease of an
 * instance that died while holding it; the holder renews it while it works. Instances compare
 * expiry with their own clocks, so their clocks should agree to well within `ttlMs`.
 */
export class Lease {
  constructor(
    private readonly store: EventStore,
    readonly name: string,
    readonly owner: string,
    private readonly ttlMs: number,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Takes (or renews) the lease for `ttlMs`, or until `until` when given; false when another holds it. */
  acquire(until?: Date): Promise<boolean> {
    const now = this.clock();
    return this.store.acquireLease(this.name, this.owner, now, until ?? new Date(now.getTime() + this.ttlMs));
  }

  /** Renews the lease; false when it expired and another instance took it meanwhile. */
  renew(): Promise<boolean> {
    return this.acquire();
  }

  /** Gives the lease up (no-op when another holds it). */
  release(): Promise<void> {
    return this.store.releaseLease(this.name, this.owner);
  }
}
