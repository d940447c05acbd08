import { BadUserInputError } from '../core/errors';
import { parseIsoInstant } from '../core/time';
import { DATE_FIELDS } from '../store/event-document';
import type { Selector } from '../store/event-store';

/** Query operators a raw selector may use. Everything else ($where, $expr, $function, ...) is refused. */
export const ALLOWED_OPERATORS: ReadonlySet<string> = new Set([
  '$eq',
  '$ne',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$in',
  '$nin',
  '$exists',
  '$regex',
  '$options',
  '$and',
  '$or',
  '$nor',
  '$not',
  '$elemMatch',
  '$size',
  '$all',
]);

const LOGICAL = new Set(['$and', '$or', '$nor']);
const ARRAY_VALUED = new Set(['$in', '$nin', '$all']);
const MAX_NODES = 10_000;
const MAX_REGEX_LENGTH = 1000;

/**
 * Validates a raw MongoDB selector (MADSci's `/events/query` body) and returns a safe copy:
 * only allow-listed operators, bounded depth and size, valid regular expressions. Values compared
 * with the date fields may be ISO strings or EJSON `{"$date": ...}`; both become instants.
 * @throws BadUserInputError (field `selector`) describing the first problem found.
 */
export function sanitizeSelector(raw: unknown, maxDepth: number): Selector {
  if (!isPlainObject(raw)) throw new BadUserInputError('The selector must be a JSON object', 'selector');
  const state = { nodes: 0 };
  return sanitizeQuery(raw, 1, maxDepth, state);
}

interface WalkState {
  nodes: number;
}

function fail(message: string): never {
  throw new BadUserInputError(message, 'selector');
}

function enter(depth: number, maxDepth: number, state: WalkState): void {
  if (depth > maxDepth) fail(`The selector may nest at most ${maxDepth} levels`);
  if (++state.nodes > MAX_NODES) fail(`The selector may have at most ${MAX_NODES} parts`);
}

/** A query document: field conditions and logical operators. */
function sanitizeQuery(query: Record<string, unknown>, depth: number, maxDepth: number, state: WalkState): Selector {
  enter(depth, maxDepth, state);
  const out: Selector = {};
  for (const [key, value] of Object.entries(query)) {
    if (key.startsWith('$')) {
      if (!LOGICAL.has(key)) fail(operatorMessage(key, 'at the top of a query'));
      if (!Array.isArray(value) || value.length === 0) fail(`${key} takes a non-empty array of queries`);
      out[key] = value.map((sub) => {
        if (!isPlainObject(sub)) fail(`${key} takes a non-empty array of queries`);
        return sanitizeQuery(sub, depth + 1, maxDepth, state);
      });
    } else {
      checkFieldPath(key);
      out[key] = sanitizeCondition(value, lastSegment(key), depth + 1, maxDepth, state);
    }
  }
  return out;
}

/** The value of a field in a query: a literal, or an object of operators. */
function sanitizeCondition(value: unknown, field: string, depth: number, maxDepth: number, state: WalkState): unknown {
  enter(depth, maxDepth, state);
  if (!isPlainObject(value)) return sanitizeValue(value, field, depth, maxDepth, state);
  const keys = Object.keys(value);
  if (keys.length === 0 || !keys.some((k) => k.startsWith('$')) || isEjsonDate(value)) {
    return sanitizeValue(value, field, depth, maxDepth, state);
  }
  if (!keys.every((k) => k.startsWith('$'))) fail(`Cannot mix operators and fields in the condition on "${field}"`);
  const out: Record<string, unknown> = {};
  for (const [op, operand] of Object.entries(value)) {
    if (!ALLOWED_OPERATORS.has(op) || LOGICAL.has(op)) fail(operatorMessage(op, `in the condition on "${field}"`));
    out[op] = sanitizeOperand(op, operand, value, field, depth + 1, maxDepth, state);
  }
  return out;
}

