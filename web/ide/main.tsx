/**
 * The GraphQL IDE: GraphiQL 5 (Monaco editors) bundled from npm, served by this server, offline.
 * Queries and mutations go over HTTP POST to the same origin; subscriptions over graphql-ws on
 * the same path, with the header editor's headers sent as connection parameters.
 */
import 'graphiql/style.css';
import './ide.css';
import { createGraphiQLFetcher, type Fetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { Kind, parse, type DocumentNode } from 'graphql';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { readPageConfig, sameOriginWebSocketUrl } from '../shared/page-config';
import { EXAMPLE_TABS } from './examples';

/** What the server puts in the page (see src/ide/ide.route.ts). */
interface IdeConfig {
  graphqlPath: string;
  subscriptionPath: string;
  /** Header the header editor starts with, for an API key. */
  apiKeyHeader: string;
  /** Same-origin URLs of Monaco's workers, by label. */
  workers: { editor: string; json: string; graphql: string };
}

const config = readPageConfig<IdeConfig>();

// Monaco asks for a worker per language; each is a bundled script served beside this one, so no
// worker is built from a CDN URL or a blob.
(globalThis as { MonacoEnvironment?: unknown }).MonacoEnvironment = {
  getWorker(_workerId: string, label: string): Worker {
    const url =
      label === 'json' ? config.workers.json : label === 'graphql' ? config.workers.graphql : config.workers.editor;
    return new Worker(url, { name: label });
  },
};

const baseFetcher = createGraphiQLFetcher({
  url: `${window.location.origin}${config.graphqlPath}`,
  // A graphql-ws client per subscription, its connection parameters taken from the header editor.
  subscriptionUrl: sameOriginWebSocketUrl(config.subscriptionPath),
});

/**
 * The toolkit sends an operation over WebSocket when `documentAST` and `operationName` show it is
 * a subscription. GraphiQL hands over the document and operation name it saw last, which lag a
 * moment behind a tab switch; take both from the query being sent instead, so a subscription
 * never goes to HTTP POST under another tab's operation name.
 */
const fetcher: Fetcher = (params, options) => {
  let documentAST: DocumentNode;
  try {
    documentAST = parse(params.query);
  } catch {
    return baseFetcher(params, options); // Invalid: HTTP, where the server reports the syntax error.
  }
  const operations = documentAST.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  const known = operations.some((operation) => operation.name?.value === params.operationName);
  const operationName = known || operations.length !== 1 ? params.operationName : (operations[0]!.name?.value ?? null);
  return baseFetcher({ ...params, operationName }, { ...options, documentAST });
};

const headers = JSON.stringify({ [config.apiKeyHeader]: '' }, null, 2);
const defaultTabs = EXAMPLE_TABS.map((tab) => ({ query: tab.query, variables: tab.variables ?? null, headers }));
// GraphiQL fills the editors of the first default tab from `initialQuery`/`initialVariables`, and
// takes only the query from the tab itself; give it the variables too, but only on a first visit
// (with saved tabs, an initial value would open an extra tab).
const firstVisit = (() => {
  try {
    return localStorage.getItem('graphiql:tabs') === null;
  } catch {
    return true;
  }
})();
const initialVariables = firstVisit ? (defaultTabs[0]?.variables ?? undefined) : undefined;

const root = document.getElementById('root');
if (!root) throw new Error('#root missing');
createRoot(root).render(
  <StrictMode>
    <GraphiQL
      fetcher={fetcher}
      defaultTabs={defaultTabs}
      defaultHeaders={headers}
      {...(initialVariables ? { initialVariables } : {})}
      defaultEditorToolsVisibility="variables"
      isHeadersEditorEnabled
    >
      <GraphiQL.Logo>lab-events</GraphiQL.Logo>
    </GraphiQL>
  </StrictMode>,
);
