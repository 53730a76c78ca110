// Node-only: finds the .wasm builds next to the package and creates a backend.

import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { ArgumentError, FileError } from '../errors.js';
import { buildInfo, buildOrder, chooseValidBuild, relaxedSimdValidates, requireSimd, THREADS_BUILD, BASELINE_BUILD, type BuildBytes } from './builds.js';
import { JsKernels } from './js.js';
import type { Kernels } from './kernels.js';
import { createWasmKernels } from './wasm.js';
import { createSharedMemory, sharedMemorySupported, THREADS_MAXIMUM_PAGES } from './threads/memory.js';
import { spawnNodeWorker } from './threads/node-pool.js';
import { ThreadedKernels } from './threads/pool.js';
import type { HeapDtype } from './heap.js';

/** build/ at the package root (src/kernels and dist/kernels are both two levels down). */
export const BUILD_DIR = fileURLToPath(new URL('../../build/', import.meta.url));

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
  /**
   * WASM only: kernel threads (workers on one shared memory). Default 1 here; the CLI and
   * createModel/loadModel default to every core. Results are identical for any count.
   */
  threads?: number;
}

/** Every core this process may use. */
export function defaultThreads(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/**
 * The most kernel threads createKernels starts: twice the cores this process may use
 * (os.availableParallelism()), at least 4 so thread splits can be tested on any machine.
 * Each thread is a worker with its own WASM instance; past the cores they only queue.
 */
export function maxThreads(cores = defaultThreads()): number {
  return Math.max(4, 2 * cores);
}

/** Checks a requested thread count against maxThreads; `what` names the option in the message. */
export function checkThreads(threads: number, what = 'threads'): number {
  const cores = defaultThreads();
  const max = maxThreads(cores);
  if (!Number.isInteger(threads) || threads < 1 || threads > max) {
    throw new ArgumentError(
      `${what} must be an integer from 1 to ${max} (twice the ${cores} core${cores === 1 ? '' : 's'} available to this process), got ${threads}`,
    );
  }
  return threads;
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

async function requireBuild(file: string): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = await readBuild(file);
  if (!bytes) throw new FileError(`cannot read ${BUILD_DIR + file}: run \`npm run build\` first`, BUILD_DIR + file);
  return bytes;
}

/** build/ as the shared chooser's source: every build may be there. */
const buildDir: BuildBytes = { has: () => true, bytes: requireBuild, where: (name) => BUILD_DIR + name };

/**
 * Node 20's V8 accepts relaxed SIMD only behind a flag; it can be set at run time before
 * the module is compiled. Newer engines accept it by default.
 */
function allowRelaxedSimd(): void {
  try {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // Not fatal: validation decides.
  }
}

/** The build file to use: the one asked for, else the fastest in build/ the engine validates (baseline when deterministic). */
export async function chooseBuildFile(options: BackendOptions = {}, threaded = false): Promise<{ file: string; bytes: Uint8Array<ArrayBuffer> }> {
  // Any build but the deterministic one may use relaxed SIMD (test builds, not in BUILDS, too).
  if (!options.deterministic) allowRelaxedSimd();
  if (options.build) {
    const baseline = threaded ? THREADS_BUILD : BASELINE_BUILD;
    if (options.deterministic && options.build !== baseline) {
      throw new ArgumentError(`deterministic mode needs ${baseline}, not ${options.build}`);
    }
    const bytes = await requireBuild(options.build);
    return { file: options.build, bytes };
  }
  requireSimd();
  const order = buildOrder(threaded, !options.deterministic && relaxedSimdValidates());
  const { name, bytes } = await chooseValidBuild(order, buildDir);
  return { file: name, bytes: bytes as Uint8Array<ArrayBuffer> };
}

let warnedNoThreads = false;

export async function createKernels(options: BackendOptions = {}): Promise<Kernels> {
  if ((options.backend ?? 'wasm') === 'js') return new JsKernels(options.dtype ?? 'f32');
  const threads = checkThreads(options.threads ?? 1);
  if (threads > 1 && !sharedMemorySupported()) {
    if (!warnedNoThreads) console.warn(`ae-wasm: SharedArrayBuffer is unavailable; running on 1 thread instead of ${threads}`);
    warnedNoThreads = true;
  } else if (threads > 1) {
    const { file, bytes } = await chooseBuildFile(options, true);
    const main = await createWasmKernels(bytes, file, { memory: createSharedMemory(), maximumPages: THREADS_MAXIMUM_PAGES });
    return ThreadedKernels.create(main, threads, spawnNodeWorker);
  }
  const { file, bytes } = await chooseBuildFile(options);
  // A threads build asked for by name on one thread still imports a shared memory.
  const shared = buildInfo(file)?.threads ?? false;
  return createWasmKernels(bytes, file, shared ? { memory: createSharedMemory(), maximumPages: THREADS_MAXIMUM_PAGES } : {});
}
