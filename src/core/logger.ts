import pino, { type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout (pino). */
export function createLogger(level: string): Logger {
  // Synchronous writes: the few lines logged just before process.exit are never lost.
  return pino({ level, base: { service: 'lab-events' } }, pino.destination({ dest: 1, sync: true }));
}
