import { NoSchemaIntrospectionCustomRule, type ValidationRule } from 'graphql';
import type { Config } from '../../core/config';
import { limitRules } from './limits';

/**
 * Validation rules every operation must pass besides the specification's, on both pipelines:
 * Apollo (`validationRules`, HTTP) and graphql-ws (its `validate` hook, WebSocket), which
 * executes outside Apollo's plugins. The depth and alias limits therefore apply to
 * subscriptions exactly as to queries. (The cost limit needs variables, so it runs once they are
 * known: `variableLimitsPlugin` for Apollo, `onSubscribe` for graphql-ws.)
 */
export function validationRules(config: Config): ValidationRule[] {
  const limits = limitRules({
    maxDepth: config.limits.maxQueryDepth,
    maxAliases: config.limits.maxAliases,
    maxCost: config.limits.maxQueryCost,
  });
  // INTROSPECTION off (the production default): `__schema`/`__type` refused on both doors.
  return config.introspection ? limits : [...limits, NoSchemaIntrospectionCustomRule];
}
