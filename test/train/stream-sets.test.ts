// Stored sets everywhere training reads them: salt-pepper noise's min / max scan, greedy
// pre-training (its first layer streamed, the codes above computed a chunk at a time) read
// stored samples in chunks — a spy store records the largest read, which stays a chunk, never
// the whole set's float32 copy — and give the results of the float32 set in memory bit for
// bit; an IDX file left on disk (a lowered threshold) pre-trains to the weights of the file
// loaded whole; a labelled graph's one-hot labels are written per batch, not uploaded.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundledSplits, loadBundledStoredSplits } from '../../src/data/bundled.js';
import { subset, type Splits } from '../../src/data/dataset.js';
import { loadSplits } from '../../src/data/load.js';
import { readSamples, storedDataset, type SampleStore } from '../../src/data/storage.js';
import { FileStore } from '../../src/data/storage-file-node.js';
import { ArgumentError, DataError } from '../../src/errors.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { inputNoiseFor } from '../../src/train/noise.js';
import { codeChunk, codesOf, pretrainGreedy } from '../../src/train/pretrain.js';
import { DeviceData } from '../../src/train/device-data.js';
import { LabelStream } from '../../src/train/stream.js';
import { train } from '../../src/train/trainer.js';
import { expectBitIdentical, jsKernels, wasmKernels } from '../helpers.js';
import { weightBits } from './thread-identity.js';

/** A store that records the most samples any one read asked for. */
class SpyStore implements SampleStore {
  maxRead = 0;
  constructor(private readonly base: SampleStore) {}
  get dtype() { return this.base.dtype; }
  get n() { return this.base.n; }
  get size() { return this.base.size; }
  get source() { return this.base.source; }
  get residentBytes() { return this.base.residentBytes; }
  readBytes(start: number, count: number, dst: Uint8Array, dstByte: number): void {
    this.maxRead = Math.max(this.maxRead, count);
    this.base.readBytes(start, count, dst, dstByte);
  }
}

const TRAIN = 4000;
const TEST = 300;
/** The largest read a chunked pass may make over 784-value samples (codesOf's chunk plus a tail under 256). */
const BOUND = codeChunk(784) + 255;

interface Digits {
  floats: Splits;
  stored: Splits;
  spy: SpyStore;
}

/** The first TRAIN / TEST digits as float32 and as stored uint8 levels, the stored training split behind a spy. */
async function digits(): Promise<Digits> {
  const [f, s] = await Promise.all([loadBundledSplits(), loadBundledStoredSplits()]);
  const part = subset(s.train, 0, TRAIN);
  const spy = new SpyStore(part.storage!.store);
  const train = storedDataset({ ...part.storage!, store: spy }, part.labels, part.shape);
  return {
    floats: { train: subset(f.train, 0, TRAIN), test: subset(f.test, 0, TEST), source: 'digits' },
    stored: { train, test: subset(s.test, 0, TEST), source: 'digits' },
    spy,
  };
}

it('the bound is below the training split: a whole float32 copy would break it', () => {
  expect(BOUND).toBeLessThan(TRAIN);
});

describe('salt-pepper noise on a stored set', () => {
  it("takes the data's min and max from a chunked scan: the values of the float32 set, never a whole copy", async () => {
    const { floats, stored, spy } = await digits();
    // A linear output: inputs are not taken to be in [0, 1], so the range is scanned.
    const model = new Autoencoder(await wasmKernels(), presetArchitecture('linear', { latent: 8 })).initialize(1);
    const want = inputNoiseFor(model, 'salt-pepper', 0.2, floats.train)!;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of floats.train.images) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    expect([want.lo, want.hi]).toEqual([lo, hi]);
    expect(inputNoiseFor(model, 'salt-pepper', 0.2, stored.train)).toEqual(want);
    expect(spy.maxRead).toBeGreaterThan(1);
    expect(spy.maxRead).toBeLessThanOrEqual(BOUND);
  });

  it('trains to the weights of the float32 set, bit for bit', async () => {
    const { floats, stored, spy } = await digits();
    const weights = [];
    for (const splits of [floats, stored]) {
      const model = new Autoencoder(await wasmKernels(), presetArchitecture('linear', { latent: 8 })).initialize(3);
      await train(model, splits, { epochs: 1, batchSize: 128, seed: 3, loss: 'mse', noise: 0.2, noiseKind: 'salt-pepper', validationSplit: 0.1 });
      weights.push(weightBits(model));
    }
    expect(weights[1]).toEqual(weights[0]);
    expect(spy.maxRead).toBeLessThanOrEqual(BOUND);
  });
});

