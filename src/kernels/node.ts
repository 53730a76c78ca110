// Node-only: finds the .wasm builds next to the package and creates a backend.

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { ArgumentError } from '../errors.js';
import { JsKernels } from './js.js';
import type { Kernels } from './kernels.js';
import { createWasmKernels } from './wasm.js';
import type { HeapDtype } from './heap.js';

/** build/ at the package root (src/kernels and dist/kernels are both two levels down). */
export const BUILD_DIR = fileURLToPath(new URL('../../build/', import.meta.url));

export const BASELINE_BUILD = 'kernels.wasm';
export const RELAXED_BUILD = 'kernels-relaxed.wasm';

export interface BackendOptions {
  backend?: 'wasm' | 'js';
  /** JS baseline only: float64 heap for gradient checks. */
  dtype?: HeapDtype;
  /** WASM only: a specific build file in build/; default the fastest the engine accepts. */
  build?: string;
  /**
   * WASM only: use the baseline SIMD build, whose results are bit-identical on every
   * machine (relaxed SIMD's fused multiply-add may round differently on other hardware).
   */
  deterministic?: boolean;
}

const cache = new Map<string, Promise<Uint8Array<ArrayBuffer> | null>>();

async function readBuild(file: string): Promise<Uint8Array<ArrayBuffer> | null> {
  let p = cache.get(file);
  if (!p) {
    p = readFile(BUILD_DIR + file).then((b) => new Uint8Array(b), () => null);
    cache.set(file, p);
  }
  return p;
}

/**
 * Node 20's V8 accepts relaxed SIMD only behind a flag; it can be set at run time before
 * the module is compiled. Newer engines accept it by default.
 */
function allowRelaxedSimd(): void {
  try {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // Not fatal: validation below decides.
  }
}

/** The build to use: the one asked for, else relaxed when the engine validates it, else baseline. */
export async function chooseBuild(options: BackendOptions = {}): Promise<{ file: string; bytes: Uint8Array<ArrayBuffer> }> {
  if (options.build) {
    if (options.deterministic && options.build !== BASELINE_BUILD) {
      throw new ArgumentError(`deterministic mode needs ${BASELINE_BUILD}, not ${options.build}`);
    }
    const bytes = await readBuild(options.build);
    if (!bytes) throw new Error(`cannot read ${BUILD_DIR + options.build}: run \`npm run build\` first`);
    if (options.build === RELAXED_BUILD) allowRelaxedSimd();
    return { file: options.build, bytes };
  }
  if (!options.deterministic) {
    const relaxed = await readBuild(RELAXED_BUILD);
    if (relaxed) {
      allowRelaxedSimd();
      if (WebAssembly.validate(relaxed)) return { file: RELAXED_BUILD, bytes: relaxed };
    }
  }
  const base = await readBuild(BASELINE_BUILD);
  if (!base) throw new Error(`cannot read ${BUILD_DIR + BASELINE_BUILD}: run \`npm run build\` first`);
  return { file: BASELINE_BUILD, bytes: base };
}

export async function createKernels(options: BackendOptions = {}): Promise<Kernels> {
  if ((options.backend ?? 'wasm') === 'js') return new JsKernels(options.dtype ?? 'f32');
  const { file, bytes } = await chooseBuild(options);
  return createWasmKernels(bytes, file);
}
