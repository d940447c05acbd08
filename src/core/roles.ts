/** What a caller may do. Each role includes the ones before it. */
export enum Role {
  /** Queries, subscriptions, exports. */
  READER = 'reader',
  /** + logging events. */
  WRITER = 'writer',
  /** + archive, unarchive, purge, backup, restore, server-side export. */
  ADMIN = 'admin',
}

const RANK: Readonly<Record<Role, number>> = { [Role.READER]: 1, [Role.WRITER]: 2, [Role.ADMIN]: 3 };

/** Whether a caller holding `held` (null: no role) may do what needs `needed`. */
export function allows(held: Role | null, needed: Role): boolean {
  return held !== null && RANK[held] >= RANK[needed];
}

/** Parses a role name (any case); null for anything else. */
export function parseRole(text: string): Role | null {
  const lower = text.trim().toLowerCase();
  return (Object.values(Role) as string[]).includes(lower) ? (lower as Role) : null;
}

/** Mutations a writer may run; every other mutation needs an admin. */
const WRITER_MUTATIONS: ReadonlySet<string> = new Set(['logEvent', 'logEvents']);

/**
 * The role a GraphQL root field needs. One table for every door: queries and subscriptions are
 * for readers, logging for writers, everything else that changes state for admins (an unknown
 * mutation defaults to admin, so a new one is safe until classified here).
 */
export function roleForField(operation: 'query' | 'mutation' | 'subscription', field: string): Role {
  if (operation !== 'mutation') return Role.READER;
  return WRITER_MUTATIONS.has(field) ? Role.WRITER : Role.ADMIN;
}
