// How each split kernel call is divided among threads, derived from the manifest's
// `split` rows (abi.ts). A participant t of T runs the same kernel on its own part of the
// output (rows of C, images of a batch, a range of elements), so every output element is
// computed by exactly one thread, in the order a single thread would use: results are
// identical for any thread count. Pure code: main thread and workers (Node or browser)
// share it.
//
// Arguments travel in a Float64Array (exact for every i32, u32, f32 and counter value) at
// the manifest's positions; a job's op code is its kernel's position among SPLIT_KERNELS + 1.

import { AeError } from '../../errors.js';
import { ABI, argIndex, argNames, SPLIT_KERNELS, type AbiConstants, type KernelName, type Split } from '../abi.js';
import type { KernelExports } from '../wasm.js';

/** A test-only job that traps in the wasm instance (to check error propagation). */
export const TRAP_OP = 0;
/** The most arguments a kernel may take: every call passes this many (wasm ignores extras). */
export const MAX_ARGS = 16;

/**
 * Column shares of a gemm's C and shares of an elementwise range start at multiples of 16
 * floats: a whole number of NR-column panels and, with the heap's 64-byte alignment (and,
 * for columns, a leading dimension that is a multiple of 16), of cache lines, so two
 * threads never write one line.
 */
export const SHARE_ALIGN = 16;

/** An argument that moves with the share: arg += first unit * product of the `dims` arguments. */
interface Advance {
  at: number;
  dims: number[];
}

/** A split kernel, its argument names resolved to positions. */
export interface SplitPlan {
  name: KernelName;
  op: number;
  by: Split['by'];
  /** The argument split into shares (n, rows or elements; for gemm unused). */
  count: number;
  /** Shares start at multiples of this many units. */
  align: number;
  advance: Advance[];
  /** Arguments whose product measures the call, and the least a share must have. */
  work: number[];
  minWork: number;
  /** imageChunks: the output argument and the arguments whose product is its size. */
  out: number;
  outSize: number[];
}

function plan(name: KernelName, op: number): SplitPlan {
  const spec = ABI[name];
  if (spec.args.length > MAX_ARGS) throw new AeError(`kernel manifest: ${name} takes ${spec.args.length} arguments, the pool passes at most ${MAX_ARGS}`);
  const split = (spec as { split: Split }).split;
  const at = (arg: string): number => argIndex(name, arg);
  const advance: Advance[] = [];
  let count = -1, align = 1, out = -1, outSize: number[] = [];
  switch (split.by) {
    case 'gemm':
      break;
    case 'images':
    case 'imageChunks':
      count = at(split.count);
      for (const [arg, dims] of Object.entries(split.advance)) advance.push({ at: at(arg), dims: dims.map(at) });
      if (split.by === 'imageChunks') {
        out = at(split.out);
        outSize = split.outSize.map(at);
      }
      break;
    case 'rows':
      count = at(split.rows);
      for (const arg of split.rowTensors) advance.push({ at: at(arg), dims: [at(split.cols)] });
      for (const arg of split.perRow) advance.push({ at: at(arg), dims: [] });
      break;
    case 'elements':
      count = at(split.count);
      align = SHARE_ALIGN;
      for (const arg of split.advance) advance.push({ at: at(arg), dims: [] });
      break;
  }
  const work = 'work' in split ? split.work.map(at) : [count];
  return { name, op, by: split.by, count, align, advance, work, minWork: split.minWork, out, outSize };
}

/** Every split kernel's plan, indexed by op code (index 0, the trap op, has none). */
export const PLANS: readonly SplitPlan[] = SPLIT_KERNELS.map((name, i) => plan(name, i + 1));
/** A job whose shares do nothing: its time is the pool's hand-off (ThreadedKernels.emptyJob). */
export const EMPTY_OP = PLANS.length + 1;

/** Product of the arguments at positions `at`. */
export function product(a: Float64Array, at: readonly number[]): number {
  let p = 1;
  for (const i of at) p *= a[i]!;
  return p;
}

/** First unit of participant t of T over len units, a multiple of `align`. */
function shareStart(len: number, t: number, T: number, align: number): number {
  return Math.min(len, t * Math.ceil(len / T / align) * align);
}

/** Calls a module function with MAX_ARGS arguments from `l` (a function ignores those past its arity). */
function invoke(fn: (...args: number[]) => unknown, l: Float64Array): void {
  fn(l[0]!, l[1]!, l[2]!, l[3]!, l[4]!, l[5]!, l[6]!, l[7]!, l[8]!, l[9]!, l[10]!, l[11]!, l[12]!, l[13]!, l[14]!, l[15]!);
}

