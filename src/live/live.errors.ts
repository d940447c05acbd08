import { GraphQLError } from 'graphql';
import { ErrorCode } from '../core/errors';

/**
 * Ends a subscription whose consumer fell too far behind: more events queued for it than the
 * bound, or its socket's send buffer past the byte bound. The client resumes without a gap by
 * subscribing again with `after` set to the id of the last event it received.
 */
export class SlowConsumerError extends GraphQLError {
  constructor(reason: string) {
    super(
      `Subscription ended: the consumer fell too far behind (${reason}). Subscribe again with \`after\` set to the id of the last event received to resume without a gap.`,
      { extensions: { code: ErrorCode.SLOW_CONSUMER } },
    );
    this.name = 'SlowConsumerError';
  }
}

/** A WebSocket asked for more subscriptions at once than `MAX_SUBSCRIPTIONS_PER_CONNECTION`. */
export class TooManySubscriptionsError extends GraphQLError {
  constructor(max: number) {
    super(`At most ${max} subscriptions may be active on one connection; complete one first or open another connection`, {
      extensions: { code: ErrorCode.TOO_MANY_SUBSCRIPTIONS },
    });
    this.name = 'TooManySubscriptionsError';
  }
}
