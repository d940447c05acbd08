import { ForbiddenError, UnauthenticatedError } from '../core/errors';
import type { ApiKeyVerifier } from '../core/api-keys';
import { allows, Role } from '../core/roles';

/** Who is calling: the role granted, and whether a key proved it. */
export interface Principal {
  role: Role | null;
  authenticated: boolean;
}

/** Where credentials come from on each door: HTTP headers or graphql-ws `connectionParams`. */
export interface Credentials {
  authorization?: unknown;
  apiKey?: unknown;
}

/**
 * Authentication and authorization for every door (GraphQL over HTTP and WebSocket, REST).
 * Keys arrive as `Authorization: Bearer <key>` or `X-API-Key: <key>`. Without a key a caller
 * gets the anonymous role; with no keys configured at all, every caller is an admin (the server
 * then binds to loopback only, see the configuration).
 */
export class AuthService {
  constructor(
    private readonly verifier: ApiKeyVerifier,
    private readonly anonymousRole: Role | null,
  ) {}

  /** Whether API keys are configured. */
  get enabled(): boolean {
    return this.verifier.enabled;
  }

  /**
   * The principal behind some credentials.
   * @throws UnauthenticatedError when a key is presented and matches none (never silently anonymous).
   */
  authenticate(credentials: Credentials): Principal {
    if (!this.verifier.enabled) return { role: Role.ADMIN, authenticated: false };
    const key = extractKey(credentials);
    if (key === null) return { role: this.anonymousRole, authenticated: false };
    const role = this.verifier.roleFor(key);
    if (!role) throw new UnauthenticatedError('Invalid API key');
    return { role, authenticated: true };
  }

  /**
   * Checks that a principal may do what needs `needed`.
   * @throws UnauthenticatedError when there is no role and no key was given; ForbiddenError otherwise.
   */
  require(principal: Principal, needed: Role, what: string): void {
    if (allows(principal.role, needed)) return;
    if (!principal.authenticated) throw new UnauthenticatedError(`${what} needs an API key with the ${needed} role`);
    throw new ForbiddenError(`${what} needs the ${needed} role; this key has ${principal.role ?? 'none'}`);
  }
}

/** The key in `Authorization: Bearer <key>` or `X-API-Key`, or null. */
function extractKey(credentials: Credentials): string | null {
  const { authorization, apiKey } = credentials;
  if (typeof authorization === 'string' && authorization.trim() !== '') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization.trim());
    if (!match) throw new UnauthenticatedError('Authorization must be "Bearer <key>"');
    return match[1]!;
  }
  if (typeof apiKey === 'string' && apiKey.trim() !== '') return apiKey.trim();
  return null;
}
