/**
 * Names for the source ids the page shows, from the `sourceNames` query (names resolved as the
 * utilization reports resolve them: node_start events' node_name, workcell and lab starts,
 * experiment starts, a workflow's first event). Each id is asked about once per page load; ids
 * no event names keep showing as ids.
 */
import { useEffect, useRef, useState } from 'react';
import { SOURCE_NAMES_QUERY, type EventSource, type SourceNamesResult } from './api';

/** The source fields that have names, and the query argument and result list of each. */
export const NAMED_FIELDS = {
  nodeId: { argument: 'nodeIds', list: 'nodes' },
  workcellId: { argument: 'workcellIds', list: 'workcells' },
  experimentId: { argument: 'experimentIds', list: 'experiments' },
  workflowId: { argument: 'workflowIds', list: 'workflows' },
} as const;
export type NamedField = keyof typeof NAMED_FIELDS;

/** Names known so far, by field and id (null: asked, no name). */
export type SourceNameMap = Readonly<Record<NamedField, ReadonlyMap<string, string | null>>>;

const EMPTY: SourceNameMap = {
  nodeId: new Map(),
  workcellId: new Map(),
  experimentId: new Map(),
  workflowId: new Map(),
};

/** The name of an id, when the events give it one. */
export function nameOf(names: SourceNameMap, field: string, id: string): string | null {
  return field in NAMED_FIELDS ? (names[field as NamedField].get(id) ?? null) : null;
}

/**
 * Keeps names for the ids of `sources` (and `extraNodeIds`), asking the server about new ids a
 * moment after they appear, in one query.
 */
export function useSourceNames(
  sources: readonly EventSource[],
  extraNodeIds: readonly string[],
  gql: <T>(query: string, variables?: Record<string, unknown>) => Promise<T>,
): SourceNameMap {
  const [names, setNames] = useState<SourceNameMap>(EMPTY);
  const asked = useRef<Record<NamedField, Set<string>>>({
    nodeId: new Set(),
    workcellId: new Set(),
    experimentId: new Set(),
    workflowId: new Set(),
  });

  useEffect(() => {
    const wanted: Partial<Record<NamedField, string[]>> = {};
    const want = (field: NamedField, id: string | null | undefined) => {
      if (!id || asked.current[field].has(id)) return;
      asked.current[field].add(id);
      (wanted[field] ??= []).push(id);
    };
    for (const source of sources)
      for (const field of Object.keys(NAMED_FIELDS) as NamedField[]) want(field, source[field]);
    for (const id of extraNodeIds) want('nodeId', id);
    if (Object.keys(wanted).length === 0) return;
    const variables: Record<string, string[]> = {};
    for (const [field, ids] of Object.entries(wanted) as [NamedField, string[]][])
      variables[NAMED_FIELDS[field].argument] = ids;
    gql<SourceNamesResult>(SOURCE_NAMES_QUERY, variables).then(
      (result) =>
        setNames((previous) => {
          const next = { ...previous };
          for (const field of Object.keys(NAMED_FIELDS) as NamedField[]) {
            const found = result.sourceNames[NAMED_FIELDS[field].list];
            if (found.length === 0) continue;
            const map = new Map(previous[field]);
            for (const { id, name } of found) map.set(id, name);
            next[field] = map;
          }
          return next;
        }),
      () => {
        // Unavailable (an older server, no permission): ask again next time these ids show.
        for (const [field, ids] of Object.entries(wanted) as [NamedField, string[]][])
          for (const id of ids) asked.current[field].delete(id);
      },
    );
  }, [sources, extraNodeIds, gql]);

  return names;
}
