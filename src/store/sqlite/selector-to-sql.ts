import { SOURCE_KEYS } from '../event-document';
import type { Selector } from '../event-store';

type ColumnKind = 'text' | 'int' | 'bool' | 'date';

interface Column {
  name: string;
  kind: ColumnKind;
  nullable: boolean;
}

const col = (name: string, kind: ColumnKind, nullable = false): Column => ({ name, kind, nullable });

/** Document paths that are real columns of the `events` table. */
export const COLUMNS: Readonly<Record<string, Column>> = {
  _id: col('id', 'text'),
  event_type: col('event_type', 'text'),
  log_level: col('log_level', 'int'),
  alert: col('alert', 'bool'),
  event_timestamp: col('event_timestamp', 'date'),
  received_at: col('received_at', 'date'),
  trace_id: col('trace_id', 'text', true),
  span_id: col('span_id', 'text', true),
  archived: col('archived', 'bool'),
  archived_at: col('archived_at', 'date', true),
  search_text: col('search_text', 'text'),
  ...Object.fromEntries(SOURCE_KEYS.map((key) => [`source.${key}`, col(`source_${key}`, 'text', true)])),
};

/**
 * SQL for (part of) a selector. `sql` null means no restriction could be pushed down. When
 * `exact` is false the SQL selects a superset, and the caller must evaluate the whole selector
 * (with mingo) on each candidate row.
 */
export interface Translation {
  sql: string | null;
  params: unknown[];
  exact: boolean;
}

/**
 * How a literal substring test on `search_text` may use the text index (see `text-index.ts`):
 * `query` gives the index query for a literal, or null to scan it with `instr` alone.
 */
export interface TextIndexOption {
  /** SQL with one parameter (the query) selecting a superset of the rows holding the literal. */
  sql: string;
  query: (literal: string) => string | null;
}

/** Options of {@link selectorToSql}. */
export interface SqlOptions {
  textIndex?: TextIndexOption;
}

const NONE: Translation = { sql: null, params: [], exact: false };
const FALSE: Translation = { sql: '0', params: [], exact: true };

/**
 * Translates a MongoDB selector to an SQLite WHERE clause, exactly where it can (comparisons of
 * the indexed columns with values of the column's type, `$and`/`$or`, literal text search) and as
 * a superset elsewhere. Comparisons with a value of another type are left to mingo, because
 * SQLite's type affinity would compare them where MongoDB does not.
 */
export function selectorToSql(selector: Selector, options: SqlOptions = {}): Translation {
  const parts: Translation[] = [];
  for (const [key, value] of Object.entries(selector)) {
    if (key === '$and') parts.push(and((value as Selector[]).map((sub) => selectorToSql(sub, options))));
    else if (key === '$or') parts.push(or((value as Selector[]).map((sub) => selectorToSql(sub, options))));
    else if (key.startsWith('$')) parts.push(NONE);
    else parts.push(fieldToSql(key, value, options));
  }
  return and(parts);
}

function and(parts: Translation[]): Translation {
  const pushed = parts.filter((p) => p.sql !== null);
  return {
    sql: pushed.length === 0 ? null : pushed.map((p) => `(${p.sql})`).join(' AND '),
    params: pushed.flatMap((p) => p.params),
    exact: parts.every((p) => p.exact),
  };
}

function or(parts: Translation[]): Translation {
  // A branch without SQL could match anything, so the whole disjunction cannot be narrowed.
  if (parts.length === 0 || parts.some((p) => p.sql === null)) return NONE;
  return {
    sql: parts.map((p) => `(${p.sql})`).join(' OR '),
    params: parts.flatMap((p) => p.params),
    exact: parts.every((p) => p.exact),
  };
}

function isOperatorObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Date) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => k.startsWith('$'));
}

function fieldToSql(path: string, condition: unknown, options: SqlOptions): Translation {
  const column = COLUMNS[path];
  if (!column) return NONE;
  if (!isOperatorObject(condition)) return eq(column, condition);
  const ops = Object.entries(condition);
  if ('$options' in condition) return NONE;
  return and(ops.map(([op, operand]) => opToSql(column, op, operand, options)));
}