describe('greedy pre-training on a stored set', () => {
  it('streams the first layer and encodes the codes in chunks: the weights and reports of the float32 set, never a whole copy', async () => {
    const { floats, stored, spy } = await digits();
    const runs = [];
    for (const splits of [floats, stored]) {
      const model = new Autoencoder(await wasmKernels(), presetArchitecture('deep', { latent: 16 })).initialize(4);
      const reports = await pretrainGreedy(model, splits, { epochs: 1, batchSize: 128, seed: 4, loss: 'bce' });
      runs.push({ weights: weightBits(model), losses: reports.map((r) => r.epochs.map((e) => [e.loss, e.test_mse])) });
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(spy.maxRead).toBeGreaterThan(1);
    expect(spy.maxRead).toBeLessThanOrEqual(BOUND);
  });

  it('codesOf: any chunk (a multiple of 256; a tail under 256 joins the chunk before) gives encode of the whole set, bit for bit', async () => {
    const { floats, stored } = await digits();
    const model = new Autoencoder(await wasmKernels(), presetArchitecture('dense', { latent: 12 })).initialize(6);
    for (const n of [1, 255, 700, 1000, 1300]) {
      const want = model.encode(floats.train.images.subarray(0, n * 784));
      for (const chunk of [256, 512, 1024]) expectBitIdentical(codesOf(model, subset(stored.train, 0, n), chunk), want, `n ${n}, chunk ${chunk}`);
    }
    expect(() => codesOf(model, stored.train, 100)).toThrow(ArgumentError);
    expect(() => codesOf(model, stored.train, 100)).toThrow(/chunk must be a positive multiple of 256, got 100/);
  });
});

describe('labels streamed per batch (LabelStream)', () => {
  it('writes the one-hot rows an in-heap upload gathers, in any order, on WASM and the JS spec, with no heap of its own', async () => {
    const labels = Uint8Array.from({ length: 37 }, (_, i) => (i * 7) % 5);
    const onehot = new Float32Array(37 * 5);
    labels.forEach((l, i) => (onehot[i * 5 + l] = 1));
    const order = Uint32Array.from({ length: 37 }, (_, i) => (i * 11) % 37);
    for (const kernels of [await wasmKernels(), jsKernels('f64')]) {
      const used = kernels.heap.used;
      const stream = new LabelStream(kernels, labels, 37, 5, 'test labels');
      expect(kernels.heap.used).toBe(used);
      expect(stream.heapFloats).toBe(0);
      const upload = new DeviceData(kernels, { images: onehot, labels, n: 37, shape: [5] }, [5], 'upload');
      const a = kernels.heap.alloc(12 * 5);
      const b = kernels.heap.alloc(12 * 5);
      try {
        for (const o of [order, null]) {
          for (const start of [0, 25]) {
            kernels.heap.data.fill(-3, a, a + 60);
            stream.gather(o, start, 12, a);
            upload.gather(o, start, 12, b);
            expectBitIdentical(kernels.heap.read(a, 60), kernels.heap.read(b, 60), kernels.build);
          }
        }
      } finally {
        for (const x of [a, b]) kernels.heap.free(x);
        upload.free();
      }
    }
  });

  it('a label outside the classes, or a missing one, is a DataError before any batch', async () => {
    const kernels = await wasmKernels();
    expect(() => new LabelStream(kernels, Uint8Array.of(0, 4, 1), 3, 4, 'training data')).toThrow(DataError);
    expect(() => new LabelStream(kernels, Uint8Array.of(0, 4, 1), 3, 4, 'training data')).toThrow(/training data: label 4 of sample 1 is outside 0\.\.3 \(the model's graph has 4 label classes\)/);
    expect(() => new LabelStream(kernels, Uint8Array.of(0, 1), 3, 4, 'training data')).toThrow(/the model's graph reads labels, but the data has 2 labels for 3 samples/);
  });
});

describe('a data set on disk', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ae-stream-sets-'));
    const idx = (dims: number[], data: Uint8Array) => {
      const out = new Uint8Array(4 + 4 * dims.length + data.length);
      const view = new DataView(out.buffer);
      view.setUint32(0, 0x800 + dims.length, false);
      dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
      out.set(data, 4 + 4 * dims.length);
      return out;
    };
    let x = 11;
    const pixels = (n: number) => Uint8Array.from({ length: n * 64 }, () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24));
    await writeFile(path.join(dir, 'train-images-idx3-ubyte'), idx([600, 8, 8], pixels(600)));
    await writeFile(path.join(dir, 'train-labels-idx1-ubyte'), idx([600], new Uint8Array(600)));
    await writeFile(path.join(dir, 't10k-images-idx3-ubyte'), idx([50, 8, 8], pixels(50)));
    await writeFile(path.join(dir, 't10k-labels-idx1-ubyte'), idx([50], new Uint8Array(50)));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('pre-trains (standardised, salt-pepper noise on a linear stack) to the weights of the file loaded whole', async () => {
    const runs = [];
    for (const diskThreshold of [undefined, 5000]) {
      const splits = await loadSplits({ data: dir, normalize: 'standard', ...(diskThreshold ? { diskThreshold } : {}) });
      expect(splits.train.storage?.store instanceof FileStore).toBe(diskThreshold !== undefined);
      const arch = presetArchitecture('deep', { inputShape: [8, 8, 1], latent: 4 });
      for (const part of [arch.parts.encoder, arch.parts.decoder]) for (const l of part) if (l.class_name === 'Dense') (l.config as Record<string, unknown>)['activation'] = 'linear';
      const model = new Autoencoder(await wasmKernels(), arch).initialize(8);
      const reports = await pretrainGreedy(model, splits, { epochs: 1, batchSize: 64, seed: 8, noise: 0.1, noiseKind: 'salt-pepper' });
      runs.push({ weights: weightBits(model), losses: reports.map((r) => r.epochs.map((e) => e.loss)), first: readSamples(splits.train, 0, 2) });
    }
    expect(runs[1]!.weights).toEqual(runs[0]!.weights);
    expect(runs[1]!.losses).toEqual(runs[0]!.losses);
    expectBitIdentical(runs[1]!.first, runs[0]!.first);
  });
});
