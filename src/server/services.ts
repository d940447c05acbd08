import type { Config } from '../config/config';
import { createEventLoader } from '../events/event.loader';
import { EventService } from '../events/event.service';
import { HealthService } from '../health/health.service';
import type { EventStore } from '../store/event-store';
import type { GraphQLContext } from './context';

/** The services of one server, built once at start-up. */
export interface Services {
  config: Config;
  store: EventStore;
  events: EventService;
  health: HealthService;
}

/** Wires the services over a store. */
export function createServices(config: Config, store: EventStore, version: string): Services {
  const events = new EventService(store, config.limits);
  return { config, store, events, health: new HealthService(store, version) };
}

/** A fresh context per operation (HTTP request or WebSocket subscribe). */
export function createContext(services: Services): GraphQLContext {
  return { services, loaders: { eventById: createEventLoader(services.events) } };
}
