// Streamed training (src/train/stream.ts) against the in-heap upload it replaced:
// 1. the same weights bit for bit — bundled digits kept as uint8 levels and streamed, vs
//    the float32 digits uploaded whole — for dense, conv and vae, on 1 and 2 threads, and
//    across a checkpoint resume from inside an epoch;
// 2. float32 samples streamed too (the copy path);
// 3. the heap holds the ring, never the data: its use does not grow with the data set,
//    and does not change over the steps of an epoch;
// 4. maxMemory: a cap too small fails before training with a HeapError naming every part,
//    a cap that fits trains and the heap never passes it.
import { describe, expect, it } from 'vitest';
import { loadBundledSplits, loadBundledStoredSplits } from '../../src/data/bundled.js';
import { subset, type Splits } from '../../src/data/dataset.js';
import { ArgumentError, HeapError } from '../../src/errors.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { createKernels } from '../../src/kernels/node.js';
import type { ThreadedKernels } from '../../src/kernels/threads/pool.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { PRESETS, presetArchitecture } from '../../src/models/presets.js';
import { Adam } from '../../src/train/optimizers.js';
import { parseMemorySize } from '../../src/train/stream-budget.js';
import { train, type TrainOptions, type TrainState } from '../../src/train/trainer.js';
import { wasmKernels } from '../helpers.js';

let floats: Promise<Splits> | null = null;
/** Set while a test compares runs on the threads build (its own bits differ from the default build's). */
let threadsBuild = false;
let levels: Promise<Splits> | null = null;

/** The first train / test digits, as float32 (today's data sets) or as stored uint8 levels. */
async function slice(stored: boolean, train: number, test: number): Promise<Splits> {
  const s = await (stored ? (levels ??= loadBundledStoredSplits()) : (floats ??= loadBundledSplits()));
  return { train: subset(s.train, 0, train), test: subset(s.test, 0, test), source: 'digits' };
}

function bits(model: Autoencoder): string[] {
  return model.params.list.map((p) => Buffer.from(model.params.read(p).buffer).toString('base64'));
}

/** The default build on one thread; the threads build (on `threads`, 1 included) otherwise. */
async function kernelsFor(threads: number, threadsBuild: boolean): Promise<Kernels> {
  return threadsBuild ? createKernels({ threads, build: 'kernels-threads.wasm' }) : wasmKernels();
}

function dispose(k: Kernels): void {
  (k as unknown as Partial<ThreadedKernels>).dispose?.();
}

interface Result {
  weights: string[];
  losses: number[];
}

async function run(preset: string, threads: number, stored: boolean, dataInHeap: boolean, interruptAt?: number): Promise<Result> {
  const kernels = await kernelsFor(threads, threads > 1 || threadsBuild);
  try {
    const splits = await slice(stored, 150, 30);
    const info = PRESETS[preset]!;
    const model = new Autoencoder(kernels, presetArchitecture(preset)).initialize(5);
    const base: TrainOptions = { epochs: 2, batchSize: 32, seed: 5, noise: info.defaults.noise, loss: info.defaults.loss, validationSplit: 0.2, dataInHeap };
    const optimizer = new Adam();
    if (interruptAt === undefined) {
      const h = await train(model, splits, { ...base, optimizer });
      return { weights: bits(model), losses: h.epochs.flatMap((e) => [e.loss, e.test_mse, e.val_loss!]) };
    }
    // Stop inside the first epoch, then resume from the returned state (as a checkpoint does).
    const controller = new AbortController();
    let steps = 0;
    const first = await train(model, splits, {
      ...base, optimizer, signal: controller.signal, progressIntervalMs: 0,
      callbacks: { onBatchEnd: () => { if (++steps === interruptAt) controller.abort(); } },
    });
    expect(first.stopped).toBe('interrupted');
    const state: TrainState = first.state;
    expect(state.partial?.stepInEpoch).toBe(interruptAt);
    const h = await train(model, splits, { ...base, optimizer, resume: state });
    return { weights: bits(model), losses: [...first.epochs, ...h.epochs].flatMap((e) => [e.loss, e.test_mse, e.val_loss!]) };
  } finally {
    dispose(kernels);
  }
}

describe('streamed training equals in-heap training', () => {
  for (const preset of ['dense', 'conv', 'vae']) {
    it(`${preset}: uint8 levels streamed = float32 uploaded, on 1 and 2 threads, and through an interruption and resume`, async () => {
      const reference = await run(preset, 1, false, true);
      expect(await run(preset, 1, true, false)).toEqual(reference);
      expect(await run(preset, 1, true, false, 2)).toEqual(reference);
      threadsBuild = true;
      try {
        const threaded = await run(preset, 1, false, true);
        expect(await run(preset, 2, true, false)).toEqual(threaded);
        expect(await run(preset, 2, true, false, 3)).toEqual(threaded);
      } finally {
        threadsBuild = false;
      }
    });
  }

  it('float32 samples stream through the copy path to the same weights', async () => {
    expect(await run('dense', 1, false, false)).toEqual(await run('dense', 1, false, true));
  });
});

