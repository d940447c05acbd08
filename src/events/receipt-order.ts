/** One log call's place in receipt order (see {@link ReceiptOrder}). */
export interface ReceiptTurn {
  /** Later than every receipt time handed out before by this instance. */
  receivedAt: Date;
  /** Runs `announce` once every earlier call has announced or given up; returns at once. */
  announce(announce: () => void): void;
  /** Gives the turn up (the call stored nothing), so later calls are not held back. */
  skip(): void;
}

/**
 * Receipt order for one server instance. Live subscribers resume with `after` by replaying stored
 * events in receipt order (`received_at`, then `_id`), so they must also have been told of them
 * in that order, or a resume would repeat some events and skip others. Concurrent log calls
 * finish their inserts in any order (MongoDB, several connections), and two calls in one
 * millisecond would share a receipt time. So each call takes a turn: a receipt time strictly
 * later than the previous one (a millisecond ahead of the clock at most while calls arrive faster
 * than one per millisecond), and its announcement waits for every earlier call's.
 */
export class ReceiptOrder {
  private last = 0;
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly clock: () => Date) {}

  /** The next turn; take it before the call can fail, and always announce or skip it. */
  take(): ReceiptTurn {
    const receivedAt = new Date(Math.max(this.clock().getTime(), this.last + 1));
    this.last = receivedAt.getTime();
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise((resolve) => (release = resolve));
    let settled = false;
    const settle = (announce?: () => void) => {
      if (settled) return;
      settled = true;
      void previous.then(() => {
        try {
          announce?.();
        } finally {
          release();
        }
      });
    };
    return { receivedAt, announce: settle, skip: () => settle() };
  }
}
