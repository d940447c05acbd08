/**
 * Holds this process's operations on a collection while it is swapped for another (see
 * `MongoEventStore.replaceAll`). Operations pass freely while the gate is open; {@link close}
 * waits for the running ones to finish and holds new ones until it is opened again. Held
 * operations are delayed, never failed or dropped.
 */
export class SwapGate {
  private running = 0;
  /** Resolves when the gate opens again; null while open. */
  private closed: Promise<void> | null = null;
  private drained: (() => void) | null = null;

  /** Runs one operation (a single database call: never hold it across a `yield`). */
  async run<T>(operation: () => Promise<T>): Promise<T> {
    while (this.closed) await this.closed;
    this.running++;
    try {
      return await operation();
    } finally {
      if (--this.running === 0) this.drained?.();
    }
  }

  /**
   * Holds new operations, waits until the running ones have finished, and returns the function
   * that opens the gate again (call it exactly once, whatever happens). One closer at a time.
   */
  async close(): Promise<() => void> {
    while (this.closed) await this.closed;
    let open!: () => void;
    this.closed = new Promise<void>((resolve) => (open = resolve));
    if (this.running > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.drained = null;
    return () => {
      this.closed = null;
      open();
    };
  }
}
