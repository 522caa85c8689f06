#!/usr/bin/env node
/**
 * The `resource-store` command line: `serve`, `import`, `export`, `restore`, `verify`, `stats`,
 * each with `--help`. Errors print one line to stderr and exit non-zero. A reader that stops
 * reading (`stats | head -3`) ends the command quietly.
 */
import { Command } from 'commander';
import { isStoreError } from '../storage/errors.js';
import { exportCommand, importCommand, restoreCommand, statsCommand, verifyCommand } from './data-commands.js';
import { serve } from './serve-command.js';

// The reader of our output went away (EPIPE): there is no one left to tell anything.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
});

const program = new Command('resource-store')
  .description('An embeddable store for Kubernetes-style resources and their relationships, on LevelDB or PostgreSQL.')
  .showHelpAfterError();

const DATA = ['--data <dir|url>', 'data directory of the store, or a PostgreSQL URL (postgres://user@host/db[?schema=name]) shared by many processes', './data'] as const;

program
  .command('serve')
  .description('serve a store over HTTP until SIGINT/SIGTERM')
  .option(...DATA)
  .option('--memory', 'serve an in-memory store instead of a data directory')
  .option('--host <host>', 'address to listen on (any address but loopback needs a token)', '127.0.0.1')
  .option('--port <port>', 'port to listen on (0: any free port)', '8080')
  .option('--token-file <file>', 'require this bearer token (or set RESOURCE_STORE_TOKEN)')
  .option('--log', 'log every request')
  .option('--tls-cert-file <file>', 'serve HTTPS with this PEM certificate (kubectl sends a token only over TLS)')
  .option('--tls-key-file <file>', 'the PEM key of --tls-cert-file')
  .option('--allow-host <host>', 'also answer to this Host name (repeatable, or comma-separated; * for any, behind a proxy)', (value: string, previous: string[]) => [...previous, value], [] as string[])
  .option('--cors-origin <origin>', 'let pages on this origin (https://host[:port]) use the API and the watches (repeatable; none by default)', (value: string, previous: string[]) => [...previous, value], [] as string[])
  .action((options) => serve(options));

program
  .command('import')
  .description('import Kubernetes JSON/YAML dumps (kubectl get -o json|yaml) with their ownerReferences and nodeNames')
  .argument('<files...>', 'files to import')
  .option(...DATA)
  .option('--server <url>', 'import into a running server instead of a data directory')
  .option('--token-file <file>', 'bearer token for the server (or set RESOURCE_STORE_TOKEN)')
  .option('--json', 'print the summary as JSON')
  .action(async (files: string[], options) => void (process.exitCode = await importCommand(files, options)));

program
  .command('export')
  .description('write a consistent snapshot (versioned, checksummed NDJSON) of every resource and relationship')
  .requiredOption('--out <file>', 'snapshot file to write')
  .option(...DATA)
  .option('--server <url>', 'export from a running server instead of a data directory')
  .option('--token-file <file>', 'bearer token for the server (or set RESOURCE_STORE_TOKEN)')
  .action(async (options) => void (process.exitCode = await exportCommand(options)));

program
  .command('restore')
  .description('load a snapshot into an empty store (checked whole first; an interrupted restore is finished by running it again)')
  .argument('<file>', 'snapshot file')
  .option(...DATA)
  .option('--force', 'replace whatever the store holds')
  .action(async (file: string, options) => void (process.exitCode = await restoreCommand(file, options)));

program
  .command('verify')
  .description('check that data, indices, relationships, counters and the change log agree; exit 1 on any finding')
  .option(...DATA)
  .option('--repair', 'first rebuild indices, relationship orders and counts from the data')
  .option('--server <url>', 'ask a running server (which checks as of one snapshot) instead of a data directory')
  .option('--token-file <file>', 'bearer token for the server (or set RESOURCE_STORE_TOKEN)')
  .option('--json', 'print the report as JSON')
  .action(async (options) => void (process.exitCode = await verifyCommand(options)));

program
  .command('stats')
  .description('counts by type and namespace, relationships, change-log size, disk bytes')
  .option(...DATA)
  .option('--server <url>', 'ask a running server instead of a data directory')
  .option('--token-file <file>', 'bearer token for the server (or set RESOURCE_STORE_TOKEN)')
  .option('--json', 'print as JSON')
  .action(async (options) => void (process.exitCode = await statsCommand(options)));

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`resource-store: ${isStoreError(err) ? `${err.code}: ` : ''}${(err as Error).message}\n`);
  process.exit(2);
});
