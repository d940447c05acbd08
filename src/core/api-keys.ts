import crypto from 'node:crypto';
import { parseRole, type Role } from './roles';

/** A configured key: its role and a salted SHA-256 of the key; the key itself is never stored. */
export interface ApiKeyEntry {
  role: Role;
  salt: string;
  hash: string;
}

/** Thrown for a malformed `API_KEYS` value. */
export class ApiKeyFormatError extends Error {
  override name = 'ApiKeyFormatError';
}

function digest(salt: string, key: string): Buffer {
  return crypto.createHash('sha256').update(`${salt}:${key}`).digest();
}

/**
 * The `API_KEYS` entry for a key: `role:salt:sha256hex`. Keys are long random secrets, so one
 * salted SHA-256 suffices (as for access tokens); the salt keeps equal keys from matching hashes.
 */
export function hashApiKey(role: Role, key: string, salt = crypto.randomBytes(16).toString('hex')): string {
  return `${role}:${salt}:${digest(salt, key).toString('hex')}`;
}

/** A new random key (base64url, 256 bits). */
export function generateApiKey(): string {
  return crypto.randomBytes(32).toString('base64url');
}

/**
 * Parses `API_KEYS`: entries `role:salt:hash` separated by commas or white space.
 * @throws ApiKeyFormatError naming the bad entry (by position, never by content).
 */
export function parseApiKeys(text: string): ApiKeyEntry[] {
  return text
    .split(/[\s,]+/)
    .filter((item) => item !== '')
    .map((item, i) => {
      const [roleText, salt, hash, ...rest] = item.split(':');
      const role = roleText === undefined ? null : parseRole(roleText);
      if (!role || !salt || !hash || rest.length > 0 || !/^[0-9a-f]{64}$/i.test(hash)) {
        throw new ApiKeyFormatError(
          `API_KEYS entry ${i + 1} is not role:salt:sha256hex (role reader, writer or admin)`,
        );
      }
      return { role, salt, hash: hash.toLowerCase() };
    });
}

/** Finds the role of a presented key, in constant time per entry. */
export class ApiKeyVerifier {
  private readonly entries: readonly { role: Role; salt: string; hash: Buffer }[];

  constructor(entries: readonly ApiKeyEntry[]) {
    this.entries = entries.map((entry) => ({
      role: entry.role,
      salt: entry.salt,
      hash: Buffer.from(entry.hash, 'hex'),
    }));
  }

  /** Whether any key is configured. */
  get enabled(): boolean {
    return this.entries.length > 0;
  }

  /** The role of `key`, or null when it matches no entry. */
  roleFor(key: string): Role | null {
    if (key.length === 0 || key.length > 512) return null;
    let found: Role | null = null;
    // Every entry is checked, so the time taken does not tell which one matched.
    for (const entry of this.entries) {
      if (crypto.timingSafeEqual(digest(entry.salt, key), entry.hash) && found === null) found = entry.role;
    }
    return found;
  }
}
