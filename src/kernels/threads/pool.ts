// ThreadedKernels: the Kernels interface over a pool of workers that each instantiate the
// same threads build on one shared WebAssembly.Memory. A heavy call is split (shares.ts)
// into shares that the calling thread and the workers claim as they come free; the call
// returns when all shares are done, so the interface stays synchronous. Small calls run on the calling
// thread alone, where splitting would cost more than it saves. The calling thread must be
// allowed to block (Node's main thread, or a Web Worker — never a page's main thread).

import { AeError } from '../../errors.js';
import type { Heap } from '../heap.js';
import type { Kernels } from '../kernels.js';
import type { KernelExports, WasmKernels } from '../wasm.js';
import { KERNEL_NAMES } from '../wasm.js';
import { CLAIM, claimShare, claimStart, CONTROL_BYTES, controlViews, DONE, ERROR, EXIT, GEN, MAX_SHARES, OP, PARTS, readError, SPIN, type ControlViews } from './protocol.js';
import { FILTER_CHUNK, Op, RUNNERS } from './shares.js';
import { THREADS_MAXIMUM_PAGES } from './memory.js';

/** A worker failed or stopped answering. */
export class WorkerError extends AeError {}

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

/** Minimum work per share before a call is split: below it the handshake costs more. */
const MIN_FLOPS_PER_SHARE = 1e6;
const MIN_ELEMENTS_PER_SHARE = 32768;
/** Kernels above this size are summed in one pass by conv2dBackwardFilter (assembly/scratch.ts PARTIAL_FLOATS). */
const FILTER_PARTIAL_FLOATS = 65536;
/** A worker that has not finished its share after this long is considered lost. */
const WAIT_LIMIT_MS = 120_000;

export class ThreadedKernels {
  readonly backend = 'wasm' as const;
  readonly build: string;
  readonly heap: Heap;
  readonly threads: number;
  /** Jobs split across threads so far (tests check that splitting happens). */
  jobs = 0;
  private readonly ex: KernelExports;
  private readonly v: ControlViews;
  private readonly A: Float64Array;
  private workers: WorkerHandle[] = [];
  private partials = -1;
  private partialFloats = 0;
  private disposed = false;

