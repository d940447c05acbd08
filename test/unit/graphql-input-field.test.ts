import {
  getVariableValues,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLObjectType,
  GraphQLSchema,
  Kind,
  parse,
  validate,
  type OperationDefinitionNode,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { inputFieldOf, makeFormatError } from '../../src/app/graphql/graphql-errors';
import { DateTimeISO } from '../../src/app/graphql/scalars';

const Filter = new GraphQLInputObjectType({ name: 'Filter', fields: { from: { type: DateTimeISO } } });
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      events: { type: GraphQLInt, args: { filter: { type: Filter }, filters: { type: new GraphQLList(Filter) } } },
    },
  }),
});

/** The errors graphql-js reports for an inline literal (validation) or for variables (coercion). */
function inlineErrors(query: string) {
  return validate(schema, parse(query));
}
function variableErrors(query: string, variables: Record<string, unknown>) {
  const operation = parse(query).definitions.find(
    (d) => d.kind === Kind.OPERATION_DEFINITION,
  ) as OperationDefinitionNode;
  const result = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  return result.errors ?? [];
}

describe('the field of bad input graphql-js finds (one mapping place: graphql-errors.ts)', () => {
  it('names an inline literal by its argument and the fields and indexes down to it', () => {
    const [error] = inlineErrors('{ events(filter: { from: "soon" }) }');
    expect(inputFieldOf(error, error!.message)).toBe('filter.from');
    const [inList] = inlineErrors('{ events(filters: [{ from: "2025-01-01" }, { from: "soon" }]) }');
    expect(inputFieldOf(inList, inList!.message)).toBe('filters[1].from');
  });

  it('names a variable by its name and the path graphql-js reports inside it', () => {
    const [whole] = variableErrors('query($f: DateTimeISO) { events }', { f: 'soon' });
    expect(inputFieldOf(whole, whole!.message)).toBe('f');
    const [inside] = variableErrors('query($f: [Filter]) { events }', { f: [{}, { from: 'soon' }] });
    expect(inputFieldOf(inside, inside!.message)).toBe('f[1].from');
  });

  it('is what formatError adds to BAD_USER_INPUT, leaving a field a service named alone', () => {
    const format = makeFormatError({ hideInternals: true, onInternalError: () => undefined });
    const [error] = inlineErrors('{ events(filter: { from: "soon" }) }');
    expect(format(error!.toJSON(), error).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'filter.from' });
    expect(
      format({ message: 'x', extensions: { code: 'BAD_USER_INPUT', field: 'event.source.nodeId' } }, error).extensions,
    ).toEqual({ code: 'BAD_USER_INPUT', field: 'event.source.nodeId' });
  });
});
