#!/usr/bin/env node
/**
 * Bundles every action (`actions/<step>/src/index.ts` → `actions/<step>/dist/index.js`, and a
 * `src/fit-worker.ts` → `dist/fit-worker.js` beside it) with esbuild, the one bundler for all actions. The bundles are committed, because a workflow
 * runs `dist/index.js` as it is in the repository.
 *
 * Usage: node actions/bundle.mjs            rebuild every dist/
 *        node actions/bundle.mjs --check    rebuild into a temporary folder and exit 1 when a
 *                                           committed dist/ differs (it is stale)
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ACTIONS_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(ACTIONS_DIR);
/** Node version the bundles must run on (runners use node24; this machine has Node 20). */
const TARGET = 'node20';
/**
 * Lets bundled CommonJS dependencies `require` Node's built-in modules from an ES module, and
 * gives them the bundle's own `__dirname`/`__filename` (the tfjs wasm backend reads them) under
 * names of our own: `define` below maps only free uses of `__dirname` to them, so a bundled ES
 * module that declares its own `__dirname` keeps it.
 */
const BANNER = [
  "import { createRequire as __oppCreateRequire } from 'node:module';",
  "import { dirname as __oppDirname } from 'node:path';",
  "import { fileURLToPath as __oppFileURLToPath } from 'node:url';",
  'const require = __oppCreateRequire(import.meta.url);',
  'const __oppBundleFile = __oppFileURLToPath(import.meta.url);',
  'const __oppBundleDir = __oppDirname(__oppBundleFile);',
].join('\n');

/** The wasm backend's binaries: it loads them at run time from beside the module (the bundle). */
const WASM_PACKAGE_DIR = join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');

/** Folders under actions/ that hold an action with a TypeScript entry point. */
export function listActions() {
  return readdirSync(ACTIONS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .filter(
      (name) =>
        existsSync(join(ACTIONS_DIR, name, 'action.yml')) &&
        existsSync(join(ACTIONS_DIR, name, 'src', 'index.ts')),
    )
    .sort();
}

/**
 * An action's worker-thread entry (`src/fit-worker.ts`): bundled beside the action as
 * `dist/fit-worker.js`, and the action's bundle told so (`OPP_BUNDLED_FIT_WORKER`, read by
 * model/parallel/fit-workers.ts), so its workers run code of the same bundle, never build/.
 */
const FIT_WORKER_ENTRY = 'fit-worker';

/**
 * Bundles one action into `outFile` (and its fit worker beside it, when it has one). A bundle
 * that includes the tfjs wasm backend also gets its `.wasm` files copied beside it (the action
 * points `setWasmPaths` there).
 * @returns the files written (the bundle first).
 */
export async function bundleAction(name, outFile) {
  const workerSource = join(ACTIONS_DIR, name, 'src', `${FIT_WORKER_ENTRY}.ts`);
  const entryPoints = { [basename(outFile, '.js')]: join(ACTIONS_DIR, name, 'src', 'index.ts') };
  const define = { __dirname: '__oppBundleDir', __filename: '__oppBundleFile' };
  if (existsSync(workerSource)) {
    entryPoints[FIT_WORKER_ENTRY] = workerSource;
    define.OPP_BUNDLED_FIT_WORKER = JSON.stringify(`./${FIT_WORKER_ENTRY}.js`);
  }
  const result = await build({
    entryPoints,
    outdir: dirname(outFile),
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: TARGET,
    banner: { js: BANNER },
    define,
    legalComments: 'none',
    // Keep module paths as `node_modules/…` even where node_modules is a symlink, so that
    // every checkout writes byte-identical bundles.
    preserveSymlinks: true,
    logLevel: 'warning',
    metafile: true,
  });
  const files = [outFile];
  if (entryPoints[FIT_WORKER_ENTRY]) files.push(join(dirname(outFile), `${FIT_WORKER_ENTRY}.js`));
  if (Object.keys(result.metafile.inputs).some((input) => input.includes('@tensorflow/tfjs-backend-wasm/'))) {
    for (const wasm of readdirSync(WASM_PACKAGE_DIR)
      .filter((f) => f.endsWith('.wasm'))
      .sort()) {
      const target = join(dirname(outFile), wasm);
      copyFileSync(join(WASM_PACKAGE_DIR, wasm), target);
      files.push(target);
    }
  }
  return files;
}

async function main() {
  const check = process.argv.includes('--check');
  const names = listActions();
  const scratch = check ? mkdtempSync(join(tmpdir(), 'opp-dist-')) : undefined;
  const stale = [];
  try {
    for (const name of names) {
      const distDir = join(ACTIONS_DIR, name, 'dist');
      const committed = join(distDir, 'index.js');
      const outDir = scratch ? join(scratch, name) : distDir;
      const written = await bundleAction(name, join(outDir, 'index.js'));
      for (const file of scratch ? written : []) {
        const expected = join(distDir, relative(outDir, file));
        if (!existsSync(expected) || !readFileSync(expected).equals(readFileSync(file))) {
          stale.push(relative(ROOT, expected));
        }
      }
      if (!check) console.log(`bundled ${relative(ROOT, committed)}`);
    }
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
  if (stale.length > 0) {
    console.error(`stale bundles (run \`npm run bundle\` and commit): ${stale.join(', ')}`);
    process.exitCode = 1;
  } else if (check) {
    console.log(`dist/ is current for ${names.length} action(s): ${names.join(', ')}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