function sanitizeOperand(
  op: string,
  operand: unknown,
  condition: Record<string, unknown>,
  field: string,
  depth: number,
  maxDepth: number,
  state: WalkState,
): unknown {
  switch (op) {
    case '$regex':
      return checkRegex(operand, condition.$options);
    case '$options':
      if (typeof operand !== 'string' || !/^[imsx]*$/.test(operand))
        fail('$options may contain only the flags i, m, s and x');
      if (!('$regex' in condition)) fail('$options needs $regex');
      return operand;
    case '$exists':
      if (typeof operand !== 'boolean' && typeof operand !== 'number') fail('$exists takes a boolean');
      return operand;
    case '$size':
      if (typeof operand !== 'number' || !Number.isInteger(operand) || operand < 0)
        fail('$size takes a non-negative integer');
      return operand;
    case '$not':
      if (!isPlainObject(operand)) fail('$not takes an object of operators');
      return sanitizeCondition(operand, field, depth, maxDepth, state);
    case '$elemMatch':
      if (!isPlainObject(operand)) fail('$elemMatch takes a query object');
      return Object.keys(operand).every((k) => k.startsWith('$'))
        ? sanitizeCondition(operand, field, depth, maxDepth, state)
        : sanitizeQuery(operand, depth, maxDepth, state);
    default:
      if (ARRAY_VALUED.has(op)) {
        if (!Array.isArray(operand)) fail(`${op} takes an array`);
        enter(depth, maxDepth, state);
        return operand.map((item) => sanitizeValue(item, field, depth + 1, maxDepth, state));
      }
      return sanitizeValue(operand, field, depth, maxDepth, state);
  }
}

/** A literal compared with a field: dates become instants; nested documents are checked. */
function sanitizeValue(value: unknown, field: string, depth: number, maxDepth: number, state: WalkState): unknown {
  enter(depth, maxDepth, state);
  if (isEjsonDate(value)) return ejsonDate(value.$date);
  if (typeof value === 'string' && DATE_FIELDS.has(field)) return parseIsoInstant(value) ?? value;
  if (Array.isArray(value)) return value.map((item) => sanitizeValue(item, field, depth + 1, maxDepth, state));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (key.startsWith('$')) fail(operatorMessage(key, 'inside a literal document'));
      out[key] = sanitizeValue(item, key, depth + 1, maxDepth, state);
    }
    return out;
  }
  return value;
}

function checkRegex(pattern: unknown, options: unknown): string {
  if (typeof pattern !== 'string') fail('$regex takes a string');
  if (pattern.length > MAX_REGEX_LENGTH) fail(`$regex may be at most ${MAX_REGEX_LENGTH} characters`);
  try {
    new RegExp(pattern, typeof options === 'string' ? options.replace(/x/g, '') : '');
  } catch {
    fail(`$regex is not a valid regular expression: ${JSON.stringify(pattern).slice(0, 80)}`);
  }
  return pattern;
}

function checkFieldPath(key: string): void {
  if (
    key.length === 0 ||
    key.length > 200 ||
    key.includes('\0') ||
    key.split('.').some((s) => s === '' || s.startsWith('$'))
  ) {
    fail(`Invalid field path ${JSON.stringify(key.slice(0, 80))}`);
  }
}

function operatorMessage(op: string, where: string): string {
  return `Operator ${op} is not allowed ${where}; allowed: ${[...ALLOWED_OPERATORS].join(' ')}`;
}

function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf('.') + 1);
}

function isEjsonDate(value: unknown): value is { $date: unknown } {
  return isPlainObject(value) && Object.keys(value).length === 1 && '$date' in value;
}

function ejsonDate(value: unknown): Date {
  // EJSON: {"$date": "<ISO>"}, {"$date": <epoch ms>} or {"$date": {"$numberLong": "<epoch ms>"}}.
  const raw = isPlainObject(value) && typeof value.$numberLong === 'string' ? Number(value.$numberLong) : value;
  const date = typeof raw === 'string' ? parseIsoInstant(raw) : typeof raw === 'number' ? new Date(raw) : null;
  if (!date || Number.isNaN(date.getTime()))
    fail(`Invalid {"$date": ...} value ${JSON.stringify(value)?.slice(0, 80)}`);
  return date;
}

/** A JSON object (not an array, a Date or another class instance). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
