import { Presets, SingleBar } from 'cli-progress';
import type { ImportProgress } from './import.command';

/** A writable stream that may be a terminal. */
export type OutputStream = NodeJS.WritableStream & { isTTY?: boolean };

/** Shows an import's progress. */
export interface ProgressReporter {
  update(progress: ImportProgress): void;
  /** Ends the display (the bar stays on screen with its final counts). */
  stop(): void;
}

/** Documents per second, as a whole number. */
export function rateOf(progress: ImportProgress): number {
  return progress.elapsedMs > 0 ? Math.round((progress.read * 1000) / progress.elapsedMs) : 0;
}

/**
 * A progress bar with counts and rate when `stream` is a terminal (cli-progress); otherwise plain
 * lines, at most one every `intervalMs` (logs and CI output stay readable).
 */
export function createProgressReporter(stream: OutputStream, intervalMs = 2000): ProgressReporter {
  return stream.isTTY ? new BarReporter(stream) : new LineReporter(stream, intervalMs);
}

class BarReporter implements ProgressReporter {
  private readonly bar: SingleBar;
  private started = false;

  constructor(stream: OutputStream) {
    this.bar = new SingleBar(
      {
        stream,
        format:
          'importing |{bar}| {percentage}% | {value}/{total} read | {inserted} new | {skipped} already present | {rate}/s | ETA {eta_formatted}',
        hideCursor: true,
        etaBuffer: 50,
        fps: 10,
      },
      Presets.shades_classic,
    );
  }

  update(progress: ImportProgress): void {
    const payload = { inserted: progress.inserted, skipped: progress.skipped, rate: rateOf(progress) };
    if (!this.started) {
      this.bar.start(Math.max(progress.total, progress.read), progress.read, payload);
      this.started = true;
      return;
    }
    if (progress.read > this.bar.getTotal()) this.bar.setTotal(progress.read);
    this.bar.update(progress.read, payload);
  }

  stop(): void {
    if (this.started) this.bar.stop();
  }
}

class LineReporter implements ProgressReporter {
  private lastLine = 0;
  private last: ImportProgress | null = null;
  private printedLast = false;

  constructor(
    private readonly stream: OutputStream,
    private readonly intervalMs: number,
  ) {}

  update(progress: ImportProgress): void {
    this.last = progress;
    this.printedLast = false;
    const now = Date.now();
    if (this.lastLine !== 0 && now - this.lastLine < this.intervalMs) return;
    this.lastLine = now;
    this.print(progress);
  }

  stop(): void {
    if (this.last && !this.printedLast) this.print(this.last);
  }

  private print(progress: ImportProgress): void {
    this.printedLast = true;
    const total = Math.max(progress.total, progress.read);
    const percent = total > 0 ? Math.floor((progress.read * 100) / total) : 100;
    this.stream.write(
      `read ${progress.read}/${total} (${percent}%), ${progress.inserted} new, ${progress.skipped} already present, ${rateOf(progress)}/s\n`,
    );
  }
}
