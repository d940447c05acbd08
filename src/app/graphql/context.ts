import type { Principal } from '../../auth/auth.service';
import { createEventLoader, type EventLoader } from '../../events/event.loader';
import type { EventService } from '../../events/event.service';
import type { LiveConnection } from '../../live/live.service';
import type { Services } from '../services';

/** What every resolver receives: the services and this operation's loaders. */
export interface GraphQLContext {
  services: Services;
  loaders: { readonly eventById: EventLoader };
  /** Who is calling (see AuthService); operations are authorized on it before they execute. */
  principal?: Principal;
  /** The WebSocket an operation arrived on (graphql-ws only), for subscriber back-pressure. */
  connection?: LiveConnection;
}

/** An operation's loaders, each made on first use (most operations load nothing by id). */
class Loaders {
  private events?: EventLoader;
  constructor(private readonly service: EventService) {}

  get eventById(): EventLoader {
    return (this.events ??= createEventLoader(this.service));
  }
}

/**
 * A fresh context per operation (HTTP request or WebSocket subscribe): the services, new loaders
 * (so batching and caching never span operations) and the caller. Without a principal the caller
 * has no role, so every operation through a server's plugins is refused.
 */
export function createContext(services: Services, principal?: Principal): GraphQLContext {
  const context: GraphQLContext = { services, loaders: new Loaders(services.events) };
  if (principal) context.principal = principal;
  return context;
}
