import { BadUserInputError } from './errors';

/**
 * Nesting depth of a JSON value (a scalar is 0, `{}` and `[]` are 1, `{a: [1]}` is 2), counted
 * without recursion and giving up once past `max`: the value may be hostile.
 * @returns the depth, or `max + 1` when it is deeper than `max`.
 */
export function jsonDepth(value: unknown, max: number): number {
  if (value === null || typeof value !== 'object') return 0;
  // Two parallel stacks (containers, their depths) and no per-node arrays: this runs over every
  // request's variables, a 1 000-event batch included.
  const containers: object[] = [value];
  const depths: number[] = [1];
  let deepest = 0;
  while (containers.length > 0) {
    const current = containers.pop()!;
    const level = depths.pop()!;
    if (level > max) return max + 1;
    if (level > deepest) deepest = level;
    if (Array.isArray(current)) {
      for (const child of current) {
        if (child !== null && typeof child === 'object') {
          containers.push(child as object);
          depths.push(level + 1);
        }
      }
    } else {
      for (const key in current) {
        if (!Object.hasOwn(current, key)) continue;
        const child = (current as Record<string, unknown>)[key];
        if (child !== null && typeof child === 'object') {
          containers.push(child);
          depths.push(level + 1);
        }
      }
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
