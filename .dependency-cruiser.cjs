// @ts-check
/* global module -- CommonJS config file, read by dependency-cruiser */
// Layer rules for src/ (issue 12): imports go only downward, app -> services -> store -> core,
// and no file imports itself back through any chain. `npm run lint:deps` checks them; CI runs it.
//
//   src/main.ts   entry: may import anything in src; nothing imports it
//   src/app/      composition root and every door (GraphQL, graphql-ws, REST, downloads, web, http, cli)
//   src/<feature> feature services (events, analytics, lifecycle, live, auth, health, metrics, and any
//                 folder added beside them): other services, store, core; no transport package
//   src/store/    EventStore and its backends: store and core only
//   src/core/     errors, logger, config, ...: core only
//
// test/, bench/, scripts/ and web/ are cruised too (so src importing them, or a cycle through them, is
// caught); they may import any layer.

/** Packages that belong to the doors in src/app: no layer below app may import them. */
const TRANSPORT =
  '^node_modules/(?:@types/)?(?:graphql|type-graphql|graphql-scalars|graphql-ws|graphql-depth-limit|' +
  'graphql-query-complexity|@apollo/[^/]+|@as-integrations/[^/]+|express|ws|helmet)/';

/** Every folder under src/ that is not app, store or core is a feature service. */
const SERVICE = '^src/(?!(?:app|store|core)/)[^/]+/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycle at all, at file level (type-only imports included): it also rules out folder cycles.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-imports-only-core',
      severity: 'error',
      comment: 'src/core is the bottom layer: it imports nothing of the project outside src/core.',
      from: { path: '^src/core/' },
      to: { path: '^(?:src|test|bench|scripts|web)/', pathNot: '^src/core/' },
    },
    {
      name: 'store-imports-only-store-and-core',
      severity: 'error',
      comment: 'src/store knows no API shape and no service: it imports only src/store and src/core.',
      from: { path: '^src/store/' },
      to: { path: '^(?:src|test|bench|scripts|web)/', pathNot: '^src/(?:store|core)/' },
    },
    {
      name: 'services-not-to-app',
      severity: 'error',
      comment: 'Feature services import only services, src/store and src/core: never src/app or src/main.ts.',
      from: { path: SERVICE },
      to: { path: '^(?:src/app/|src/main\\.ts$|test/|bench/|scripts/|web/)' },
    },
    {
      name: 'no-transport-below-app',
      severity: 'error',
      comment:
        'GraphQL, type-graphql, Apollo, Express, graphql-ws, ws and helmet are door concerns: only src/app ' +
        '(and src/main.ts) may import them; services, store and core stay transport-neutral.',
      from: { path: '^src/', pathNot: '^src/(?:app/|main\\.ts$)' },
      to: { path: TRANSPORT },
    },
    {
      name: 'nothing-imports-main',
      severity: 'error',
      comment: 'src/main.ts is the entry point (start-up and shutdown): no file in src imports it.',
      from: { path: '^src/' },
      to: { path: '^src/main\\.ts$' },
    },
    {
      name: 'src-not-to-tests-or-tools',
      severity: 'error',
      comment: 'Production code never imports test/, bench/, scripts/ or the web page sources.',
      from: { path: '^src/' },
      to: { path: '^(?:test|bench|scripts|web)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to no file or package: a typo, or a file moved without its importers.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a service that needs a type from src/app depends on src/app.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
    exclude: { path: '^(?:test/generated|bench/results)/' },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
