import type { Config } from '../../core/config';
import type { Logger } from '../../core/logger';

/**
 * Where to listen: HOST, except that without API keys a non-loopback HOST falls back to
 * 127.0.0.1 (with a warning) unless INSECURE_BIND opts in: an open event server on a lab network
 * would let anyone purge or restore.
 */
export function listenHost(config: Config, logger: Logger): string {
  const loopback = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i.test(config.host);
  if (config.auth.apiKeys.length > 0 || loopback) return config.host;
  if (config.auth.insecureBind) {
    logger.warn(
      { host: config.host },
      'No API keys configured: serving the network without access control (INSECURE_BIND)',
    );
    return config.host;
  }
  logger.warn(
    { host: config.host },
    'No API keys configured: listening on 127.0.0.1 only; set API_KEYS (or INSECURE_BIND=true) to serve the network',
  );
  return '127.0.0.1';
}
