import { BadUserInputError } from '../core/errors';
import type { Selector } from '../store/event-store';
import { ArchiveState } from './event.enums';
import { SOURCE_FIELDS, type EventFilter } from './event.types';
import { normalizeUlid } from './ulid';

/** Escapes text for use as a literal inside a regular expression. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Longest `text` filter accepted. */
const MAX_TEXT_LENGTH = 1000;

/**
 * Turns an {@link EventFilter} into a MongoDB selector over the stored document. This is the one
 * definition of what a filter means: the MongoDB store runs the selector, the SQLite store
 * translates it to SQL, and the live bus evaluates it with mingo.
 * @throws BadUserInputError for nesting deeper than `maxDepth` or an over-long `text`.
 */
export function filterToSelector(filter: EventFilter | null | undefined, maxDepth = 10): Selector {
  return compile(filter ?? {}, 'filter', 1, maxDepth);
}

function compile(filter: EventFilter, path: string, depth: number, maxDepth: number): Selector {
  if (depth > maxDepth) throw new BadUserInputError(`Filters may nest at most ${maxDepth} levels`, path);
  const parts: Selector[] = [];
  if (filter.minLevel != null) parts.push({ log_level: { $gte: filter.minLevel } });
  if (filter.levels != null) parts.push({ log_level: { $in: [...filter.levels] } });
  if (filter.eventTypes != null) parts.push({ event_type: { $in: [...filter.eventTypes] } });
  if (filter.from != null) parts.push({ event_timestamp: { $gte: filter.from } });
  if (filter.to != null) parts.push({ event_timestamp: { $lt: filter.to } });
  if (filter.source != null) {
    for (const [name, key] of SOURCE_FIELDS) {
      const ids = filter.source[name];
      // Source ids are stored upper-case; a filter value that is a ULID matches in any case.
      if (ids != null) parts.push({ [`source.${key}`]: { $in: ids.map((id) => normalizeUlid(id) ?? id) } });
    }
  }
  if (filter.alert != null) parts.push({ alert: filter.alert });
  switch (filter.archived ?? ArchiveState.ACTIVE) {
    case ArchiveState.ACTIVE:
      parts.push({ archived: { $ne: true } });
      break;
    case ArchiveState.ARCHIVED:
      parts.push({ archived: true });
      break;
    case ArchiveState.ALL:
      break;
  }
  if (filter.text != null && filter.text !== '') {
    if (filter.text.length > MAX_TEXT_LENGTH) {
      throw new BadUserInputError(`text may be at most ${MAX_TEXT_LENGTH} characters`, `${path}.text`);
    }
    parts.push({ search_text: { $regex: escapeRegExp(filter.text.toLowerCase()) } });
  }
  if (filter.and != null) {
    filter.and.forEach((sub, i) => parts.push(compile(sub, `${path}.and[${i}]`, depth + 1, maxDepth)));
  }
  if (filter.or != null) {
    // An empty `or` holds for no event; MongoDB rejects an empty $or, so say it another way.
    if (filter.or.length === 0) parts.push({ _id: { $in: [] } });
    else parts.push({ $or: filter.or.map((sub, i) => compile(sub, `${path}.or[${i}]`, depth + 1, maxDepth)) });
  }
  if (parts.length === 0) return {};
  if (parts.length === 1) return parts[0]!;
  return { $and: parts };
}
