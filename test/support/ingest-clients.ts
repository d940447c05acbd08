/**
 * Concurrent ingest clients for the fault tests: each logs small batches of events with ids it
 * chooses, and records per call whether the server acknowledged it (HTTP 200, `logEvents` data,
 * every event counted) or how it failed, so a test can check afterwards that every acknowledged
 * id is stored and that no call was silently lost.
 */

/** One call that was not acknowledged. */
export interface FailedCall {
  ids: string[];
  /** HTTP status, or null when the request itself failed (connection refused or reset). */
  status: number | null;
  /** `extensions.code` of the first GraphQL error, when there was one. */
  code: string | null;
  message: string;
}

/** What the clients saw. */
export interface IngestRecord {
  acknowledged: Set<string>;
  failed: FailedCall[];
  /** Answers that were neither an acknowledgement nor an error: must stay empty. */
  silent: { ids: string[]; status: number; body: string }[];
  calls: number;
}

const MUTATION = 'mutation($e: [EventInput!]!) { logEvents(events: $e) { insertedCount duplicateCount } }';

/**
 * Starts `clients` loops posting batches of `batchSize` events to `${url()}/graphql` until
 * `stop()` is true; `done` resolves when every loop has ended. `url` is read per call, so a
 * restarted server on a new port is followed.
 */
export function startIngestClients(options: {
  url: () => string;
  prefix: string;
  clients?: number;
  batchSize?: number;
  stop: () => boolean;
}): { record: IngestRecord; done: Promise<void> } {
  const record: IngestRecord = { acknowledged: new Set(), failed: [], silent: [], calls: 0 };
  const batchSize = options.batchSize ?? 20;
  const loop = async (client: number) => {
    for (let n = 0; !options.stop(); n++) {
      const ids = Array.from({ length: batchSize }, (_, i) => `${options.prefix}-c${client}-b${n}-${i}`);
      const events = ids.map((id, i) => ({ id, eventType: 'LOG_INFO', eventData: { client, batch: n, i } }));
      record.calls++;
      let status: number;
      let text: string;
      try {
        const response = await fetch(`${options.url()}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: MUTATION, variables: { e: events } }),
          signal: AbortSignal.timeout(60_000),
        });
        status = response.status;
        text = await response.text();
      } catch (error) {
        record.failed.push({ ids, status: null, code: null, message: String(error) });
        // Nothing listening (server killed): do not spin.
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      let body: {
        data?: { logEvents?: { insertedCount: number; duplicateCount: number } } | null;
        errors?: { message: string; extensions?: { code?: string } }[];
      } = {};
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        // Not JSON: counted as silent below unless the status says it failed.
      }
      const result = body.data?.logEvents;
      if (
        status === 200 &&
        !body.errors?.length &&
        result &&
        result.insertedCount + result.duplicateCount === batchSize
      ) {
        for (const id of ids) record.acknowledged.add(id);
      } else if (body.errors?.length || status >= 400) {
        record.failed.push({
          ids,
          status,
          code: body.errors?.[0]?.extensions?.code ?? null,
          message: body.errors?.[0]?.message ?? text.slice(0, 200),
        });
      } else {
        record.silent.push({ ids, status, body: text.slice(0, 500) });
      }
    }
  };
  const done = Promise.all(Array.from({ length: options.clients ?? 10 }, (_, client) => loop(client))).then(
    () => undefined,
  );
  return { record, done };
}

/**
 * Resolves once `check()` is true, polling every `everyMs`; rejects after `timeoutMs`, with what
 * `state()` then says, if given (for the log of a run that timed out).
 */
export async function until(
  check: () => boolean,
  timeoutMs = 60_000,
  everyMs = 20,
  state?: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for a condition${state ? `: ${state()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The subset of `ids` a server has, through `eventsByIds` in chunks of 500. */
export async function storedIds(url: string, ids: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'query($ids: [ID!]!) { eventsByIds(ids: $ids) { id } }',
        variables: { ids: chunk },
      }),
    });
    const body = (await response.json()) as { data?: { eventsByIds: ({ id: string } | null)[] }; errors?: unknown[] };
    if (!body.data) throw new Error(`eventsByIds failed: ${JSON.stringify(body.errors)}`);
    for (const event of body.data.eventsByIds) if (event) found.add(event.id);
  }
  return found;
}