/** The SQL parameter for a value of the column's type, or undefined when the types differ. */
function param(column: Column, value: unknown): unknown {
  switch (column.kind) {
    case 'text':
      return typeof value === 'string' ? value : undefined;
    case 'int':
      return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
    case 'bool':
      return typeof value === 'boolean' ? (value ? 1 : 0) : undefined;
    case 'date':
      return value instanceof Date && !Number.isNaN(value.getTime()) ? value.getTime() : undefined;
  }
}

function eq(column: Column, value: unknown): Translation {
  if (value === null) return column.nullable ? { sql: `${column.name} IS NULL`, params: [], exact: true } : FALSE;
  const p = param(column, value);
  return p === undefined ? NONE : { sql: `${column.name} = ?`, params: [p], exact: true };
}

function opToSql(column: Column, op: string, operand: unknown, options: SqlOptions): Translation {
  switch (op) {
    case '$eq':
      return eq(column, operand);
    case '$ne': {
      if (operand === null)
        return column.nullable
          ? { sql: `${column.name} IS NOT NULL`, params: [], exact: true }
          : { sql: '1', params: [], exact: true };
      const p = param(column, operand);
      if (p === undefined) return NONE;
      // A stored boolean is 0 or 1: say "not true" as "= 0", which an index can serve.
      if (column.kind === 'bool' && !column.nullable)
        return { sql: `${column.name} = ?`, params: [p === 1 ? 0 : 1], exact: true };
      return { sql: column.nullable ? `${column.name} IS NOT ?` : `${column.name} <> ?`, params: [p], exact: true };
    }
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte': {
      const p = param(column, operand);
      const sign = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' }[op];
      return p === undefined ? NONE : { sql: `${column.name} ${sign} ?`, params: [p], exact: true };
    }
    case '$in':
    case '$nin': {
      if (!Array.isArray(operand)) return NONE;
      const withNull = operand.includes(null);
      const values = operand.filter((v) => v !== null).map((v) => param(column, v));
      if (values.some((v) => v === undefined)) return NONE;
      const list = `${column.name} IN (${values.map(() => '?').join(', ')})`;
      const nullTest = column.nullable ? `${column.name} IS NULL` : '0';
      if (op === '$in') {
        if (values.length === 0) return { sql: withNull ? nullTest : '0', params: [], exact: true };
        return { sql: withNull ? `(${list} OR ${nullTest})` : list, params: values, exact: true };
      }
      if (values.length === 0) return { sql: withNull ? `NOT (${nullTest})` : '1', params: [], exact: true };
      const notIn = `NOT (${list})`;
      if (withNull) return { sql: `${column.name} IS NOT NULL AND ${notIn}`, params: values, exact: true };
      return { sql: column.nullable ? `(${column.name} IS NULL OR ${notIn})` : notIn, params: values, exact: true };
    }
    case '$regex': {
      const literal = typeof operand === 'string' && column.kind === 'text' ? regexLiteral(operand) : null;
      if (literal === null) return NONE;
      const exact: Translation = { sql: `instr(${column.name}, ?) > 0`, params: [literal], exact: true };
      const query = column.name === 'search_text' ? options.textIndex?.query(literal) : null;
      if (!query) return exact;
      // The index narrows to candidates; instr keeps the scan's exact meaning.
      return and([{ sql: options.textIndex!.sql, params: [query], exact: true }, exact]);
    }
    default:
      return NONE;
  }
}

const META = new Set(['.', '*', '+', '?', '^', '$', '{', '}', '(', ')', '|', '[', ']', '\\']);

/** The text a regular expression matches literally (a plain, possibly escaped, string), or null. */
export function regexLiteral(pattern: string): string | null {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) return null;
      out += next;
      i++;
    } else if (META.has(ch)) {
      return null;
    } else {
      out += ch;
    }
  }
  return out;
}
