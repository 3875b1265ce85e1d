/**
 * The fit worker thread of the bundled action (dist/fit-worker.js, beside dist/index.js, which
 * starts it for `workers` > 1): opp's fit worker with the wasm backend pointed at the files the
 * bundler copies into dist/, so the action needs neither build/ nor node_modules for it.
 */
import { useBundledWasm } from './bundled-wasm.js';

useBundledWasm();
await import('../../../model/parallel/fit-worker.js');
