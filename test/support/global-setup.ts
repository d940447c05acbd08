import type { TestProject } from 'vitest/node';
import { startFerretDb, type FerretDbHandle } from './ferretdb';

let ferret: FerretDbHandle | null = null;

/** Starts the databases the suite needs once, for every test file. */
export async function setup(project: TestProject): Promise<void> {
  let uri = process.env.MONGODB_URI;
  if (!uri) {
    ferret = await startFerretDb();
    uri = ferret.uri;
    console.log(`FerretDB started at ${uri}`);
  }
  project.provide('mongoUri', uri);
}

export async function teardown(): Promise<void> {
  await ferret?.stop();
}
