import { ConfigError, type Config } from '../../core/config';
import type { Logger } from '../../core/logger';

/** Loopback addresses: only this machine can connect. */
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

/**
 * Where to listen: HOST. A non-loopback HOST (e.g. 0.0.0.0 in a container) without API keys is
 * refused unless INSECURE_BIND=true opts in: an open event server on a lab network would let
 * anyone purge or restore, and falling back to loopback would leave a container healthy but
 * unreachable.
 * @throws ConfigError naming HOST, API_KEYS and INSECURE_BIND.
 */
export function listenHost(config: Config, logger: Logger): string {
  if (config.auth.apiKeys.length > 0 || LOOPBACK.test(config.host)) return config.host;
  if (config.auth.insecureBind) {
    logger.warn(
      { host: config.host },
      'No API keys configured: serving the network without access control (INSECURE_BIND)',
    );
    return config.host;
  }
  throw new ConfigError(
    `Refusing to listen on HOST=${config.host} without API_KEYS: anyone on the network could purge or restore events. ` +
      'Set API_KEYS (an entry from `lab-events hash-key admin`), or INSECURE_BIND=true to serve without access control, ' +
      'or HOST=127.0.0.1 to serve this machine only.',
  );
}
