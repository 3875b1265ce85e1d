import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OppError } from '../../pipeline/errors/OppError.js';
import { PACKAGE_ROOT } from '../../pipeline/util/package-root.js';

/**
 * The compiled kernel (model/engine/assembly/mlp.ts), a build output of `npm run build:wasm`
 * (run by `npm run build`, hence by `npm ci` through `prepare`). Resolved from PACKAGE_ROOT so
 * it is found from source under vitest, from build/, and from an installed package.
 */
export const KERNEL_WASM_FILE = join(PACKAGE_ROOT, 'build', 'wasm', 'mlp.wasm');

/** The slice of the WebAssembly JS API used here (the project's `lib` has no WebAssembly types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

/** A kernel instance's linear memory. */
export interface KernelMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The kernel's exports (see the AssemblyScript source for each one's contract). */
export interface KernelExports {
  memory: KernelMemory;
  heapBase(): number;
  setLayer(
    l: number,
    inputs: number,
    units: number,
    activation: number,
    dropout: number,
    w: number,
    b: number,
    gw: number,
    gb: number,
    h: number,
    m: number,
    a: number,
    d: number,
  ): void;
  configure(
    layers: number,
    capacity: number,
    params: number,
    grads: number,
    m1: number,
    m2: number,
    count: number,
  ): void;
  setData(x: number, y: number, w: number, bx: number, by: number, bw: number): void;
  setOptimizer(kind: number, lr: number, decay: number, beta1: number, beta2: number, eps: number): void;
  setLearningRate(lr: number): void;
  trainBatch(order: number, rows: number, seed: number): number;
  phase(which: number, order: number, rows: number, seed: number): number;
  gradientsOfBatch(rows: number): number;
  lossOfRows(x: number, y: number, rows: number): number;
  logitsOfRows(x: number, rows: number, out: number): void;
  peakLoop(iterations: number): number;
}

let compiled: object | undefined;

/** Whether the kernel has been built (`auto` falls back to tfjs where it has not, e.g. a bundle without it). */
export function kernelAvailable(): boolean {
  return compiled !== undefined || existsSync(KERNEL_WASM_FILE);
}

/**
 * A fresh kernel instance with its own memory (one per network: instances share nothing).
 *
 * @throws OppError when the .wasm file has not been built.
 */
export function instantiateKernel(): KernelExports {
  if (!compiled) {
    if (!existsSync(KERNEL_WASM_FILE)) {
      throw new OppError(
        `the fused engine's kernel ${KERNEL_WASM_FILE} is missing: run \`npm run build:wasm\``,
      );
    }
    compiled = new wasm.Module(readFileSync(KERNEL_WASM_FILE));
  }
  return new wasm.Instance(compiled, {}).exports as unknown as KernelExports;
}
