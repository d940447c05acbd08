import type { Config } from '../core/config';
import type { Logger } from '../core/logger';
import { InProcessLiveBus, type LiveBus } from './live-bus';
import { RedisLiveBus } from './redis-live-bus';

/** Redis pub/sub when `REDIS_URL` is set (several instances), otherwise in process. */
export function createLiveBus(config: Config['live'], logger: Logger): LiveBus {
  if (config.redisUrl) return new RedisLiveBus(config.redisUrl, config.redisChannel, logger);
  return new InProcessLiveBus((error) => logger.error({ err: error }, 'live subscriber failed on an event'));
}
