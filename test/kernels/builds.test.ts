// The loader's choice of build: the rule and its reasons, an explicit build winning,
// calibration (its outcome fixed by injected timings, never by the wall clock), and
// createKernels refusing options it does not know.
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.js';
import { BASELINE_BUILD, RELAXED_BUILD, RELAXED_THREADS_BUILD, THREADS_BUILD, calibrate, CALIBRATION_ROUNDS, type BuildName } from '../../src/kernels/builds.js';
import { backendOptions, calibrateKernels, createKernels } from '../../src/kernels/node.js';
import type { WasmKernels } from '../../src/kernels/wasm.js';
import { chooseBrowserBuild } from '../../src/browser/builds.js';
import { readFile } from 'node:fs/promises';
import { BUILD_DIR } from '../../src/kernels/node.js';
import { createModel } from '../../src/index.js';

/** A timer that answers `ms[name]` for every call and records the order of calls. */
function scripted(ms: (name: BuildName, call: number) => number) {
  const calls: BuildName[] = [];
  return { calls, time: (name: BuildName) => ms(name, calls.push(name) - 1) };
}

describe('calibrate (injected timings)', () => {
  it('keeps the relaxed build when it is faster, and alternates which build goes first', () => {
    const t = scripted((name) => (name === RELAXED_BUILD ? 1 : 1.6));
    const c = calibrate(RELAXED_BUILD, BASELINE_BUILD, t.time);
    expect(c.build).toBe(RELAXED_BUILD);
    expect(c.ratio).toBeCloseTo(1 / 1.6, 12);
    expect(c.reason).toBe(`calibrated: ${RELAXED_BUILD} ran 1.60x the speed of ${BASELINE_BUILD} (median of ${CALIBRATION_ROUNDS} paired rounds; the relaxed build stays unless 5% slower)`);
    expect(t.calls.length).toBe(2 * CALIBRATION_ROUNDS);
    expect(t.calls.slice(0, 4)).toEqual([RELAXED_BUILD, BASELINE_BUILD, BASELINE_BUILD, RELAXED_BUILD]);
  });

  it('switches to the baseline only when it is faster by more than the margin', () => {
    const slow = calibrate(RELAXED_BUILD, BASELINE_BUILD, (name) => (name === RELAXED_BUILD ? 1.25 : 1));
    expect(slow.build).toBe(BASELINE_BUILD);
    expect(slow.reason).toBe(`calibrated: ${BASELINE_BUILD} ran 1.25x the speed of ${RELAXED_BUILD} (median of ${CALIBRATION_ROUNDS} paired rounds)`);
    // 4% slower, and an exact tie: within the margin, the relaxed build stays.
    expect(calibrate(RELAXED_BUILD, BASELINE_BUILD, (name) => (name === RELAXED_BUILD ? 1.04 : 1)).build).toBe(RELAXED_BUILD);
    expect(calibrate(RELAXED_BUILD, BASELINE_BUILD, () => 2).build).toBe(RELAXED_BUILD);
    // The threads family the same way.
    expect(calibrate(RELAXED_THREADS_BUILD, THREADS_BUILD, (name) => (name === RELAXED_THREADS_BUILD ? 3 : 1)).build).toBe(THREADS_BUILD);
  });

  it('decides by the median round: a few rounds hit by load do not flip it', () => {
    // Rounds 0-2 (of 9) see the relaxed build 10x slower, as a burst of other processes would.
    const t = scripted((name, call) => (name === RELAXED_BUILD ? (call < 6 ? 10 : 1) : 1.3));
    expect(calibrate(RELAXED_BUILD, BASELINE_BUILD, t.time).build).toBe(RELAXED_BUILD);
    // The same burst on five rounds of nine is a majority: the baseline wins.
    const u = scripted((name, call) => (name === RELAXED_BUILD ? (call < 10 ? 10 : 1) : 1.3));
    expect(calibrate(RELAXED_BUILD, BASELINE_BUILD, u.time).build).toBe(BASELINE_BUILD);
  });
});

describe('calibrateKernels on real instances (injected clock)', () => {
  it('times the same sgemm on both, decides by the clock, and leaves both heaps as it found them', async () => {
    const relaxed = (await createKernels({ build: RELAXED_BUILD })) as WasmKernels;
    const base = (await createKernels({ build: BASELINE_BUILD })) as WasmKernels;
    const used = [relaxed.heap.used, base.heap.used];
    // The clock advances 3 ms across a relaxed call and 2 ms across a baseline call: the
    // calls come in the documented ABBA order, so the scripted reads follow it.
    const order: number[] = [];
    for (let r = 0; r < CALIBRATION_ROUNDS; r++) order.push(...(r % 2 ? [2, 3] : [3, 2]));
    let t = 0;
    let reads = 0;
    const now = () => (reads++ % 2 === 0 ? t : (t += order[(reads >> 1) - 1]!));
    const c = calibrateKernels(relaxed, base, now);
    expect(reads).toBe(4 * CALIBRATION_ROUNDS);
    expect(c.build).toBe(BASELINE_BUILD);
    expect(c.ratio).toBe(1.5);
    expect([relaxed.heap.used, base.heap.used]).toEqual(used);
  });
});

