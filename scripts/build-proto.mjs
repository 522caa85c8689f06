// Compiles proto/*.proto into src/gen/schema.js (an ES module of static protobufjs code) and its
// types, src/gen/schema.d.ts, with protobufjs-cli. Runs before build, typecheck, test and bench,
// so a fresh clone needs no hand step; skips the work when the output is newer than the schema.
// `--copy-to DIR` copies the generated pair next to the compiled output (tsc does not copy .js).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = join(root, 'proto');
const outDir = join(root, 'src', 'gen');
const outJs = join(outDir, 'schema.js');
const outDts = join(outDir, 'schema.d.ts');
const bin = (name) => join(root, 'node_modules', 'protobufjs-cli', 'bin', name);

const copyIndex = process.argv.indexOf('--copy-to');
if (copyIndex !== -1) {
  const target = join(root, process.argv[copyIndex + 1]);
  mkdirSync(target, { recursive: true });
  for (const file of [outJs, outDts]) copyFileSync(file, join(target, file.slice(outDir.length + 1)));
  process.exit(0);
}

const protos = readdirSync(protoDir).filter((f) => f.endsWith('.proto')).map((f) => join(protoDir, f));
const newest = Math.max(...protos.map((f) => statSync(f).mtimeMs), statSync(fileURLToPath(import.meta.url)).mtimeMs);
if (existsSync(outJs) && existsSync(outDts) && statSync(outJs).mtimeMs > newest && statSync(outDts).mtimeMs > newest) {
  process.exit(0);
}
mkdirSync(outDir, { recursive: true });
execFileSync(process.execPath, [bin('pbjs'), '-t', 'static-module', '-w', 'es6', '--no-delimited', '-o', outJs, ...protos],
  { stdio: 'inherit' });
execFileSync(process.execPath, [bin('pbts'), '-o', outDts, outJs], { stdio: 'inherit' });
