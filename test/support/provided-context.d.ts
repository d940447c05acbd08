import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** MongoDB server for the MongoDB store's tests: `MONGODB_URI`, or a FerretDB started by the global setup. */
    mongoUri: string;
  }
}
