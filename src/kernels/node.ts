// Node-only: finds the .wasm builds next to the package and creates a backend.

import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { ArgumentError, FileError } from '../errors.js';
import { checkOptionKeys, optionKeys } from '../options.js';
import { performance } from 'node:perf_hooks';
import {
  buildInfo,
  buildNamed,
  buildOrder,
  buildRule,
  calibrate,
  chooseValidBuild,
  relaxedSimdValidates,
  requireSimd,
  THREADS_BUILD,
  BASELINE_BUILD,
  type BuildBytes,
  type BuildName,
  type Calibration,
} from './builds.js';
import { JsKernels } from './js.js';
import type { Kernels } from './kernels.js';
import { createWasmKernels, type WasmKernels } from './wasm.js';
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
  /**
   * WASM only, no `build` named: time a small sgemm on the relaxed build and on its
   * baseline (paired rounds, a few ms after instantiation) and run the faster. Off by
   * default: the relaxed build runs wherever it validates (the rule in builds.ts), and a
   * timing-dependent choice would make results differ in the last bits from run to run.
   */
  calibrate?: boolean;
}

/** Every key BackendOptions has: createKernels refuses others. */
export const BACKEND_OPTION_KEYS = optionKeys<BackendOptions>()('backend', 'dtype', 'build', 'deterministic', 'threads', 'calibrate');

/**
 * The backend options of a larger options object (createModel's, loadModel's), the other
 * keys left out. Refuses, naming `call` ("loadModel(source"), a Kernels instance where the
 * options go (its keys, spread into createKernels, once made an instance whose heap
 * trapped), and any key that is neither a backend option nor one of the call's `own`.
 */
export function backendOptions(options: object, call: string, own: readonly string[]): BackendOptions {
  const o = options as Record<string, unknown>;
  if (o !== null && typeof o === 'object' && 'heap' in o) throw new ArgumentError(`${call}, options): the second argument is an options object; pass kernels as ${call}, { kernels })`);
  checkOptionKeys(options, [...own, ...BACKEND_OPTION_KEYS], `${call}, options)`);
  const out: Record<string, unknown> = {};
  for (const key of BACKEND_OPTION_KEYS) if (o[key] !== undefined) out[key] = o[key];
  return out as BackendOptions;
}

/**
 * Refuses what is not a BackendOptions: a Kernels instance (its keys were once taken as
 * options and made an instance whose heap trapped), unknown keys, wrong types.
 */