describe('heap use', () => {
  it('grows with the batch, not with the data set, and stays flat over an epoch', async () => {
    const used: number[] = [];
    const capacities: number[] = [];
    for (const n of [200, 2000]) {
      const kernels = await wasmKernels();
      const model = new Autoencoder(kernels, presetArchitecture('dense')).initialize(1);
      const splits = await slice(true, n, 20);
      const seen: number[] = [];
      await train(model, splits, {
        epochs: 2, batchSize: 50, seed: 1, progressIntervalMs: 0,
        callbacks: { onBatchEnd: () => void seen.push(kernels.heap.used, kernels.heap.capacity) },
      });
      // Every step of both epochs sees the same heap: nothing is allocated per step or per epoch.
      expect(new Set(seen.filter((_, i) => i % 2 === 0)).size).toBe(1);
      expect(new Set(seen.filter((_, i) => i % 2 === 1)).size).toBe(1);
      used.push(seen[0]!);
      capacities.push(seen[1]!);
    }
    expect(used[1]).toBe(used[0]);
    // In-heap, the 1800 extra samples alone would take 1800 x 784 floats.
    const kernels = await wasmKernels();
    const model = new Autoencoder(kernels, presetArchitecture('dense')).initialize(1);
    let inHeap = 0;
    await train(model, await slice(true, 2000, 20), {
      epochs: 1, batchSize: 50, seed: 1, dataInHeap: true, progressIntervalMs: 0, callbacks: { onBatchEnd: () => void (inHeap = kernels.heap.used) },
    });
    expect(inHeap - used[0]!).toBeGreaterThanOrEqual(1950 * 784);
  });
});

describe('maxMemory', () => {
  it('a cap too small fails before training with a HeapError naming each part', async () => {
    const kernels = await wasmKernels();
    const model = new Autoencoder(kernels, presetArchitecture('conv')).initialize(1);
    const splits = await slice(true, 600, 20);
    const before = kernels.heap.used;
    const epochs: number[] = [];
    const attempt = train(model, splits, { epochs: 1, batchSize: 256, maxMemory: 4 << 20, callbacks: { onEpochEnd: (r) => void epochs.push(r.epoch) } });
    await expect(attempt).rejects.toThrow(HeapError);
    await expect(train(model, splits, { epochs: 1, batchSize: 256, maxMemory: 4 << 20 })).rejects.toThrow(
      /runtime and parameters [\d.]+ MiB \+ gradients and optimizer slots [\d.]+ MiB \+ activations at batch 256 [\d.]+ MiB \+ batch ring [\d.]+ MiB \+ evaluation [\d.]+ MiB = [\d.]+ MiB of heap, over the memory cap \(maxMemory, --max-memory\) of 4\.0 MiB/,
    );
    expect(epochs).toEqual([]);
    // Nothing of the failed run stays allocated, and the heap is uncapped again.
    expect(kernels.heap.used).toBe(before);
    expect(kernels.heap.maxBytes).toBe(Infinity);
  });

  it('a cap that fits trains, and the heap never grows past it', async () => {
    const kernels = await wasmKernels();
    const model = new Autoencoder(kernels, presetArchitecture('conv')).initialize(1);
    const splits = await slice(true, 600, 40);
    const cap = (kernels.heap.base + kernels.heap.used) * 4 + (64 << 20);
    let peak = 0;
    const h = await train(model, splits, {
      epochs: 2, batchSize: 256, noise: 0.2, validationSplit: 0.1, maxMemory: cap, progressIntervalMs: 0,
      callbacks: { onBatchEnd: () => void (peak = Math.max(peak, (kernels.heap.base + kernels.heap.peak) * 4)) },
    });
    expect(h.epochs).toHaveLength(2);
    expect(peak).toBeLessThanOrEqual(cap);
    expect((kernels.heap.base + kernels.heap.peak) * 4).toBeLessThanOrEqual(cap);
  });

  it('a bad maxMemory is an ArgumentError', async () => {
    const kernels = await wasmKernels();
    const model = new Autoencoder(kernels, presetArchitecture('dense')).initialize(1);
    await expect(train(model, await slice(true, 50, 10), { epochs: 1, maxMemory: -1 })).rejects.toThrow(/maxMemory must be a positive integer number of bytes, got -1/);
  });
});

describe('parseMemorySize', () => {
  it.each([
    ['512M', 512 * 2 ** 20], ['1G', 2 ** 30], ['1g', 2 ** 30], ['64MiB', 64 * 2 ** 20], ['1.5G', 1.5 * 2 ** 30], ['1048576', 1048576], ['4K', 4096], ['2GB', 2 * 2 ** 30],
  ])('%s = %d bytes', (text, bytes) => expect(parseMemorySize(text, '--max-memory')).toBe(bytes));

  it.each(['', 'M', '-1G', '1X', '1 G G', '0', '1e9', '0x10', 'Infinity', '12.5.1M', '0.0000001K'])('rejects %j naming the flag', (text) => {
    expect(() => parseMemorySize(text, '--max-memory')).toThrow(ArgumentError);
    expect(() => parseMemorySize(text, '--max-memory')).toThrow(/^--max-memory must be a size such as 512M, 1G or a number of bytes, got /);
  });
});
