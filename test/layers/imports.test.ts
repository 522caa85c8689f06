/**
 * The folders of `src/` are layers, and every import points down: a module imports only from its
 * own folder or from a folder below it in this order. A new folder must be placed here.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

/** Bottom first. */
const LAYERS = [
  ['gen', 'storage'],
  ['model'],
  ['txn'],
  ['indices'],
  ['relations'],
  ['events'],
  ['metrics'],
  ['snapshot', 'integrity'],
  ['store'],
  ['import', 'kube'],
  ['dashboard'],
  ['server'],
  ['cli'],
] as const;

const rank = new Map<string, number>(LAYERS.flatMap((folders, i) => folders.map((folder) => [folder, i] as const)));
const SRC = join(import.meta.dirname, '../../src');

test('every folder of src/ is a layer', () => {
  const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  assert.deepEqual(folders.filter((f) => !rank.has(f)), []);
});

test('every import points to its own folder or a folder below it', () => {
  const upward: string[] = [];
  for (const folder of rank.keys()) {
    let files: string[];
    try {
      files = readdirSync(join(SRC, folder)).filter((f) => f.endsWith('.ts'));
    } catch {
      continue; // gen/ exists only once built
    }
    for (const file of files) {
      const text = readFileSync(join(SRC, folder, file), 'utf8');
      for (const [, target] of text.matchAll(/from '\.\.\/([a-z-]+)\//g)) {
        if ((rank.get(target!) ?? Infinity) > rank.get(folder)!) upward.push(`${folder}/${file} imports ${target}/`);
      }
    }
  }
  assert.deepEqual(upward, []);
});
