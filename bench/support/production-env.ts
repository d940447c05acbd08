/**
 * Benchmarks measure what production runs: `NODE_ENV=production` unless the caller set
 * NODE_ENV. It must be set before graphql-js loads, which picks its `instanceOf` (a plain
 * `instanceof` in production, a slower multi-realm check otherwise) once, at load; so this module
 * is imported first by every benchmark entry point.
 */
process.env.NODE_ENV ??= 'production';

export {};
