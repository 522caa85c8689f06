/**
 * `--import ./bench/built-code.mjs` (after `--import tsx`): the store's modules are loaded as
 * `npm run build` emits them (`dist/`), as the package's users and `npm start` run them, while the
 * benchmark's own code still runs through tsx. tsx compiles with esbuild's keepNames, which names
 * every function a module makes as it is made (an `Object.defineProperty` each): 2–4% of the
 * store's own time on its write path, paid by no user. `npm run bench` builds first.
 */
import { register } from 'node:module';

register('./built-resolve.mjs', import.meta.url);
