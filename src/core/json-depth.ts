import { BadUserInputError } from './errors';

/**
 * Nesting depth of a JSON value (a scalar is 0, `{}` and `[]` are 1, `{a: [1]}` is 2), counted
 * without recursion and giving up once past `max`: the value may be hostile.
 * @returns the depth, or `max + 1` when it is deeper than `max`.
 */
export function jsonDepth(value: unknown, max: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    const level = depth + 1;
    if (level > max) return max + 1;
    if (level > deepest) deepest = level;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (child !== null && typeof child === 'object') stack.push([child, level]);
    }
  }
  return deepest;
}

/**
 * Refuses input nested deeper than `max` levels (`MAX_INPUT_DEPTH`) before anything walks it:
 * GraphQL's variable coercion, the selector sanitizer and the stores all recurse, and a few
 * thousand levels would overflow the stack. Applied to every door (GraphQL over HTTP and
 * WebSocket, the MADSci REST bodies).
 * @throws BadUserInputError naming `what` (e.g. `variables`).
 */
export function assertInputDepth(value: unknown, max: number, what: string): void {
  if (jsonDepth(value, max) > max) throw new BadUserInputError(`Input nests deeper than ${max} levels`, what);
}
