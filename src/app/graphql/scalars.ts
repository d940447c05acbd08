import { GraphQLScalarType, Kind } from 'graphql';
import { BadUserInputError } from '../../core/errors';
import { parseIsoInstant } from '../../core/time';

function toDate(value: unknown): Date {
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
  if (typeof value === 'string') {
    const parsed = parseIsoInstant(value);
    if (parsed) return parsed;
  }
  throw new BadUserInputError(`Expected an ISO-8601 date-time, got ${JSON.stringify(value)?.slice(0, 80)}`);
}

/** `DateTimeISO`: UTC ISO-8601 out; any ISO-8601 in (with offset, or naive meaning UTC). */
export const DateTimeISO = new GraphQLScalarType<Date, string>({
  name: 'DateTimeISO',
  description:
    'An instant. Output: UTC ISO-8601 (`2025-01-06T08:00:00.000Z`). Input: any ISO-8601 date-time; without an offset it is taken as UTC.',
  serialize: (value) => toDate(value).toISOString(),
  parseValue: (value) => toDate(value),
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new BadUserInputError('DateTimeISO literals must be strings');
    return toDate(ast.value);
  },
});
