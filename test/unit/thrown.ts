import { expect } from 'vitest';

/**
 * What the fast tier checks of a thrown error: its class name, message, stable `code` and the
 * offending input `field`. The code and field are read from `extensions` (a GraphQLError) or from
 * the error itself (a transport-neutral error), so the tests state the documented contract, not
 * where an error class keeps it.
 */
export interface ThrownError {
  name: string;
  message: string;
  code: unknown;
  field: unknown;
}

/**
 * Runs `fn`, expecting it to throw, and returns the error's {@link ThrownError} view.
 * Fails the test when `fn` returns normally or throws something that is not an `Error`.
 */
export function thrown(fn: () => unknown): ThrownError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a throw').toBeInstanceOf(Error);
  const error = caught as Error & { code?: unknown; field?: unknown; extensions?: { code?: unknown; field?: unknown } };
  return {
    name: error.name,
    message: error.message,
    code: error.extensions?.code ?? error.code,
    field: error.extensions?.field ?? error.field,
  };
}

/** The view of a BAD_USER_INPUT error, for `toEqual`. */
export function badInput(message: string, field: string): ThrownError {
  return { name: 'BadUserInputError', message, code: 'BAD_USER_INPUT', field };
}
