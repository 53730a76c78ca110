// Data read from disk (src/data/storage-file-node.ts): IDX and .npy files over the disk
// threshold stay in their file and are read in chunks; their model values and a training
// run on them are bit-identical to the same files loaded whole; a file that shrinks or
// changes under the run is a FileError; a seeded split of an on-disk .npy keeps indices.
import { mkdtemp, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSplits } from '../../src/data/load.js';
import { readSamples, storeChunks } from '../../src/data/storage.js';
import { fitNormalizationChunks, type Normalization } from '../../src/data/normalize.js';
import type { Splits } from '../../src/data/dataset.js';
import { FileStore } from '../../src/data/storage-file-node.js';
import { encodeNpy } from '../../src/data/sources/npy.js';
import { FileError, FormatError } from '../../src/errors.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { train } from '../../src/train/trainer.js';
import { expectBitIdentical, wasmKernels } from '../helpers.js';

let dir: string;

function idx(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x800 + dims.length, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

function pixels(n: number, seed: number): Uint8Array {
  let x = seed;
  return Uint8Array.from({ length: n * 64 }, () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24));
}

/** The weights (base64 bits) of a small dense model trained two epochs on `splits`. */
async function trainedWeights(splits: Splits): Promise<string[]> {
  const model = new Autoencoder(await wasmKernels(), presetArchitecture('dense', { inputShape: [8, 8, 1], latent: 6 })).initialize(2);
  await train(model, splits, { epochs: 2, batchSize: 32, seed: 2, validationSplit: 0.1 });
  return model.params.list.map((p) => Buffer.from(model.params.read(p).buffer).toString('base64'));
}

/** The same kind and float32 statistics, bit for bit (and the same labels unless `labels` is false). */
function expectSameStatistics(a: Normalization, b: Normalization, labels = true): void {
  expect(a.kind).toBe(b.kind);
  if (labels) expect(a.labels).toEqual(b.labels);
  for (const key of ['min', 'max', 'mean', 'std'] as const) {
    expect(a[key] === undefined).toBe(b[key] === undefined);
    if (b[key]) expectBitIdentical(a[key]!, b[key]!);
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ae-disk-'));
  await writeFile(path.join(dir, 'train-images-idx3-ubyte'), idx([300, 8, 8], pixels(300, 1)));
  await writeFile(path.join(dir, 'train-labels-idx1-ubyte'), idx([300], Uint8Array.from({ length: 300 }, (_, i) => i % 10)));
  await writeFile(path.join(dir, 't10k-images-idx3-ubyte'), idx([40, 8, 8], pixels(40, 2)));
  await writeFile(path.join(dir, 't10k-labels-idx1-ubyte'), idx([40], Uint8Array.from({ length: 40 }, (_, i) => i % 10)));
  const floats = Float32Array.from({ length: 250 * 12 }, (_, k) => Math.sin(k * 0.37) * 4);
  await writeFile(path.join(dir, 'table.npy'), encodeNpy(floats, [250, 12]));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('IDX files over the disk threshold', () => {
  it('stay on disk, fill the same values and train to the same weights as loaded whole', async () => {
    const whole = await loadSplits({ data: dir });
    const disk = await loadSplits({ data: dir, diskThreshold: 5000 });
    expect(whole.train.storage?.store).not.toBeInstanceOf(FileStore);
    expect(disk.train.storage?.store).toBeInstanceOf(FileStore);
    // The 2.6 KB test file is under the threshold: loaded whole.
    expect(disk.test.storage?.store).not.toBeInstanceOf(FileStore);
    expectBitIdentical(readSamples(disk.train, 0, 300), readSamples(whole.train, 0, 300));
    expect(await trainedWeights(disk)).toEqual(await trainedWeights(whole));
  });

  it('minmax and standard fitted on an IDX file on disk: the same statistics, table fill and weights as the file loaded whole', async () => {
    for (const normalize of ['minmax', 'standard'] as const) {
      const whole = await loadSplits({ data: dir, normalize });
      const disk = await loadSplits({ data: dir, normalize, diskThreshold: 5000 });
      expect(disk.train.storage?.store).toBeInstanceOf(FileStore);
      expectSameStatistics(disk.normalization, whole.normalization);
      expectBitIdentical(readSamples(disk.train, 0, 300), readSamples(whole.train, 0, 300));
      expectBitIdentical(readSamples(disk.test, 0, 40), readSamples(whole.test, 0, 40));
      if (normalize === 'standard') expect(await trainedWeights(disk)).toEqual(await trainedWeights(whole));
    }
  });

  it('the chunked fit reads the file in chunks of any size to the same statistics', async () => {
    const whole = await loadSplits({ data: dir, normalize: 'standard' });
    const store = new FileStore(path.join(dir, 'train-images-idx3-ubyte'), 'uint8', 300, 64, 16);
    try {
      for (const chunk of [1, 7, 299, 300]) expectSameStatistics(fitNormalizationChunks('standard', 300, storeChunks(store, chunk), [8, 8, 1], { source: whole.source }), whole.normalization, false);
    } finally {
      store.close();
    }
  });

  it('a file that shrinks or changes under the run is a FileError', async () => {
    const file = path.join(dir, 'train-images-idx3-ubyte');
    const disk = await loadSplits({ data: dir, diskThreshold: 5000 });
    await utimes(file, new Date(), new Date(Date.now() + 5000));
    expect(() => readSamples(disk.train, 290, 10)).toThrow(FileError);
    expect(() => readSamples(disk.train, 290, 10)).toThrow(/train-images-idx3-ubyte changed while training read it \(size 19216 -> 19216 bytes/);
    const again = await loadSplits({ data: dir, diskThreshold: 5000 });
    await truncate(file, 16 + 200 * 64);
    try {
      expect(() => readSamples(again.train, 250, 10)).toThrow(/changed while training read it \(size 19216 -> 12816 bytes/);
      await expect(loadSplits({ data: dir, diskThreshold: 5000 })).rejects.toThrow(FormatError);
    } finally {
      await writeFile(file, idx([300, 8, 8], pixels(300, 1)));
    }
  });
});

describe('.npy files over the disk threshold', () => {
  it('a float32 file on disk, split by seed, gives the values of the file loaded whole', async () => {
    const file = path.join(dir, 'table.npy');
    const whole = await loadSplits({ data: file, normalize: 'none' });
    const disk = await loadSplits({ data: file, normalize: 'none', diskThreshold: 5000 });
    expect(disk.train.storage?.store.dtype).toBe('float32');
    expect(disk.train.n).toBe(whole.train.n);
    expectBitIdentical(readSamples(disk.train, 0, disk.train.n), whole.train.images);
    expectBitIdentical(readSamples(disk.test, 0, disk.test.n), whole.test.images);
  });

  it('minmax and standard are fitted on the file in chunks: the statistics and values of the file loaded whole, bit for bit', async () => {
    const file = path.join(dir, 'table.npy');
    for (const normalize of ['minmax', 'standard'] as const) {
      const whole = await loadSplits({ data: file, normalize });
      const disk = await loadSplits({ data: file, normalize, diskThreshold: 5000 });
      expect(disk.train.storage?.store.dtype).toBe('float32');
      expectSameStatistics(disk.normalization, whole.normalization);
      expectBitIdentical(readSamples(disk.train, 0, disk.train.n), whole.train.images);
      expectBitIdentical(readSamples(disk.test, 0, disk.test.n), whole.test.images);
    }
  });
});
