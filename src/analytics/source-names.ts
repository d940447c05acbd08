import { BadUserInputError } from '../core/errors';
import type { EventStore, Selector } from '../store/event-store';
import { LOG_TYPES, loggedTypeSelector, toAnalyticsEvent, workflowIdOf } from './analytics-event';
import { AnalyticsLookups, AnalyticsReader } from './analytics-reader';
import { WORKFLOW_TYPES } from './user-report';

/** The ids whose names are asked for, by kind. */
export interface SourceNameRequest {
  nodeIds?: readonly string[] | null;
  workcellIds?: readonly string[] | null;
  experimentIds?: readonly string[] | null;
  workflowIds?: readonly string[] | null;
}

/** An id and the name the events give it, or null when none does. */
export interface SourceName {
  id: string;
  name: string | null;
}

/** Names by kind, in the order the ids were asked for (repeats dropped). */
export interface SourceNames {
  nodes: SourceName[];
  workcells: SourceName[];
  experiments: SourceName[];
  workflows: SourceName[];
}

/** Ids per kind one request may ask about (a dashboard asks for the sources of one page of events). */
export const MAX_SOURCE_NAME_IDS = 500;

/** What the workflow lookup reads of each event, and how many per streaming step. */
const PROJECTION = ['_id', 'event_type', 'event_timestamp', 'source', 'event_data'] as const;
const CHUNK = 200;

function distinct(ids: readonly string[] | null | undefined, field: string): string[] {
  const unique = [...new Set((ids ?? []).filter((id) => id !== ''))];
  if (unique.length > MAX_SOURCE_NAME_IDS)
    throw new BadUserInputError(`At most ${MAX_SOURCE_NAME_IDS} ids per kind; got ${unique.length}`, field);
  return unique;
}

/**
 * The names the events give to sources, resolved as the reports resolve them
 * (docs/utilization-reports.md#names-and-the-workcell-test): node names from `node_start` events'
 * `node_name`, experiment names from `experiment_start` events, workcell names from
 * `workcell_start`/`lab_start` events (null where the reports fall back to `Workcell <last8>`), and
 * workflow names as the user report names them (docs/utilization-reports.md#user-report): the
 * `name` or `workflow_name` of the workflow's first `workflow_start`/`workflow_complete` event.
 */
export async function resolveSourceNames(store: EventStore, request: SourceNameRequest): Promise<SourceNames> {
  const nodes = distinct(request.nodeIds, 'nodeIds');
  const workcells = distinct(request.workcellIds, 'workcellIds');
  const experiments = distinct(request.experimentIds, 'experimentIds');
  const workflows = distinct(request.workflowIds, 'workflowIds');
  const lookups = new AnalyticsLookups(new AnalyticsReader(store));
  await lookups.resolve({ nodes, workcells, experiments });
  // A decided workcell name never starts with "Workcell ": such a name is the reports' fallback.
  const workcellName = (id: string) => {
    const name = lookups.workcellName(id);
    return name.startsWith('Workcell ') ? null : name;
  };
  const workflowNames = await resolveWorkflowNames(store, workflows);
  return {
    // The reports take the first truthy node_name, stripped, so a blank one decides: no name to show.
    nodes: nodes.map((id) => ({ id, name: lookups.nodeName(id) || null })),
    workcells: workcells.map((id) => ({ id, name: workcellName(id) })),
    experiments: experiments.map((id) => ({ id, name: lookups.experimentName(id) })),
    workflows: workflows.map((id) => ({ id, name: workflowNames.get(id) ?? null })),
  };
}

/**
 * Workflow names from the first workflow event of each id (by time, then id), read with one
 * ordered stream over the events that carry one of the ids, by effective type
 * (docs/madsci-compatibility.md#d1-effective-event-type).
 */
async function resolveWorkflowNames(store: EventStore, ids: string[]): Promise<Map<string, string | null>> {
  const names = new Map<string, string | null>();
  if (ids.length === 0) return names;
  const types: readonly string[] = WORKFLOW_TYPES;
  const selector: Selector = {
    $and: [
      {
        $or: [
          ...types.map((type) => ({ event_type: type })),
          ...LOG_TYPES.map((type) => loggedTypeSelector(type, types)),
        ],
      },
      { $or: [{ 'source.workflow_id': { $in: ids } }, { 'event_data.workflow_id': { $in: ids } }] },
    ],
  };
  const wanted = new Set(ids);
  const order = { field: 'event_timestamp', direction: 1 } as const;
  for await (const doc of store.stream(selector, { order, chunkSize: CHUNK, projection: PROJECTION })) {
    const e = toAnalyticsEvent(doc);
    const id = workflowIdOf(e);
    if (!id || !wanted.has(id) || names.has(id) || !types.includes(e.type)) continue;
    names.set(id, [e.data.name, e.data.workflow_name].find((v): v is string => typeof v === 'string') ?? null);
    if (names.size === wanted.size) break;
  }
  return names;
}
