import { Query } from 'mingo';
import type { EventDocument } from '../event-document';
import type { Selector } from '../event-store';

/*
 * The shape the MongoDB store writes (docs/performance.md#stored-shape-on-mongodb): an event's
 * members that hold their default are left out, because FerretDB v1 decodes every stored document
 * for every read but an `_id` lookup, and each member costs it a few microseconds per document.
 * Readers see no difference: `normalizeStoredEvent` reads a missing member as its default (as it
 * always did for documents written by MADSci or an import), and selectors are rewritten here so
 * that they match a document the same whether the member is stored or left out. Documents written
 * before, with every member, read and match exactly as before.
 */

/** The members left out when they hold this value; `normalizeStoredEvent` reads them back as it. */
const DEFAULTS: ReadonlyMap<string, unknown> = new Map<keyof EventDocument, unknown>([
  ['alert', false],
  ['trace_id', null],
  ['span_id', null],
  ['archived', false],
  ['archived_at', null],
]);

/** The document to store for an event: a copy without the members that hold their default. */
export function toStoredDocument(doc: EventDocument): EventDocument {
  const stored: Record<string, unknown> = {};
  for (const key in doc) {
    const value = doc[key as keyof EventDocument];
    if (!DEFAULTS.has(key) || DEFAULTS.get(key) !== value) stored[key] = value;
  }
  return stored as unknown as EventDocument;
}

const LOGICAL = new Set(['$and', '$or', '$nor']);

/**
 * A selector that matches a stored document, whether written with every member or in the shape of
 * {@link toStoredDocument}, exactly when the original matches the event with every member. Only a
 * condition on a defaulted member that decides differently for the default and for a missing
 * member changes (`{ archived: false }`, `{ trace_id: { $exists: true } }`, `{ alert: null }`):
 * it becomes "missing, or the condition" when the default satisfies it, else "present, and the
 * condition". Which way the default and a missing member go is asked of mingo, this project's
 * reference for MongoDB's query language. Every other condition (`{ archived: { $ne: true } }`,
 * `{ archived: true }`, `{ archived_at: { $lt: date } }`, ...) is sent unchanged.
 */
export function forStoredShape(selector: Selector): Selector {
  let changed = false;
  const extra: Selector[] = [];
  const out: Selector = {};
  for (const [key, value] of Object.entries(selector)) {
    if (LOGICAL.has(key) && Array.isArray(value)) {
      const parts = value.map((part: Selector) => forStoredShape(part));
      if (parts.some((part, i) => part !== value[i])) changed = true;
      out[key] = parts;
      continue;
    }
    // Only a condition that decides differently for the member's default and for no member changes.
    const byDefault = DEFAULTS.has(key) ? matches(key, value, { [key]: DEFAULTS.get(key) }) : undefined;
    if (byDefault === undefined || byDefault === matches(key, value, {})) {
      out[key] = value;
      continue;
    }
    changed = true;
    extra.push(
      byDefault
        ? { $or: [{ [key]: { $exists: false } }, { [key]: value }] }
        : { $and: [{ [key]: { $exists: true } }, { [key]: value }] },
    );
  }
  if (!changed) return selector;
  if (extra.length === 0) return out;
  if (Object.keys(out).length === 0 && extra.length === 1) return extra[0]!;
  return { ...out, $and: [...((out.$and as Selector[] | undefined) ?? []), ...extra] };
}

function matches(key: string, condition: unknown, doc: Record<string, unknown>): boolean {
  return new Query({ [key]: condition }).test(doc);
}
