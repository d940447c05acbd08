import type { Principal } from '../../auth/auth.service';
import type { EventLoader } from '../../events/event.loader';
import type { LiveConnection } from '../../live/live.service';
import type { Services } from '../services';

/** What every resolver receives: the services and this operation's loaders. */
export interface GraphQLContext {
  services: Services;
  loaders: { eventById: EventLoader };
  /** Who is calling (see AuthService); operations are authorized on it before they execute. */
  principal?: Principal;
  /** The WebSocket an operation arrived on (graphql-ws only), for subscriber back-pressure. */
  connection?: LiveConnection;
}
