// ThreadedKernels: the Kernels interface over a pool of workers that each instantiate the
// same threads build on one shared WebAssembly.Memory. A heavy call is split (shares.ts)
// into shares that the calling thread and the workers claim as they come free; the call
// returns when all shares are done, so the interface stays synchronous. Small calls run on the calling
// thread alone, where splitting would cost more than it saves. The calling thread must be
// allowed to block (Node's main thread, or a Web Worker — never a page's main thread).

import { AeError, WorkerError } from '../../errors.js';
import type { Heap } from '../heap.js';
import type { Kernels } from '../kernels.js';
import { argIndex, KERNEL_NAMES, type AbiConstants } from '../abi.js';
import type { KernelExports, WasmKernels } from '../wasm.js';
import { CONTROL_BYTES, nextShare, openShares, controlViews, DONE, ERROR, EXIT, GEN, MAX_SHARES, OP, PARTS, readError, requestThrow, SPIN, type ControlViews } from './protocol.js';
import { EMPTY_OP, makeRunners, PLANS, product, TRAP_OP, type Runner, type SplitPlan } from './shares.js';
import { THREADS_MAXIMUM_PAGES } from './memory.js';

export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  maximumPages: number;
  control: SharedArrayBuffer;
  index: number;
  /** This worker's scratch region (floats), allocated on the shared heap. */
  scratch: number;
}

export interface WorkerHandle {
  terminate(): void;
}

/** Starts one worker, resolving once it has instantiated the module and is waiting for jobs. */
export type SpawnWorker = (init: WorkerInit) => Promise<WorkerHandle>;

/** A worker that has not finished its share after this long is considered lost. */
const WAIT_LIMIT_MS = 120_000;

export class ThreadedKernels {
  readonly backend = 'wasm' as const;
  readonly build: string;
  readonly buildReason?: string;
  readonly heap: Heap;
  readonly threads: number;
  /** Jobs split across threads so far (tests check that splitting happens). */
  jobs = 0;
  private readonly ex: KernelExports;
  private readonly v: ControlViews;
  private readonly A: Float64Array;
  private readonly constants: AbiConstants;
  private readonly runners: Runner[];
  private workers: WorkerHandle[] = [];
  private partials = -1;
  private partialFloats = 0;
  private disposed = false;

  private constructor(main: WasmKernels, threads: number, control: SharedArrayBuffer) {
    this.build = main.build;
    this.buildReason = main.buildReason;
    this.heap = main.heap;
    this.threads = threads;
    this.ex = main.exports;
    this.v = controlViews(control);
    this.A = this.v.args;
    this.constants = main.constants;
    this.runners = makeRunners(this.ex, this.constants);
    // Split kernels get a method that packs their arguments and splits the call; every
    // other kernel runs on the calling thread, unwrapped.
    const self = this as unknown as Record<string, unknown>;
    for (const name of KERNEL_NAMES) self[name] = this.ex[name];
    for (const p of PLANS) self[p.name] = this.splitMethod(p);
  }

  /** Starts threads - 1 workers around `main` (a threads build on a shared memory). */
  static async create(main: WasmKernels, threads: number, spawn: SpawnWorker): Promise<ThreadedKernels & Kernels> {
    if (!main.sharedMemory) throw new AeError(`${main.build} is not a threads build with a shared memory`);
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    const tk = new ThreadedKernels(main, threads, control);
    const scratchFloats = main.exports.scratchFloats();
    try {
      const started = [];
      for (let i = 1; i < threads; i++) {
        const scratch = main.heap.alloc(scratchFloats);
        started.push(spawn({ module: main.module, memory: main.sharedMemory, maximumPages: THREADS_MAXIMUM_PAGES, control, index: i, scratch }));
      }
      tk.workers = await Promise.all(started);
    } catch (err) {
      tk.dispose();
      throw new WorkerError(`could not start ${threads - 1} kernel workers: ${(err as Error).message}`, { cause: err });
    }
    return tk as ThreadedKernels & Kernels;
  }

  /** Ends the workers (they also end with the process). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    Atomics.store(this.v.ctl, EXIT, 1);
    Atomics.add(this.v.ctl, GEN, 1);
    Atomics.notify(this.v.ctl, GEN);
    for (const w of this.workers) w.terminate();
    this.workers = [];
  }

  /**
   * Runs job `op` (arguments already in A) in `parts` shares, claimed by this thread and
   * the workers (only the workers when `callerClaims` is false: a test hook).
   */
  private run(op: number, parts: number, callerClaims = true): void {
    if (this.disposed) throw new WorkerError('the kernel thread pool was disposed');
    const { ctl, claims } = this.v;
    const run = this.runners[op]!;
    if (parts <= 1 && callerClaims) {
      run(this.A, 0, 1);
      return;
    }
    this.jobs++;
    const gen = (Atomics.load(ctl, GEN) + 1) | 0;
    Atomics.store(ctl, OP, op);
    Atomics.store(ctl, PARTS, parts);
    Atomics.store(ctl, DONE, 0);
    openShares(claims, gen, parts);
    Atomics.store(ctl, GEN, gen);
    Atomics.notify(ctl, GEN);
    let own: unknown = null;
    for (let share = callerClaims ? nextShare(claims, gen, parts, 0, -1) : -1; share >= 0; share = nextShare(claims, gen, parts, 0, share)) {
      try {
        run(this.A, share, parts);
      } catch (err) {
        own ??= err;
      }
      Atomics.add(ctl, DONE, 1);
    }
    this.join(parts);
    if (Atomics.load(ctl, ERROR) !== 0) {
      // A typed error keeps its class, message and fields; anything else is a WorkerError.
      const err = readError(this.v, op);
      Atomics.store(ctl, ERROR, 0);
      throw err;
    }
    if (own) throw own;
  }

