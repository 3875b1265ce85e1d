import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** A file the bundler copies next to dist/index.js; present only when running bundled. */
const BUNDLED_WASM = 'tfjs-backend-wasm-simd.wasm';

/**
 * Bundled, the wasm backend cannot find its `.wasm` files next to its own module (it is
 * inlined into the bundle), so point it at the copies the bundler puts beside the bundle
 * (dist/index.js and dist/fit-worker.js share them). Unbundled (tests, local runs) the files
 * are absent there and the backend finds its own.
 */
export function useBundledWasm(): void {
  const here = dirname(fileURLToPath(import.meta.url));
  if (existsSync(join(here, BUNDLED_WASM))) setWasmPaths(`${here}/`);
}
