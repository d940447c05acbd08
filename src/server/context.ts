import type { EventLoader } from '../events/event.loader';
import type { Services } from './services';

/** What every resolver receives: the services and this operation's loaders. */
export interface GraphQLContext {
  services: Services;
  loaders: { eventById: EventLoader };
}
