import fs from 'node:fs';
import path from 'node:path';

/**
 * Loads `.env` from a directory (default: the working directory) into `process.env` when the file
 * exists, with Node's own parser (`process.loadEnvFile`, Node 20.12+): a variable already set in the
 * environment keeps its value, so real environment variables win over the file.
 * @returns the file loaded, or null when there is none.
 */
export function loadEnvFile(dir: string = process.cwd()): string | null {
  const file = path.join(dir, '.env');
  if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) return null;
  process.loadEnvFile(file);
  return file;
}
