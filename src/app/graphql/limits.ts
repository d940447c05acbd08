import type { ApolloServerPlugin } from '@apollo/server';
import depthLimit from 'graphql-depth-limit';
import {
  visit,
  type DocumentNode,
  type GraphQLError,
  type GraphQLSchema,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { QueryTooComplexError } from '../../core/errors';
import { asRequestError, toGraphQLError } from './graphql-errors';
import { assertInputDepth } from '../../core/json-depth';

/** Query limits, the same on every door (HTTP and WebSocket). */
export interface QueryLimits {
  /** Deepest selection (introspection not counted). */
  maxDepth: number;
  /** Most aliased fields in one document. */
  maxAliases: number;
  /** Highest estimated cost (see {@link listCostEstimator}). */
  maxCost: number;
}

/** A validation rule's report of a limit exceeded. */
function tooComplex(message: string): GraphQLError {
  return toGraphQLError(new QueryTooComplexError(message));
}

/** A rule refusing documents with more than `max` aliases (alias batching amplifies cost). */
export function aliasLimit(max: number): ValidationRule {
  return (context: ValidationContext) => {
    let aliases = 0;
    return {
      Field(node) {
        if (node.alias && ++aliases === max + 1)
          context.reportError(tooComplex(`A document may use at most ${max} aliases`));
      },
    };
  };
}

/** Depth and alias limits as validation rules, for Apollo's and graphql-ws's validation alike. */
export function limitRules(limits: QueryLimits): ValidationRule[] {
  const depth: ValidationRule = (context) => {
    // graphql-depth-limit reports a plain GraphQLError; give it our code.
    const report = context.reportError.bind(context);
    context.reportError = (error) =>
      report(/exceeds maximum operation depth/.test(error.message) ? tooComplex(error.message) : error);
    return depthLimit(limits.maxDepth, { ignore: [/^__/] })(context);
  };
  return [depth, aliasLimit(limits.maxAliases)];
}

/** Arguments that size a list: a page size, or the ids asked for. */
function listSize(args: Record<string, unknown>): number | null {
  for (const name of ['first', 'limit']) {
    const value = args[name];
    if (typeof value === 'number') return Math.max(value, 1);
  }
  if (Array.isArray(args.ids)) return Math.max(args.ids.length, 1);
  if (Array.isArray(args.events)) return Math.max(args.events.length, 1);
  return null;
}

/**
 * Cost of a field: 1, plus its children times the number of items it may return when its
 * arguments size a list (`first`, `limit`, `ids`, `events`; a default page of 100 counts 100).
 * The cost is thus about the number of values in the answer; the default maximum (50 000) and its
 * arithmetic: docs/limits.md#query-cost.
 */
export const listCostEstimator: ComplexityEstimator = ({ args, childComplexity, field }) => {
  const size = listSize(args) ?? (field.args.some((a) => a.name === 'first' || a.name === 'limit') ? 100 : null);
  return size === null ? undefined : 1 + childComplexity * size;
};

/** The arguments {@link listSize} reads. */
const LIST_ARGUMENTS = new Set(['first', 'limit', 'ids', 'events']);

/** Costs already estimated for one parsed document. */
interface CostCache {
  /** The variables its cost depends on: those in list-sizing arguments and in directives (@skip, @include). */
  inputs: readonly string[];
  /** Cost by operation name and those variables' values (see {@link costKey}). */
  costs: Map<string, number>;
}

/** Distinct keys kept per document; past this, costs are computed and not kept. */
const MAX_COSTS_PER_DOCUMENT = 256;

/**
 * Per parsed document (Apollo hands the same DocumentNode for the same query text), so
 * `event(id: $id)` is estimated once, not once per id.
 */
const costCaches = new WeakMap<DocumentNode, CostCache>();

function costCache(document: DocumentNode): CostCache {
  let cache = costCaches.get(document);
  if (!cache) {
    const inputs = new Set<string>();
    let inDirective = 0;
    let inListArgument = 0;
    visit(document, {
      Directive: { enter: () => void inDirective++, leave: () => void inDirective-- },
      Argument: {
        enter: (node) => void (LIST_ARGUMENTS.has(node.name.value) && inListArgument++),
        leave: (node) => void (LIST_ARGUMENTS.has(node.name.value) && inListArgument--),
      },
      Variable: (node) => {
        if (inDirective > 0 || inListArgument > 0) inputs.add(node.name.value);
      },
    });
    cache = { inputs: [...inputs], costs: new Map() };
    costCaches.set(document, cache);
  }
  return cache;
}

/** What a cost can depend on: the operation, and the values (a list's length) of the cache's inputs. */
function costKey(cache: CostCache, variables: Record<string, unknown>, operationName: string | undefined | null) {
  let key = operationName ?? '';
  for (const name of cache.inputs) {
    const value = variables[name];
    // A list sizes by its length alone (`ids`, `events`); anything else by its JSON.
    key += `\0${Array.isArray(value) ? `#${value.length}` : String(JSON.stringify(value))}`;
  }
  return key;
}

/**
 * Estimates an operation's cost with its variables (once per document and list sizes: see
 * {@link costCaches}).
 * @throws QueryTooComplexError above `max`.
 */
export function assertCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined | null,
  max: number,
): void {
  const cache = costCache(document);
  const key = costKey(cache, variables ?? {}, operationName);
  let cost = cache.costs.get(key);
  if (cost === undefined) {
    try {
      cost = getComplexity({
        schema,
        query: document,
        variables: variables ?? {},
        ...(operationName ? { operationName } : {}),
        estimators: [listCostEstimator, simpleEstimator({ defaultComplexity: 1 })],
      });
    } catch {
      return; // Invalid variables: execution reports them with BAD_USER_INPUT.
    }
    if (cache.costs.size < MAX_COSTS_PER_DOCUMENT) cache.costs.set(key, cost);
  }
  if (cost > max)
    throw new QueryTooComplexError(`Query cost ${cost} exceeds the maximum of ${max}; ask for fewer items or fields`);
}

/** The limits that need the operation's variables. */
export interface VariableLimits {
  /** Highest estimated cost (see {@link listCostEstimator}). */
  maxCost: number;
  /** Deepest JSON in the variables (see {@link assertInputDepth}). */
  maxInputDepth: number;
}

/**
 * The checks run once an operation's variables are known, before anything coerces them, on both
 * doors (Apollo's {@link variableLimitsPlugin}, graphql-ws's `onSubscribe`): input depth, then cost.
 * @throws BadUserInputError (too deep) or QueryTooComplexError.
 */
export function assertVariableLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined | null,
  operationName: string | undefined | null,
  limits: VariableLimits,
): void {
  assertInputDepth(variables, limits.maxInputDepth, 'variables');
  assertCost(schema, document, variables ?? undefined, operationName, limits.maxCost);
}

/** Apollo plugin applying {@link assertVariableLimits} once the operation is resolved. */
export function variableLimitsPlugin(schema: GraphQLSchema, limits: VariableLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request }) {
          try {
            assertVariableLimits(schema, document, request.variables, request.operationName, limits);
          } catch (error) {
            // Input too deep or a query that costs too much is the client's (400), as the depth
            // and alias limits.
            throw asRequestError(error);
          }
        },
      };
    },
  };
}