export type Runner = (a: Float64Array, t: number, T: number) => void;

/** Rows of an sgemm split by rows (m >= n, and each share keeps more than FEW_ROWS rows: never the unpacked path). */
export function gemmSplitsRows(m: number, n: number, T: number, fewRows: number): boolean {
  return m >= n && Math.floor(m / T) > fewRows;
}

/** sgemm / sgemmBiasAct: rows of C (and of op(A)), or SHARE_ALIGN-column blocks of C (and of op(B), and the bias). */
function gemmRunner(p: SplitPlan, fn: (...args: number[]) => unknown, c: AbiConstants): Runner {
  const local = new Float64Array(MAX_ARGS);
  const at = (arg: string): number => argIndex(p.name, arg);
  const ta = at('transA'), tb = at('transB'), m = at('m'), n = at('n'), A = at('a'), lda = at('lda'), B = at('b'), ldb = at('ldb'), C = at('c'), ldc = at('ldc');
  const bias = argNames(p.name).includes('bias') ? at('bias') : -1;
  return (a, t, T) => {
    local.set(a.subarray(0, MAX_ARGS));
    if (gemmSplitsRows(a[m]!, a[n]!, T, c.FEW_ROWS)) {
      const i0 = shareStart(a[m]!, t, T, 1), i1 = shareStart(a[m]!, t + 1, T, 1);
      if (i1 <= i0) return;
      local[m] = i1 - i0;
      local[A] = a[A]! + (a[ta] ? i0 : i0 * a[lda]!);
      local[C] = a[C]! + i0 * a[ldc]!;
    } else {
      const j0 = shareStart(a[n]!, t, T, SHARE_ALIGN), j1 = shareStart(a[n]!, t + 1, T, SHARE_ALIGN);
      if (j1 <= j0) return;
      local[n] = j1 - j0;
      local[B] = a[B]! + (a[tb] ? j0 * a[ldb]! : j0);
      local[C] = a[C]! + j0;
      if (bias >= 0 && a[bias]! >= 0) local[bias] = a[bias]! + j0;
    }
    invoke(fn, local);
  };
}

/** images, rows, elements: units [lo, hi) of `count`, each advancing argument moved by lo times its stride. */
function linearRunner(p: SplitPlan, fn: (...args: number[]) => unknown): Runner {
  const local = new Float64Array(MAX_ARGS);
  return (a, t, T) => {
    const len = a[p.count]!;
    const lo = shareStart(len, t, T, p.align), hi = shareStart(len, t + 1, T, p.align);
    if (hi <= lo) return;
    local.set(a.subarray(0, MAX_ARGS));
    for (const adv of p.advance) local[adv.at] = a[adv.at]! + lo * product(a, adv.dims);
    local[p.count] = hi - lo;
    invoke(fn, local);
  };
}

/**
 * Filter gradient by chunks of FILTER_CHUNK images: chunk c's partial sum goes to
 * out + c * (its size); the caller adds the partials in chunk order.
 */
function chunkRunner(p: SplitPlan, fn: (...args: number[]) => unknown, c: AbiConstants): Runner {
  const local = new Float64Array(MAX_ARGS);
  return (a, t, T) => {
    const n = a[p.count]!;
    const chunks = Math.ceil(n / c.FILTER_CHUNK);
    const c0 = shareStart(chunks, t, T, 1), c1 = shareStart(chunks, t + 1, T, 1);
    const size = product(a, p.outSize);
    local.set(a.subarray(0, MAX_ARGS));
    for (let chunk = c0; chunk < c1; chunk++) {
      const b0 = chunk * c.FILTER_CHUNK;
      for (const adv of p.advance) local[adv.at] = a[adv.at]! + b0 * product(a, adv.dims);
      local[p.out] = a[p.out]! + chunk * size;
      local[p.count] = Math.min(c.FILTER_CHUNK, n - b0);
      invoke(fn, local);
    }
  };
}

/** The runners of one instance (main thread or worker), indexed by op code. */
export function makeRunners(ex: KernelExports, constants: AbiConstants): Runner[] {
  const runners: Runner[] = [
    // TRAP_OP: an offset far past the memory's end makes the instance trap (a RuntimeError).
    () => ex.fill(0x7ffffff0, 16, 0),
  ];
  runners[EMPTY_OP] = () => {};
  for (const p of PLANS) {
    const fn = ex[p.name] as (...args: number[]) => unknown;
    runners[p.op] = p.by === 'gemm' ? gemmRunner(p, fn, constants) : p.by === 'imageChunks' ? chunkRunner(p, fn, constants) : linearRunner(p, fn);
  }
  return runners;
}
