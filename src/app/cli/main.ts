#!/usr/bin/env node
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { generateApiKey, hashApiKey } from '../../core/api-keys';
import { parseRole } from '../../core/roles';
import { ConfigError, loadConfig } from '../../core/config';
import { loadEnvFile } from '../../core/env-file';
import { createStore } from '../../store/create-store';
import { importMadsciEvents } from './import.command';
import { createProgressReporter, rateOf, type OutputStream } from './progress';

/** `lab-events --help`: the commands. */
const USAGE = `Usage: lab-events <command> [options]

Commands:
  import     copy the events of a MADSci Event Manager database into this server's store
  hash-key   print an API_KEYS entry for an API key (and a new random key when none is given)
  help       this text, or a command's (lab-events help import)

Run \`lab-events <command> --help\` for a command's options. In a checkout: npx lab-events ...,
or npm run cli -- <command> ...`;

/** `lab-events import --help`. */
const IMPORT_USAGE = `Usage: lab-events import --from <mongodb-uri> [--database madsci_events] [--collection events] [--batch-size 1000]

Copies the events of a MADSci Event Manager database into this server's store: MongoDB when
MONGODB_URI is set, else the SQLite file under DATA_DIR (the server's own configuration, from the
environment or .env in the working directory).
Ids, timestamps (MADSci's ISO text; no offset = UTC), archive state and event_data are kept.
Events already present are skipped, so running it again adds nothing.

Options:
  --from <uri>         MongoDB connection string of the MADSci database server (required)
  --database <name>    MADSci's database (default madsci_events)
  --collection <name>  its events collection (default events)
  --batch-size <n>     documents read and written per round trip, 1 to 100000 (default 1000)
  -h, --help           this text

Exit codes: 0 done, 1 failed (e.g. the source cannot be reached), 2 bad usage or configuration.`;

/** `lab-events hash-key --help`. */
const HASH_KEY_USAGE = `Usage: lab-events hash-key <reader|writer|admin> [key]

Prints an API_KEYS entry (role:salt:sha256) for a key, and a new random key first when none is
given. Only the entry goes into the server's configuration (API_KEYS, comma-separated); clients
send the key in the X-API-Key header.

Exit codes: 0 done, 2 bad usage.`;

/** Each command's help. */
const COMMAND_USAGE: Readonly<Record<string, string>> = { import: IMPORT_USAGE, 'hash-key': HASH_KEY_USAGE };

const isHelp = (arg: string | undefined) => arg === '--help' || arg === '-h';

/** `hash-key <role> [key]`: the API_KEYS entry for a key (a new random key when none is given). */
function hashKeyCommand(args: readonly string[], io: CliIo): number {
  if (args.some(isHelp)) {
    io.stdout.write(`${HASH_KEY_USAGE}\n`);
    return 0;
  }
  const [roleText, given, ...extra] = args;
  const role = roleText === undefined ? null : parseRole(roleText);
  if (!role || extra.length > 0) {
    io.stderr.write(`hash-key needs a role (reader, writer or admin) and at most one key\n\n${HASH_KEY_USAGE}\n`);
    return 2;
  }
  const key = given ?? generateApiKey();
  if (given === undefined) io.stdout.write(`key:   ${key}\n`);
  io.stdout.write(`entry: ${hashApiKey(role, key)}\n`);
  return 0;
}

/** Where the CLI writes: a summary on stdout, progress and errors on stderr. */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Record<string, string | undefined>;
}

/**
 * Runs `lab-events <command> ...`; returns the exit code (0 done, 1 failed, 2 bad usage or
 * configuration).
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    io.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (isHelp(command) || command === 'help') {
    const topic = command === 'help' ? rest[0] : undefined;
    if (topic !== undefined && !Object.hasOwn(COMMAND_USAGE, topic)) {
      io.stderr.write(`Unknown command ${JSON.stringify(topic)}\n\n${USAGE}\n`);
      return 2;
    }
    io.stdout.write(`${topic === undefined ? USAGE : COMMAND_USAGE[topic]}\n`);
    return 0;
  }
  if (command === 'hash-key') return hashKeyCommand(rest, io);
  if (command !== 'import') {
    io.stderr.write(`Unknown command ${JSON.stringify(command)}\n\n${USAGE}\n`);
    return 2;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: [...rest],
      options: {
        from: { type: 'string' },
        database: { type: 'string', default: 'madsci_events' },
        collection: { type: 'string', default: 'events' },
        'batch-size': { type: 'string', default: '1000' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${IMPORT_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(`${IMPORT_USAGE}\n`);
    return 0;
  }
  const batchSize = Number(values['batch-size']);
  const problem = !values.from
    ? '--from <mongodb-uri> is required'
    : !/^mongodb(\+srv)?:\/\//.test(values.from)
      ? '--from must be a mongodb:// or mongodb+srv:// URI'
      : !Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000
        ? '--batch-size must be a whole number from 1 to 100000'
        : null;
  if (problem || !values.from) {
    io.stderr.write(`${problem}\n\n${IMPORT_USAGE}\n`);
    return 2;
  }

  let config;
  try {
    config = loadConfig(io.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  // Logs go to stderr, beside the progress display; stdout carries the summary only.
  const logger = pino(
    { level: config.logLevel, base: { service: 'lab-events-import' } },
    pino.destination({ dest: 2, sync: true }),
  );
  const store = createStore(config, logger);
  const target = config.mongo
    ? `MongoDB ${config.mongo.database}.${config.mongo.collection}`
    : `SQLite under ${config.dataDir}`;
  io.stderr.write(`importing ${values.database}.${values.collection} into ${target}\n`);
  const reporter = createProgressReporter(io.stderr);
  try {
    await store.init();
    const result = await importMadsciEvents(
      { from: values.from, database: values.database, collection: values.collection, batchSize },
      store,
      (progress) => reporter.update(progress),
    );
    reporter.stop();
    io.stdout.write(
      `imported ${result.read} events: ${result.inserted} new, ${result.skipped} already present, in ${(result.elapsedMs / 1000).toFixed(1)} s (${rateOf(result)}/s)\n`,
    );
    if (result.unreadableTimestamps > 0) {
      io.stderr.write(
        `warning: ${result.unreadableTimestamps} events had an unreadable event_timestamp and were stored at 1970-01-01T00:00:00Z\n`,
      );
    }
    return 0;
  } catch (error) {
    reporter.stop();
    io.stderr.write(`import failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await store.close();
  }
}

/**
 * The `lab-events` process: `.env` from the working directory (real variables win), then the
 * command; exits with its code. Called by `bin/lab-events.cjs` (the package's bin) and when this
 * file is run with node.
 */
export function main(argv: readonly string[] = process.argv.slice(2)): void {
  loadEnvFile();
  runCli(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

if (require.main === module) main();
