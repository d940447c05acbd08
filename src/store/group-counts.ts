import type { EventDocument } from './event-document';
import type { CountGroupsOptions, GroupCount } from './event-store';

/** Index of the bucket `[b(i), b(i+1))` holding `t`, or -1 outside `[b0, bn)`. */
export function bucketIndex(boundaries: readonly number[], t: number): number {
  if (boundaries.length < 2 || t < boundaries[0]! || t >= boundaries.at(-1)!) return -1;
  let lo = 0;
  let hi = boundaries.length - 1;
  // Invariant: boundaries[lo] <= t < boundaries[hi].
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (boundaries[mid]! <= t) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The value of a group field in a stored document (null when absent). */
export function groupValue(doc: EventDocument, field: CountGroupsOptions['groupField']): GroupCount['key'] {
  if (field === null) return null;
  if (field === 'event_type') return doc.event_type;
  if (field === 'log_level') return doc.log_level;
  const key = field.slice('source.'.length) as keyof EventDocument['source'];
  return doc.source[key] ?? null;
}

/**
 * Counts documents the way {@link EventStore.countGroups} does, in memory: for selectors a store
 * cannot answer in its database alone.
 */
export async function countGroupsOf(
  docs: AsyncIterable<EventDocument>,
  options: CountGroupsOptions,
): Promise<GroupCount[]> {
  const groups = new Map<string, GroupCount>();
  for await (const doc of docs) {
    let bucket: number | null = null;
    if (options.bucketBoundaries) {
      bucket = bucketIndex(options.bucketBoundaries, doc.event_timestamp.getTime());
      if (bucket < 0) continue;
    }
    const key = groupValue(doc, options.groupField);
    const id = JSON.stringify([key, bucket]);
    const group = groups.get(id);
    if (group) group.count++;
    else groups.set(id, { key, bucket, count: 1 });
  }
  return [...groups.values()];
}
