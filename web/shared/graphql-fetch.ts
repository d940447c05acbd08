/** A GraphQL error as the server sends it. */
export interface GraphQLErrorPayload {
  message: string;
  extensions?: { code?: string; field?: string };
}

/** Thrown when an operation returns errors; `message` joins them, `errors` keeps them. */
export class GraphQLRequestError extends Error {
  constructor(readonly errors: GraphQLErrorPayload[]) {
    super(errors.map((error) => error.message).join('; '));
    this.name = 'GraphQLRequestError';
  }
}

/**
 * Runs one operation over HTTP (POST, same origin). Resolves with `data`; rejects with a
 * {@link GraphQLRequestError} when the server answers with errors, or with the HTTP failure.
 */
export async function graphqlFetch<T>(
  endpoint: string,
  query: string,
  variables: Record<string, unknown> = {},
  signal?: AbortSignal,
  headers: Record<string, string> = {},
): Promise<T> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
    ...(signal ? { signal } : {}),
  });
  let body: { data?: T | null; errors?: GraphQLErrorPayload[] };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw new Error(`HTTP ${response.status} from ${endpoint}`);
  }
  if (body.errors?.length) throw new GraphQLRequestError(body.errors);
  if (body.data == null) throw new Error(`HTTP ${response.status}: no data`);
  return body.data;
}
