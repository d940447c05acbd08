import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLContext } from './context';
import type { AuthService } from '../../auth/auth.service';
import { authorizeOperation } from './authorize-operation';

/** Checks every operation's root fields against the caller's role before it executes. */
export function authPlugin(auth: AuthService): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request, contextValue }) {
          authorizeOperation(auth, contextValue.principal, document, request.operationName);
        },
      };
    },
  };
}
