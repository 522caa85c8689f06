// A second process that tries to open the store at argv[2] and prints what happened as JSON.
import { openStore } from '../../src/store/open-store.js';
import { StoreError } from '../../src/storage/errors.js';

try {
  const store = await openStore({ path: process.argv[2]! });
  await store.close();
  console.log(JSON.stringify({ opened: true }));
} catch (err) {
  console.log(JSON.stringify({ opened: false, code: err instanceof StoreError ? err.code : String(err), message: (err as Error).message }));
}
