import type { Request } from 'express';
import { issue, RequestValidationError, type ValidationIssue } from './rest.errors';
import { parseBool, parseDateTime, parseLevel } from './wire';

/**
 * Reads FastAPI-style query parameters (the last value wins when one is repeated), collecting
 * every problem for one 422.
 */
export class QueryReader {
  private readonly issues: ValidationIssue[] = [];

  constructor(private readonly req: Request) {}

  add(entry: ValidationIssue): void {
    this.issues.push(entry);
  }

  missing(loc: (string | number)[], input: unknown): void {
    this.add(issue('missing', loc, 'Field required', input));
  }

  /** @throws RequestValidationError when any parameter was invalid. */
  done(): void {
    if (this.issues.length > 0) throw new RequestValidationError(this.issues);
  }

  string(name: string): string | undefined {
    const value = this.req.query[name];
    const last = Array.isArray(value) ? value.at(-1) : value;
    return typeof last === 'string' ? last : undefined;
  }

  int(name: string, fallback: number, min?: number): number {
    const text = this.string(name);
    if (text === undefined) return fallback;
    if (!/^\s*[+-]?\d+\s*$/.test(text)) {
      this.add(
        issue(
          'int_parsing',
          ['query', name],
          'Input should be a valid integer, unable to parse string as an integer',
          text,
        ),
      );
      return fallback;
    }
    const value = Number(text);
    if (min !== undefined && value < min) {
      this.add(
        issue('greater_than_equal', ['query', name], `Input should be greater than or equal to ${min}`, text, {
          ge: min,
        }),
      );
      return fallback;
    }
    return value;
  }

  /** A page size: 0 means "as many as allowed" (MongoDB's no-limit), larger values are capped. */
  pageSize(name: string, fallback: number, max: number): number {
    const value = this.int(name, fallback, 0);
    return value === 0 || value > max ? max : value;
  }

  bool(name: string, fallback: boolean): boolean {
    const text = this.string(name);
    if (text === undefined) return fallback;
    const value = parseBool(text);
    if (value === undefined)
      this.add(
        issue('bool_parsing', ['query', name], 'Input should be a valid boolean, unable to interpret input', text),
      );
    return value ?? fallback;
  }

  dateTime(name: string): Date | undefined {
    const text = this.string(name);
    if (text === undefined || text === '') return undefined;
    const value = parseDateTime(text);
    if (!value) this.add(issue('datetime_parsing', ['query', name], 'Input should be a valid datetime', text));
    return value;
  }

  level(name: string): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = parseLevel(text, true);
    if (value === undefined) {
      this.add(
        issue(
          'int_parsing',
          ['query', name],
          'Input should be a valid integer or a level name (NOTSET, DEBUG, INFO, WARNING, ERROR, CRITICAL)',
          text,
        ),
      );
    }
    return value;
  }
}
