// monaco-graphql's language worker (completion, validation), bundled as its own script.
import 'monaco-graphql/esm/graphql.worker.js';
