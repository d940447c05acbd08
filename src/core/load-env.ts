/**
 * Imported first by `src/main.ts`, for its side effect: `.env` from the working directory goes into
 * `process.env` before any module reads the environment (real variables win; see env-file.ts).
 */
import { loadEnvFile } from './env-file';

loadEnvFile();
