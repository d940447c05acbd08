import { BadUserInputError } from '../../core/errors';

/** One entry of a FastAPI/pydantic validation error (`{"detail": [ ... ]}` with status 422). */
export interface ValidationIssue {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

/**
 * Invalid request input found by the REST door itself, with pydantic's details: bad input like
 * any other (`BAD_USER_INPUT`), answered as MADSci (FastAPI) does: 422 with
 * `{"detail": [{type, loc, msg, input, ctx?}, ...]}`.
 */
export class RequestValidationError extends BadUserInputError {
  constructor(readonly issues: ValidationIssue[]) {
    super(issues.map((issue) => `${issue.loc.join('.')}: ${issue.msg}`).join('; '));
  }
}

/** Builds one issue; `input` is what was sent at `loc` (undefined becomes null, as pydantic shows it). */
export function issue(
  type: string,
  loc: (string | number)[],
  msg: string,
  input: unknown,
  ctx?: Record<string, unknown>,
): ValidationIssue {
  return { type, loc, msg, input: input === undefined ? null : input, ...(ctx ? { ctx } : {}) };
}

/** Collects issues while a request is parsed, and throws them together (pydantic reports every problem at once). */
export class IssueCollector {
  readonly issues: ValidationIssue[] = [];

  add(entry: ValidationIssue): void {
    this.issues.push(entry);
  }

  /** @throws RequestValidationError when anything was collected. */
  throwIfAny(): void {
    if (this.issues.length > 0) throw new RequestValidationError(this.issues);
  }
}
