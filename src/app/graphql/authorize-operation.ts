import { getOperationAST, Kind, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { Role, roleForField } from '../../core/roles';
import type { AuthService, Principal } from '../../auth/auth.service';

/** A caller with no role, for operations arriving without a principal. */
const NOBODY: Principal = { role: null, authenticated: false };

/** One check of an operation: the role a root field needs, and how the refusal names it. */
interface Requirement {
  role: Role;
  what: string;
}

/**
 * The checks of each operation of a document, by operation name (null when none is given: the
 * document's only operation; an empty name is a name, which no operation has), computed once per
 * parsed document: Apollo hands the same DocumentNode for every request with the same query text
 * (its document cache), so a repeated query costs a map lookup.
 */
const requirementsByDocument = new WeakMap<DocumentNode, Map<string | null, Requirement[] | null>>();

/**
 * Checks every root field of an operation against the role table ({@link roleForField}), on both
 * GraphQL doors (Apollo's plugin, graphql-ws's `onSubscribe`).
 * @throws UnauthenticatedError or ForbiddenError (see {@link AuthService.require}).
 */
export function authorizeOperation(
  auth: AuthService,
  principal: Principal | undefined,
  document: DocumentNode,
  operationName?: string | null,
): void {
  const caller = principal ?? NOBODY;
  const requirements = operationRequirements(document, operationName);
  if (!requirements) return; // graphql-js reports the missing operation itself.
  for (const { role, what } of requirements) auth.require(caller, role, what);
}

/** The checks of the named (or only) operation of a document, cached per document; null without one. */
function operationRequirements(document: DocumentNode, operationName?: string | null): Requirement[] | null {
  let byName = requirementsByDocument.get(document);
  if (!byName) requirementsByDocument.set(document, (byName = new Map()));
  // Not `?? ''`: a request naming '' (no such operation) must not answer for one naming none.
  const key = operationName ?? null;
  let requirements = byName.get(key);
  if (requirements === undefined) {
    const operation = getOperationAST(document, operationName);
    requirements = operation ? requirementsOf(operation) : null;
    byName.set(key, requirements);
  }
  return requirements;
}

function requirementsOf(operation: OperationDefinitionNode): Requirement[] {
  return operation.selectionSet.selections.map((selection) => {
    if (selection.kind !== Kind.FIELD) {
      // Fragments at the root: hold them to the strictest rule of the operation type.
      return {
        role: operation.operation === 'mutation' ? Role.ADMIN : Role.READER,
        what: `This ${operation.operation}`,
      };
    }
    if (selection.name.value.startsWith('__')) return { role: Role.READER, what: 'Introspection' };
    const field = selection.name.value;
    return { role: roleForField(operation.operation, field), what: `${capitalize(operation.operation)} ${field}` };
  });
}
function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
