/**
 * Where the server listens (src/app/http/listen-host.ts): loopback always; any other HOST only
 * with API keys or INSECURE_BIND=true, else a refusal naming the three variables.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { listenHost } from '../../src/app/http/listen-host';
import { ConfigError, loadConfig } from '../../src/core/config';
import { hashApiKey } from '../../src/core/api-keys';
import { Role } from '../../src/core/roles';

/** A logger that keeps its lines. */
function capture() {
  const lines: { msg: string; host?: string }[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe('listenHost', () => {
  it.each(['127.0.0.1', '127.0.0.2', '::1', 'localhost'])('listens on loopback %s without keys', (host) => {
    const { logger, lines } = capture();
    expect(listenHost(loadConfig({ HOST: host }), logger)).toBe(host);
    expect(lines).toEqual([]);
  });

  it.each(['0.0.0.0', '::', '192.0.2.10'])(
    'refuses %s without API_KEYS, naming HOST, API_KEYS and INSECURE_BIND',
    (host) => {
      const { logger } = capture();
      let error: unknown;
      try {
        listenHost(loadConfig({ HOST: host }), logger);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toContain(`HOST=${host}`);
      expect(message).toContain('API_KEYS');
      expect(message).toContain('INSECURE_BIND=true');
    },
  );

  it('serves 0.0.0.0 with API keys', () => {
    const { logger, lines } = capture();
    const config = loadConfig({ HOST: '0.0.0.0', API_KEYS: hashApiKey(Role.ADMIN, 'a-key-for-this-test') });
    expect(listenHost(config, logger)).toBe('0.0.0.0');
    expect(lines).toEqual([]);
  });

  it('serves 0.0.0.0 without keys under INSECURE_BIND=true, with a warning', () => {
    const { logger, lines } = capture();
    expect(listenHost(loadConfig({ HOST: '0.0.0.0', INSECURE_BIND: 'true' }), logger)).toBe('0.0.0.0');
    expect(lines).toMatchObject([{ host: '0.0.0.0', msg: expect.stringContaining('INSECURE_BIND') }]);
  });
});