describe('createKernels: the choice and its reason', () => {
  it('the rule: relaxed SIMD where it validates, the baseline when deterministic', async () => {
    const fast = await createKernels();
    expect(fast.build).toBe(RELAXED_BUILD);
    expect(fast.buildReason).toBe('relaxed SIMD validates here: the fused multiply-add build, the fastest');
    const exact = await createKernels({ deterministic: true });
    expect(exact.build).toBe(BASELINE_BUILD);
    expect(exact.buildReason).toBe('deterministic: the baseline SIMD build, bit-identical on every machine');
  });

  it('an explicit build wins over the rule and over calibrate', async () => {
    const k = await createKernels({ build: BASELINE_BUILD, calibrate: true });
    expect([k.build, k.buildReason]).toEqual([BASELINE_BUILD, `asked for (build: ${BASELINE_BUILD})`]);
  });

  it('calibrate picks one of the family and says so; deterministic skips it', async () => {
    const k = await createKernels({ calibrate: true });
    expect([RELAXED_BUILD, BASELINE_BUILD]).toContain(k.build);
    expect(k.buildReason).toMatch(/^calibrated: kernels(-relaxed)?\.wasm ran \d+\.\d\dx the speed of kernels(-relaxed)?\.wasm \(median of 9 paired rounds/);
    expect(k.heap.used).toBe((await createKernels({ build: k.build })).heap.used);
    const exact = await createKernels({ calibrate: true, deterministic: true });
    expect(exact.build).toBe(BASELINE_BUILD);
    expect(exact.buildReason).toMatch(/^deterministic/);
  });

  it('a thread pool reports its build and reason; a single-thread build for threads > 1 is refused', async () => {
    const two = await createKernels({ threads: 2 });
    try {
      expect([two.build, two.buildReason]).toEqual([RELAXED_THREADS_BUILD, 'relaxed SIMD validates here: the fused multiply-add build, the fastest']);
    } finally {
      (two as { dispose?(): void }).dispose?.();
    }
    await expect(createKernels({ threads: 2, build: BASELINE_BUILD })).rejects.toThrow(
      new ArgumentError(`build ${BASELINE_BUILD} has no shared memory, so it runs on 1 thread only: for 2 threads name ${THREADS_BUILD}, or ask for 1 thread`),
    );
  });

  it('createModel passes only the backend options on and reports the build on model.kernels', async () => {
    const model = await createModel('dense', { latent: 8, seed: 3, threads: 1, build: BASELINE_BUILD });
    expect([model.kernels.build, model.kernels.buildReason]).toEqual([BASELINE_BUILD, `asked for (build: ${BASELINE_BUILD})`]);
    expect(backendOptions({ latent: 8, threads: 1, build: 'x', kernels: {} }, 'createModel(spec', ['latent', 'kernels'])).toEqual({ threads: 1, build: 'x' });
  });
});

describe('createKernels refuses what is not its options', () => {
  const valid = 'backend, dtype, build, deterministic, threads, calibrate';
  it('an unknown key, named with the valid ones', async () => {
    await expect(createKernels({ thread: 2 } as never)).rejects.toThrow(new ArgumentError(`createKernels(options): unknown option "thread"; did you mean "threads"? Valid options: ${valid}`));
  });
  it('a Kernels instance where the options go', async () => {
    const k = await createKernels({ build: BASELINE_BUILD });
    await expect(createKernels(k as never)).rejects.toThrow(
      new ArgumentError(`createKernels(options): got a Kernels instance (${BASELINE_BUILD}) where the options go; use it as it is, or pass { kernels } to createModel/loadModel`),
    );
    // createModel shares loadModel's guard (backendOptions): the instance is not spread into createKernels.
    await expect(createModel('dense', k as never)).rejects.toThrow(
      new ArgumentError('createModel(spec, options): the second argument is an options object; pass kernels as createModel(spec, { kernels })'),
    );
  });
  it('values of the wrong type', async () => {
    await expect(createKernels({ backend: 'webgl' } as never)).rejects.toThrow('backend must be "wasm" or "js", got "webgl"');
    await expect(createKernels({ calibrate: 'yes' } as never)).rejects.toThrow('calibrate must be true or false, got "yes"');
    await expect(createKernels({ build: 3 } as never)).rejects.toThrow('build must be a build file name such as kernels.wasm, got number');
    await expect(createKernels(null as never)).rejects.toThrow(ArgumentError);
  });
});

describe('the browser loader: an explicit build and the reason', () => {
  const bytes = (name: string) => readFile(BUILD_DIR + name).then((b) => new Uint8Array(b));
  it('build wins over the rule; the rule says why', async () => {
    await createKernels({ build: RELAXED_BUILD }); // Node 20: lets V8 accept relaxed SIMD
    const wasm = { [BASELINE_BUILD]: await bytes(BASELINE_BUILD), [RELAXED_BUILD]: await bytes(RELAXED_BUILD) };
    const ruled = await chooseBrowserBuild({ wasm });
    expect([ruled.name, ruled.reason]).toEqual([RELAXED_BUILD, 'relaxed SIMD validates here: the fused multiply-add build, the fastest']);
    const named = await chooseBrowserBuild({ wasm, build: BASELINE_BUILD });
    expect([named.name, named.reason]).toEqual([BASELINE_BUILD, `asked for (build: ${BASELINE_BUILD})`]);
  });
  it('a build that does not fit is refused, naming the one that would', async () => {
    await expect(chooseBrowserBuild({ wasm: 'inline', build: BASELINE_BUILD, threaded: true })).rejects.toThrow(
      new ArgumentError(`build: ${BASELINE_BUILD} is single-threaded, but more than one thread was asked for: name ${THREADS_BUILD}`),
    );
    await expect(chooseBrowserBuild({ build: 'kernels-fast.wasm' as never })).rejects.toThrow('build: unknown build "kernels-fast.wasm"');
    await expect(chooseBrowserBuild({ build: RELAXED_BUILD, deterministic: true })).rejects.toThrow(`build: deterministic mode needs ${BASELINE_BUILD}, not ${RELAXED_BUILD}`);
  });
});