function checkBackendOptions(options: unknown): BackendOptions {
  const valid = BACKEND_OPTION_KEYS.join(', ');
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ArgumentError(`createKernels(options): expected an options object with keys from ${valid}, got ${Array.isArray(options) ? 'an array' : options === null ? 'null' : typeof options}`);
  }
  if ('heap' in options && 'backend' in options && 'build' in options) {
    throw new ArgumentError(`createKernels(options): got a Kernels instance (${String((options as { build: unknown }).build)}) where the options go; use it as it is, or pass { kernels } to createModel/loadModel`);
  }
  checkOptionKeys(options, BACKEND_OPTION_KEYS, 'createKernels(options)');
  const o = options as BackendOptions;
  if (o.backend !== undefined && o.backend !== 'wasm' && o.backend !== 'js') throw new ArgumentError(`createKernels(options): backend must be "wasm" or "js", got ${JSON.stringify(o.backend)}`);
  if (o.dtype !== undefined && o.dtype !== 'f32' && o.dtype !== 'f64') throw new ArgumentError(`createKernels(options): dtype must be "f32" or "f64", got ${JSON.stringify(o.dtype)}`);
  if (o.build !== undefined && typeof o.build !== 'string') throw new ArgumentError(`createKernels(options): build must be a build file name such as ${BASELINE_BUILD}, got ${typeof o.build}`);
  for (const key of ['deterministic', 'calibrate'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') throw new ArgumentError(`createKernels(options): ${key} must be true or false, got ${JSON.stringify(o[key])}`);
  }
  return o;
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

export interface ChosenBuildFile {
  file: string;
  bytes: Uint8Array<ArrayBuffer>;
  /** Why this build: one line for kernels.buildReason and the CLI. */
  reason: string;
}

/** The build file to use: the one asked for, else the fastest in build/ the engine validates (baseline when deterministic). */
export async function chooseBuildFile(options: BackendOptions = {}, threaded = false): Promise<ChosenBuildFile> {
  // Any build but the deterministic one may use relaxed SIMD (test builds, not in BUILDS, too).
  if (!options.deterministic) allowRelaxedSimd();
  if (options.build) {
    const baseline = threaded ? THREADS_BUILD : BASELINE_BUILD;
    if (options.deterministic && options.build !== baseline) {
      throw new ArgumentError(`deterministic mode needs ${baseline}, not ${options.build}`);
    }
    const info = buildInfo(options.build);
    if (threaded && info && !info.threads) {
      throw new ArgumentError(`build ${options.build} has no shared memory, so it runs on 1 thread only: for ${options.threads} threads name ${buildNamed(info.relaxed, true)}, or ask for 1 thread`);
    }
    const bytes = await requireBuild(options.build);
    return { file: options.build, bytes, reason: `asked for (build: ${options.build})` };
  }
  requireSimd();
  const order = buildOrder(threaded, !options.deterministic && relaxedSimdValidates());
  const { name, bytes } = await chooseValidBuild(order, buildDir);
  return { file: name, bytes: bytes as Uint8Array<ArrayBuffer>, reason: buildRule(name, order, options.deterministic) };
}

/** One instance of a build on one thread; a threads build gets its shared memory. */
function instantiateBuild(file: string, bytes: Uint8Array<ArrayBuffer>, reason: string): Promise<WasmKernels> {
  const shared = buildInfo(file)?.threads ?? false;
  return createWasmKernels(bytes, file, shared ? { memory: createSharedMemory(), maximumPages: THREADS_MAXIMUM_PAGES, reason } : { reason });
}

/** The calibration workload: an sgemm of a dense layer's shape, small enough for about 0.1 ms a call. */
const CAL_M = 96;
const CAL_K = 256;
const CAL_N = 96;
/** Untimed calls per build first, so V8 has tiered the kernels up before the paired rounds. */
const CAL_WARMUP_CALLS = 12;

/**
 * calibrate() on two instances: times the same small sgemm on each (`now`, ms, is
 * injected so tests fix the outcome) and frees what it allocated. `relaxed` and `base`
 * are the two builds of one family (threads or not).
 */
export function calibrateKernels(relaxed: WasmKernels, base: WasmKernels, now: () => number = () => performance.now()): Calibration {
  const byName = new Map<string, () => void>();
  const release: (() => void)[] = [];
  for (const k of [relaxed, base]) {
    const heap = k.heap;
    const [a, b, c] = [heap.alloc(CAL_M * CAL_K), heap.alloc(CAL_K * CAL_N), heap.alloc(CAL_M * CAL_N)];
    const d = heap.data;
    for (let i = 0; i < CAL_M * CAL_K; i++) d[a + i] = ((i * 7) % 13) / 13 - 0.5;
    for (let i = 0; i < CAL_K * CAL_N; i++) d[b + i] = ((i * 5) % 11) / 11 - 0.5;
    byName.set(k.build, () => k.sgemm(0, 0, CAL_M, CAL_N, CAL_K, 1, a, CAL_K, b, CAL_N, 0, c, CAL_N));
    release.push(() => [c, b, a].forEach((o) => heap.free(o)));
  }
  try {
    for (let i = 0; i < CAL_WARMUP_CALLS; i++) for (const run of byName.values()) run();
    return calibrate(relaxed.build as BuildName, base.build as BuildName, (name) => {
      const t0 = now();
      byName.get(name)!();
      return now() - t0;
    });
  } finally {
    for (const r of release) r();
  }
}

/**
 * The instance to run: the chosen build's, or with `calibrate` (and no build named) the
 * faster of the relaxed build and its baseline, measured.
 */
async function chooseInstance(options: BackendOptions, threaded: boolean): Promise<WasmKernels> {
  const { file, bytes, reason } = await chooseBuildFile(options, threaded);
  const first = await instantiateBuild(file, bytes, reason);
  const base = buildNamed(false, threaded);
  if (!options.calibrate || options.build || file === base) return first;
  const baseBytes = await requireBuild(base);
  const second = await instantiateBuild(base, baseBytes, reason);
  const cal = calibrateKernels(first, second);
  const winner = cal.build === base ? second : first;
  return Object.assign(winner, { buildReason: cal.reason });
}

let warnedNoThreads = false;

/**
 * A backend: the JS baseline, or a WASM build (the fastest this engine validates, or the
 * one named, or with `calibrate` the faster measured) on one thread or a thread pool.
 * `kernels.build` names the build and `kernels.buildReason` says why it was chosen.
 */
export async function createKernels(options: BackendOptions = {}): Promise<Kernels> {
  checkBackendOptions(options);
  if ((options.backend ?? 'wasm') === 'js') return new JsKernels(options.dtype ?? 'f32');
  const threads = checkThreads(options.threads ?? 1);
  if (threads > 1 && !sharedMemorySupported()) {
    if (!warnedNoThreads) console.warn(`ae-wasm: SharedArrayBuffer is unavailable; running on 1 thread instead of ${threads}`);
    warnedNoThreads = true;
  } else if (threads > 1) {
    return ThreadedKernels.create(await chooseInstance(options, true), threads, spawnNodeWorker);
  }
  // A threads build asked for by name on one thread still imports a shared memory.
  return chooseInstance(options, false);
}
