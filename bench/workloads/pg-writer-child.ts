/**
 * One writer process of the postgres workload's multi-process case (postgres.ts): opens a store of
 * its own on the database and schema it is given, prints `ready`, waits for `go` on stdin, adds
 * its range of resources with a number of calls in flight, then prints one JSON line: how many
 * writes it made, how many engine commits (group commits) carried them, and how long they took.
 * The engine is opened apart from the store (as openStore does) so that its commit count can be read.
 *
 * Arguments: connection string, schema, first resource index, count, calls in flight.
 */
import { createInterface } from 'node:readline';
import { DEFAULT_RETENTION } from '../../src/events/change-log.js';
import { openPostgresEngine } from '../../src/storage/pg-engine.js';
import { DEFAULT_MAX_DATA_BYTES, openStoreOn } from '../../src/store/open-store.js';
import { resource } from '../data.js';

const [connectionString, schema, fromArg, countArg, inFlightArg] = process.argv.slice(2);
const from = Number(fromArg);
const end = from + Number(countArg);
const engine = await openPostgresEngine({ connectionString: connectionString!, schema: schema! });
const store = await openStoreOn(engine, { maxDataBytes: DEFAULT_MAX_DATA_BYTES, cache: {}, registry: undefined, retention: DEFAULT_RETENTION });
process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) if (line === 'go') break;

const commitsBefore = engine.commits;
const start = performance.now();
let next = from;
await Promise.all(
  Array.from({ length: Number(inFlightArg) }, async () => {
    while (next < end) await store.add(resource(next++));
  }),
);
const ms = performance.now() - start;
process.stdout.write(`${JSON.stringify({ writes: end - from, commits: engine.commits - commitsBefore, ms })}\n`);
await store.close();
