// Node-only: finds the .wasm builds next to the package and creates a backend.

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { JsKernels } from './js.js';
import type { Kernels } from './kernels.js';
import { createWasmKernels } from './wasm.js';
import type { HeapDtype } from './heap.js';

/** build/ at the package root (src/kernels and dist/kernels are both two levels down). */
export const BUILD_DIR = fileURLToPath(new URL('../../build/', import.meta.url));

export interface BackendOptions {
  backend?: 'wasm' | 'js';
  /** JS baseline only: float64 heap for gradient checks. */
  dtype?: HeapDtype;
  /** WASM only: a specific build file in build/ (default kernels.wasm). */
  build?: string;
}

export async function createKernels(options: BackendOptions = {}): Promise<Kernels> {
  if ((options.backend ?? 'wasm') === 'js') return new JsKernels(options.dtype ?? 'f32');
  const build = options.build ?? 'kernels.wasm';
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(await readFile(BUILD_DIR + build));
  } catch (err) {
    throw new Error(`cannot read ${BUILD_DIR + build}: run \`npm run build\` first`, { cause: err });
  }
  return createWasmKernels(bytes, build);
}