  /** Waits until every share of the current job is done (the workers' last ones may still run). */
  private join(expected: number): void {
    const { ctl } = this.v;
    let done = Atomics.load(ctl, DONE);
    for (let i = 0; done < expected && i < SPIN; i++) done = Atomics.load(ctl, DONE);
    const deadline = performance.now() + WAIT_LIMIT_MS;
    while (done < expected) {
      if (performance.now() > deadline) {
        throw new WorkerError(`kernel workers did not finish a job within ${WAIT_LIMIT_MS / 1000} s (${done} of ${expected} shares reported)`);
      }
      Atomics.wait(ctl, DONE, done, 1000);
      done = Atomics.load(ctl, DONE);
    }
  }

  private sharesFor(units: number, perShare: number, maxShares = units): number {
    return Math.max(1, Math.min(this.threads, maxShares, MAX_SHARES, Math.floor(units / perShare)));
  }

  // ---- split kernels: one method per manifest row with a `split` -----------------------

  /**
   * A split kernel's method: arguments into A at the manifest's positions, then the call
   * runs here alone (too small to split) or as a job of that many shares. Fixed arity and
   * no rest parameters, so a call allocates nothing.
   */
  private splitMethod(p: SplitPlan): (...args: number[]) => void {
    const A = this.A;
    const fn = this.ex[p.name] as (...args: number[]) => void;
    const parts = this.partsOf(p);
    const job = p.by === 'imageChunks' ? (n: number) => this.runChunks(p, n) : (n: number) => this.run(p.op, n);
    return (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15) => {
      A[0] = a0!; A[1] = a1!; A[2] = a2!; A[3] = a3!; A[4] = a4!; A[5] = a5!; A[6] = a6!; A[7] = a7!;
      A[8] = a8!; A[9] = a9!; A[10] = a10!; A[11] = a11!; A[12] = a12!; A[13] = a13!; A[14] = a14!; A[15] = a15!;
      const n = parts(A);
      if (n <= 1) fn(a0!, a1!, a2!, a3!, a4!, a5!, a6!, a7!, a8!, a9!, a10!, a11!, a12!, a13!, a14!, a15!);
      else job(n);
    };
  }

  /** How many shares a call with arguments `a` gets: at most one per unit the split divides. */
  private partsOf(p: SplitPlan): (a: Float64Array) => number {
    const work = (a: Float64Array) => product(a, p.work);
    if (p.by === 'gemm') {
      const m = argIndex(p.name, 'm'), n = argIndex(p.name, 'n');
      return (a) => this.sharesFor(work(a), p.minWork, Math.max(a[m]!, a[n]!));
    }
    if (p.by === 'imageChunks') {
      // Kernels larger than PARTIAL_FLOATS are summed in one pass, never split.
      const { FILTER_CHUNK, PARTIAL_FLOATS } = this.constants;
      return (a) => (product(a, p.outSize) > PARTIAL_FLOATS ? 1 : this.sharesFor(work(a), p.minWork, Math.ceil(a[p.count]! / FILTER_CHUNK)));
    }
    return (a) => this.sharesFor(work(a), p.minWork, Math.ceil(a[p.count]! / p.align));
  }

  /**
   * The filter gradient sums over images in chunks of FILTER_CHUNK, adding the chunks'
   * partial sums in order — the kernel does exactly this on one thread (assembly/conv.ts)
   * — so chunks can run on different threads and the result stays bit-identical.
   */
  private runChunks(p: SplitPlan, parts: number): void {
    const A = this.A;
    const chunks = Math.ceil(A[p.count]! / this.constants.FILTER_CHUNK);
    const size = product(A, p.outSize);
    const out = A[p.out]!;
    const partials = this.partialBuffer(chunks * size);
    A[p.out] = partials;
    this.run(p.op, parts);
    this.ex.copy(partials, out, size);
    for (let c = 1; c < chunks; c++) this.ex.add(out, partials + c * size, out, size);
  }

  /** Scratch for filter-gradient partials on the shared heap, grown (rarely) and kept. */
  private partialBuffer(floats: number): number {
    if (floats > this.partialFloats) {
      if (this.partials >= 0) this.heap.free(this.partials);
      this.partials = this.heap.alloc(floats);
      this.partialFloats = floats;
    }
    return this.partials;
  }

  /**
   * A job of one share per worker that does nothing, left to the workers: its time is the
   * pool's hand-off, post to join, with the workers' own latency in it (bench/threads.ts).
   */
  emptyJob(): void {
    this.run(EMPTY_OP, this.threads - 1, false);
  }

  /** Test hook: a job whose every share traps, to check that worker errors surface. */
  trapForTest(): void {
    // Left to the workers: the calling thread claims none of the shares.
    this.A[0] = 0;
    this.run(TRAP_OP, this.threads, false);
  }

  /** Test hook: a job whose every share throws (in a worker) the error `err` describes. */
  throwInWorkerForTest(err: Error): void {
    requestThrow(this.v, err);
    this.A[0] = 1;
    this.run(TRAP_OP, this.threads, false);
  }
}

