import { ForbiddenError, UnauthenticatedError } from '../core/errors';
import type { ApiKeyVerifier } from '../core/api-keys';
import { allows, Role } from '../core/roles';

/** Who is calling: the role granted, and whether a key proved it. */
export interface Principal {
  role: Role | null;
  authenticated: boolean;
  /** The other site whose web page is calling, when that limited the role (see {@link AuthService}). */
  crossSiteOrigin?: string;
}

/** Where credentials come from on each door: HTTP headers or graphql-ws `connectionParams`. */
export interface Credentials {
  authorization?: unknown;
  apiKey?: unknown;
  /** The web origin of another site's page that sent the request, if one did (the door tells). */
  crossSiteOrigin?: string | null;
}

/**
 * Authentication and authorization for every door (GraphQL over HTTP and WebSocket, REST).
 * Keys arrive as `Authorization: Bearer <key>` or `X-API-Key: <key>`. Without a key a caller
 * gets the anonymous role; with no keys configured at all, every caller is an admin (the server
 * then binds to loopback only, see the configuration), except a web page of another site: any
 * page the user opens could otherwise change or purge the events of a server on their machine
 * (CORS lets every origin send JSON by default, as MADSci). Such a page gets the reader role,
 * unless its origin is one of `trustedOrigins` (the origins `CORS_ORIGINS` lists by name)
 * (docs/errors.md#cross-site-writes).
 */
export class AuthService {
  private readonly trustedOrigins: ReadonlySet<string>;

  constructor(
    private readonly verifier: ApiKeyVerifier,
    private readonly anonymousRole: Role | null,
    trustedOrigins: readonly string[] = [],
  ) {
    this.trustedOrigins = new Set(trustedOrigins.filter((origin) => origin !== '*'));
  }

  /** Whether API keys are configured. */
  get enabled(): boolean {
    return this.verifier.enabled;
  }

  /**
   * The principal behind some credentials.
   * @throws UnauthenticatedError when a key is presented and matches none (never silently anonymous).
   */
  authenticate(credentials: Credentials): Principal {
    if (!this.verifier.enabled) {
      const origin = credentials.crossSiteOrigin;
      if (origin && !this.trustedOrigins.has(origin)) {
        return { role: Role.READER, authenticated: false, crossSiteOrigin: origin };
      }
      return { role: Role.ADMIN, authenticated: false };
    }
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
    if (principal.crossSiteOrigin) {
      throw new ForbiddenError(
        `${what} from a web page of ${principal.crossSiteOrigin} is refused: this server has no API keys, so only ` +
          'its own pages and non-browser clients may change events. List that origin in CORS_ORIGINS, or set API_KEYS',
      );
    }
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
