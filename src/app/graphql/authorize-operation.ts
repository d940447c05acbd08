import { Kind, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { Role, roleForField } from '../../core/roles';
import type { AuthService, Principal } from '../../auth/auth.service';

/** A caller with no role, for operations arriving without a principal. */
const NOBODY: Principal = { role: null, authenticated: false };

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
  const operation = selectOperation(document, operationName);
  if (!operation) return; // graphql-js reports the missing operation itself.
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) {
      // Fragments at the root: hold them to the strictest rule of the operation type.
      auth.require(
        caller,
        operation.operation === 'mutation' ? Role.ADMIN : Role.READER,
        `This ${operation.operation}`,
      );
    } else if (selection.name.value.startsWith('__')) {
      auth.require(caller, Role.READER, 'Introspection');
    } else {
      const field = selection.name.value;
      auth.require(caller, roleForField(operation.operation, field), `${capitalize(operation.operation)} ${field}`);
    }
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function selectOperation(document: DocumentNode, name?: string | null): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  return name ? operations.find((op) => op.name?.value === name) : operations.length === 1 ? operations[0] : undefined;
}