  private constructor(main: WasmKernels, threads: number, control: SharedArrayBuffer) {
    this.build = main.build;
    this.heap = main.heap;
    this.threads = threads;
    this.ex = main.exports;
    this.v = controlViews(control);
    this.A = this.v.args;
    // Everything not overridden below runs on the calling thread, unwrapped.
    const self = this as unknown as Record<string, unknown>;
    for (const name of KERNEL_NAMES) if (!(name in ThreadedKernels.prototype)) self[name] = this.ex[name];
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
    const { ctl } = this.v;
    const run = RUNNERS[op]!;
    if (parts <= 1) {
      run(this.ex, this.A, 0, 1);
      return;
    }
    this.jobs++;
    const gen = (Atomics.load(ctl, GEN) + 1) | 0;
    Atomics.store(ctl, OP, op);
    Atomics.store(ctl, PARTS, parts);
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, CLAIM, claimStart(gen));
    Atomics.store(ctl, GEN, gen);
    Atomics.notify(ctl, GEN);
    let own: unknown = null;
    for (let share = callerClaims ? claimShare(ctl, gen, parts) : -1; share >= 0; share = claimShare(ctl, gen, parts)) {
      try {
        run(this.ex, this.A, share, parts);
      } catch (err) {
        own ??= err;
      }
      Atomics.add(ctl, DONE, 1);
    }
    this.join(parts);
    if (Atomics.load(ctl, ERROR) !== 0) {
      const message = readError(this.v);
      Atomics.store(ctl, ERROR, 0);
      throw new WorkerError(`kernel job ${op} failed in ${message}`);
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

  // ---- split kernels -------------------------------------------------------------------

  sgemm(ta: number, tb: number, m: number, n: number, k: number, alpha: number, a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number): void {
    const A = this.A;
    A[0] = ta; A[1] = tb; A[2] = m; A[3] = n; A[4] = k; A[5] = alpha; A[6] = a; A[7] = lda; A[8] = b; A[9] = ldb; A[10] = beta; A[11] = c; A[12] = ldc;
    this.run(Op.sgemm, this.sharesFor(2 * m * n * k, MIN_FLOPS_PER_SHARE, Math.max(m, n)));
  }

  sgemmBiasAct(ta: number, tb: number, m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number, c: number, ldc: number, bias: number, act: number, actAlpha: number): void {
    const A = this.A;
    A[0] = ta; A[1] = tb; A[2] = m; A[3] = n; A[4] = k; A[5] = a; A[6] = lda; A[7] = b; A[8] = ldb; A[9] = c; A[10] = ldc; A[11] = bias; A[12] = act; A[13] = actAlpha;
    this.run(Op.sgemmBiasAct, this.sharesFor(2 * m * n * k, MIN_FLOPS_PER_SHARE, Math.max(m, n)));
  }

  private convArgs(p0: number, p1: number, p2: number, n: number, ih: number, iw: number, cin: number, oh: number, ow: number, cout: number, kh: number, kw: number, sh: number, sw: number, pt: number, pl: number): number {
    const A = this.A;
    A[0] = p0; A[1] = p1; A[2] = p2; A[3] = n; A[4] = ih; A[5] = iw; A[6] = cin; A[7] = oh; A[8] = ow; A[9] = cout;
    A[10] = kh; A[11] = kw; A[12] = sh; A[13] = sw; A[14] = pt; A[15] = pl;
    return 2 * n * oh * ow * cout * kh * kw * cin;
  }

  conv2dForward(x: number, w: number, y: number, n: number, ih: number, iw: number, cin: number, oh: number, ow: number, cout: number, kh: number, kw: number, sh: number, sw: number, pt: number, pl: number): void {
    const flops = this.convArgs(x, w, y, n, ih, iw, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
    this.run(Op.conv2dForward, this.sharesFor(flops, MIN_FLOPS_PER_SHARE, n));
  }

  conv2dBackwardInput(dy: number, w: number, dx: number, n: number, ih: number, iw: number, cin: number, oh: number, ow: number, cout: number, kh: number, kw: number, sh: number, sw: number, pt: number, pl: number): void {
    const flops = this.convArgs(dy, w, dx, n, ih, iw, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
    this.run(Op.conv2dBackwardInput, this.sharesFor(flops, MIN_FLOPS_PER_SHARE, n));
  }

  /**
   * The filter gradient sums over images in chunks of FILTER_CHUNK, adding the chunks'
   * partial sums in order — the kernel does exactly this on one thread (assembly/conv.ts)
   * — so chunks can run on different threads and the result stays bit-identical.
   */
  conv2dBackwardFilter(x: number, dy: number, dw: number, n: number, ih: number, iw: number, cin: number, oh: number, ow: number, cout: number, kh: number, kw: number, sh: number, sw: number, pt: number, pl: number): void {
    const chunks = Math.ceil(n / FILTER_CHUNK);
    const flops = 2 * n * oh * ow * cout * kh * kw * cin;
    const size = kh * kw * cin * cout;
    const parts = size > FILTER_PARTIAL_FLOATS ? 1 : this.sharesFor(flops, MIN_FLOPS_PER_SHARE, chunks);
    if (parts <= 1) {
      this.ex.conv2dBackwardFilter(x, dy, dw, n, ih, iw, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
      return;
    }
    const partials = this.partialBuffer(chunks * size);
    this.convArgs(x, dy, partials, n, ih, iw, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
    this.run(Op.conv2dBackwardFilterChunks, parts);
    this.ex.copy(partials, dw, size);
    for (let c = 1; c < chunks; c++) this.ex.add(dw, partials + c * size, dw, size);
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

  biasActForward(x: number, bias: number, y: number, rows: number, cols: number, act: number, alpha: number): void {
    const A = this.A;
    A[0] = x; A[1] = bias; A[2] = y; A[3] = rows; A[4] = cols; A[5] = act; A[6] = alpha;
    this.run(Op.biasActForward, this.sharesFor(rows * cols, MIN_ELEMENTS_PER_SHARE, rows));
  }

  actBackward(y: number, dy: number, dx: number, n: number, act: number, alpha: number): void {
    const A = this.A;
    A[0] = y; A[1] = dy; A[2] = dx; A[3] = n; A[4] = act; A[5] = alpha;
    this.run(Op.actBackward, this.sharesFor(n, MIN_ELEMENTS_PER_SHARE));
  }

  randNormal(out: number, n: number, key: number, counter: number, mean: number, std: number): void {
    const A = this.A;
    A[0] = out; A[1] = n; A[2] = key; A[3] = counter; A[4] = mean; A[5] = std;
    this.run(Op.randNormal, this.sharesFor(n, MIN_ELEMENTS_PER_SHARE / 8));
  }

  randUniform(out: number, n: number, key: number, counter: number, lo: number, hi: number): void {
    const A = this.A;
    A[0] = out; A[1] = n; A[2] = key; A[3] = counter; A[4] = lo; A[5] = hi;
    this.run(Op.randUniform, this.sharesFor(n, MIN_ELEMENTS_PER_SHARE / 4));
  }

  adamStep(w: number, g: number, m: number, v: number, n: number, lrT: number, beta1: number, beta2: number, eps: number): void {
    const A = this.A;
    A[0] = w; A[1] = g; A[2] = m; A[3] = v; A[4] = n; A[5] = lrT; A[6] = beta1; A[7] = beta2; A[8] = eps;
    this.run(Op.adamStep, this.sharesFor(n, MIN_ELEMENTS_PER_SHARE));
  }

  add(a: number, b: number, out: number, n: number): void {
    const A = this.A;
    A[0] = a; A[1] = b; A[2] = out; A[3] = n;
    this.run(Op.add, this.sharesFor(n, MIN_ELEMENTS_PER_SHARE));
  }

  clip(a: number, lo: number, hi: number, out: number, n: number): void {
    const A = this.A;
    A[0] = a; A[1] = lo; A[2] = hi; A[3] = out; A[4] = n;
    this.run(Op.clip, this.sharesFor(n, MIN_ELEMENTS_PER_SHARE));
  }

  private loss(op: number, p: number, t: number, out: number, rows: number, cols: number): void {
    const A = this.A;
    A[0] = p; A[1] = t; A[2] = out; A[3] = rows; A[4] = cols;
    this.run(op, this.sharesFor(rows * cols, MIN_ELEMENTS_PER_SHARE / 2, rows));
  }

  mseForward(p: number, t: number, out: number, rows: number, cols: number): void {
    this.loss(Op.mseForward, p, t, out, rows, cols);
  }

  bceForward(p: number, t: number, out: number, rows: number, cols: number): void {
    this.loss(Op.bceForward, p, t, out, rows, cols);
  }

  bceLogitsForward(x: number, t: number, out: number, rows: number, cols: number): void {
    this.loss(Op.bceLogitsForward, x, t, out, rows, cols);
  }

  private lossGrad(op: number, p: number, t: number, dp: number, n: number, scale: number): void {
    const A = this.A;
    A[0] = p; A[1] = t; A[2] = dp; A[3] = n; A[4] = scale;
    this.run(op, this.sharesFor(n, MIN_ELEMENTS_PER_SHARE));
  }

  mseBackward(p: number, t: number, dp: number, n: number, scale: number): void {
    this.lossGrad(Op.mseBackward, p, t, dp, n, scale);
  }

  bceBackward(p: number, t: number, dp: number, n: number, scale: number): void {
    this.lossGrad(Op.bceBackward, p, t, dp, n, scale);
  }

  bceLogitsBackward(x: number, t: number, dx: number, n: number, scale: number): void {
    this.lossGrad(Op.bceLogitsBackward, x, t, dx, n, scale);
  }

  maxpool2dForward(x: number, y: number, n: number, ih: number, iw: number, c: number, oh: number, ow: number, ph: number, pw: number, sh: number, sw: number, pt: number, pl: number): void {
    const A = this.A;
    A[0] = x; A[1] = y; A[2] = n; A[3] = ih; A[4] = iw; A[5] = c; A[6] = oh; A[7] = ow; A[8] = ph; A[9] = pw; A[10] = sh; A[11] = sw; A[12] = pt; A[13] = pl;
    this.run(Op.maxpool2dForward, this.sharesFor(n * ih * iw * c, MIN_ELEMENTS_PER_SHARE, n));
  }

  maxpool2dBackward(x: number, dy: number, dx: number, n: number, ih: number, iw: number, c: number, oh: number, ow: number, ph: number, pw: number, sh: number, sw: number, pt: number, pl: number): void {
    const A = this.A;
    A[0] = x; A[1] = dy; A[2] = dx; A[3] = n; A[4] = ih; A[5] = iw; A[6] = c; A[7] = oh; A[8] = ow; A[9] = ph; A[10] = pw; A[11] = sh; A[12] = sw; A[13] = pt; A[14] = pl;
    this.run(Op.maxpool2dBackward, this.sharesFor(n * ih * iw * c, MIN_ELEMENTS_PER_SHARE, n));
  }

  upsample2dForward(x: number, y: number, n: number, h: number, w: number, c: number, sh: number, sw: number): void {
    const A = this.A;
    A[0] = x; A[1] = y; A[2] = n; A[3] = h; A[4] = w; A[5] = c; A[6] = sh; A[7] = sw;
    this.run(Op.upsample2dForward, this.sharesFor(n * h * w * c * sh * sw, MIN_ELEMENTS_PER_SHARE, n));
  }

  upsample2dBackward(dy: number, dx: number, n: number, h: number, w: number, c: number, sh: number, sw: number): void {
    const A = this.A;
    A[0] = dy; A[1] = dx; A[2] = n; A[3] = h; A[4] = w; A[5] = c; A[6] = sh; A[7] = sw;
    this.run(Op.upsample2dBackward, this.sharesFor(n * h * w * c * sh * sw, MIN_ELEMENTS_PER_SHARE, n));
  }

  /** Test hook: a job whose every share traps, to check that worker errors surface. */
  trapForTest(): void {
    // Left to the workers: the calling thread claims none of the shares.
    this.run(Op.trap, this.threads, false);
  }
}

