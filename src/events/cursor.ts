import { BadUserInputError } from '../core/errors';

/** A keyset position: the sort value (an instant) and the id that breaks ties. */
export interface CursorPosition {
  value: Date;
  id: string;
}

const VERSION = 'c1';

/** Encodes a position as an opaque cursor (base64url). */
export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([VERSION, position.value.getTime(), position.id])).toString('base64url');
}

/**
 * Decodes a cursor made by {@link encodeCursor}.
 * @throws BadUserInputError (field `after`) when the cursor is not one of ours.
 */
export function decodeCursor(cursor: string, field = 'after'): CursorPosition {
  try {
    if (cursor.length > 512) throw new Error('too long');
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 3 && parsed[0] === VERSION) {
      const [, ms, id] = parsed as [string, unknown, unknown];
      if (typeof ms === 'number' && Number.isFinite(ms) && typeof id === 'string' && id.length > 0) {
        const value = new Date(ms);
        if (!Number.isNaN(value.getTime())) return { value, id };
      }
    }
  } catch {
    // fall through to the error below
  }
  throw new BadUserInputError('Invalid cursor', field);
}
