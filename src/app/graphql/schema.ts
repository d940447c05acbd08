import 'reflect-metadata';
import { isObjectType, type GraphQLSchema } from 'graphql';
import { createPubSub } from '@graphql-yoga/subscription';
import { buildSchema, getMetadataStorage } from 'type-graphql';
import { AnalyticsResolver } from './analytics/analytics.resolver';
import { EventConnectionResolver, EventPageResolver, EventResolver, PageInfoResolver } from './events/event.resolver';
import { HealthResolver } from './health/health.resolver';
import { LifecycleResolver } from './lifecycle/lifecycle.resolver';
import { LiveResolver } from './live/live.resolver';
import { DateTimeISO } from './scalars';

/** Every resolver class of the API. */
export const RESOLVERS = [
  EventResolver,
  EventConnectionResolver,
  EventPageResolver,
  PageInfoResolver,
  HealthResolver,
  LiveResolver,
  LifecycleResolver,
  AnalyticsResolver,
] as const;

/** Builds the one schema that Apollo (HTTP) and graphql-ws (WebSocket) share. */
export async function createSchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: RESOLVERS,
    scalarsMap: [{ type: Date, scalar: DateTimeISO }],
    validate: false,
    // type-graphql requires a PubSub once there are subscriptions; ours bring their own
    // `subscribe` (src/live), so this one carries nothing.
    pubSub: createPubSub(),
  });
  readPropertiesDirectly(schema);
  return schema;
}

/**
 * type-graphql resolves every plain field (`@Field` on a property, no field resolver) through a
 * wrapper that builds a resolver-data object and runs the field's middleware chain around
 * `root[property]`; a page of 20 events resolves about 500 such fields. With no middlewares, roles
 * or global middlewares (none are used here), the wrapper returns `root[property]` itself, so those
 * fields read the property directly instead: the same value, without the per-field allocations
 * (docs/performance.md#graphql-over-http).
 */
function readPropertiesDirectly(schema: GraphQLSchema): void {
  const storage = getMetadataStorage();
  const resolved = new Map<unknown, Set<string>>();
  for (const resolver of storage.fieldResolvers) {
    const target = resolver.getObjectType?.();
    if (!resolved.has(target)) resolved.set(target, new Set());
    resolved.get(target)!.add(resolver.methodName);
  }
  for (const objectType of storage.objectTypes) {
    const type = schema.getType(objectType.name);
    if (!isObjectType(type)) continue;
    const fields = type.getFields();
    for (const field of objectType.fields ?? []) {
      const schemaField = fields[field.schemaName];
      if (!schemaField?.resolve || field.middlewares?.length || field.roles?.length) continue;
      if (resolved.get(field.target)?.has(field.name)) continue;
      const property = field.name;
      schemaField.resolve = (root: Record<string, unknown>) => root[property];
    }
  }
}
