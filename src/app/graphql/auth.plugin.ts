import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLContext } from './context';
import type { AuthService } from '../../auth/auth.service';
import { authorizeOperation } from './authorize-operation';
import { asRequestError } from './graphql-errors';

/** Checks every operation's root fields against the caller's role before it executes. */
export function authPlugin(auth: AuthService): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request, contextValue }) {
          try {
            authorizeOperation(auth, contextValue.principal, document, request.operationName);
          } catch (error) {
            // UNAUTHENTICATED 401 / FORBIDDEN 403: without a status Apollo answers 500.
            throw asRequestError(error);
          }
        },
      };
    },
  };
}
