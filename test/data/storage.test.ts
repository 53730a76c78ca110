// Stored samples (src/data/storage.ts) and their fill (lookupU8, StreamData):
// 1. prepare keeps uint8 sources as uint8, and their model values — through readSamples,
//    `images`, a streamed batch on WASM and on the JS spec (f32 and f64 heaps) — are
//    bit-identical to applyNormalization of the whole set, for none, scale, minmax and
//    standard (with a constant feature); float sources are normalised at load as before.
// 2. lookupU8: WASM = JS spec = a reference, shared and per-feature tables, odd sizes,
//    n = 1, every level.
// 3. subset / gather / validateDataset on stored data never materialise it, and name the
//    first bad value as before.
import { describe, expect, it } from 'vitest';
import { gather, subset, validateDataset } from '../../src/data/dataset.js';
import { prepare } from '../../src/data/load.js';
import { applyNormalization, type NormalizationKind } from '../../src/data/normalize.js';
import { ArrayStore, readSamples, storedDataset, tableTransform } from '../../src/data/storage.js';
import type { LoadedData } from '../../src/data/sources/types.js';
import { DataError } from '../../src/errors.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { StreamData } from '../../src/train/stream.js';
import { expectBitIdentical, get, jsKernels, put, wasmKernels } from '../helpers.js';

/** n samples of [h, w, c] uint8 with every level present, one constant feature (index 1). */
function uint8Loaded(n: number, shape: number[], seed: number): LoadedData {
  const size = shape.reduce((a, b) => a * b, 1);
  const make = (count: number, s: number) => {
    const data = new Uint8Array(count * size);
    let x = s >>> 0;
    for (let k = 0; k < data.length; k++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      data[k] = k % size === 1 ? 7 : k < 256 ? k : x >>> 24;
    }
    return { n: count, data, labels: Int32Array.from({ length: count }, (_, i) => i % 3) };
  };
  return { train: make(n, seed), test: make(Math.ceil(n / 3), seed + 1), kind: 'images', format: 'idx', sampleShape: shape, dtype: 'uint8', split: { rule: 'source-test' }, source: 'synthetic' };
}

async function streamed(kernels: Kernels, ds: ReturnType<typeof prepare>['train'], order: Uint32Array, batch: number): Promise<Float64Array> {
  const size = ds.shape.reduce((a, b) => a * b, 1);
  const data = new StreamData(kernels, ds, ds.shape, 'test data', batch);
  const dst = kernels.heap.alloc(batch * size);
  const out = new Float64Array(order.length * size);
  try {
    for (let start = 0; start < order.length; start += batch) {
      const n = Math.min(batch, order.length - start);
      data.gather(order, start, n, dst);
      out.set(get(kernels, dst, n * size), start * size);
    }
  } finally {
    data.free();
    kernels.heap.free(dst);
  }
  return out;
}

describe('uint8 sources stay uint8 and fill bit-identically', () => {
  const kinds: NormalizationKind[] = ['none', 'scale', 'minmax', 'standard'];
  for (const kind of kinds) {
    it(`${kind}: readSamples, images and streamed batches (WASM, JS f32, JS f64) = applyNormalization`, async () => {
      const loaded = uint8Loaded(300, [5, 7, 3], 9);
      const splits = prepare(loaded, { normalize: kind });
      const { train, test } = splits;
      expect(train.storage?.store.dtype).toBe('uint8');
      expect(train.storage?.store.residentBytes).toBe(300 * 105);
      const expected = applyNormalization(splits.normalization, loaded.train.data);
      expectBitIdentical(readSamples(train, 0, train.n), expected, 'readSamples');
      expectBitIdentical(test.images, applyNormalization(splits.normalization, loaded.test.data), 'test images');
      const order = Uint32Array.from({ length: 300 }, (_, i) => (i * 67 + 5) % 300);
      const want = new Float64Array(order.length * 105);
      order.forEach((j, i) => want.set(expected.subarray(j * 105, (j + 1) * 105), i * 105));
      for (const kernels of [await wasmKernels(), jsKernels('f32'), jsKernels('f64')]) {
        expectBitIdentical(await streamed(kernels, train, order, 64), want, `${kernels.build} streamed`);
      }
    });
  }

  it('float sources are normalised at load, as before', () => {
    const data = Float32Array.from({ length: 40 }, (_, k) => Math.sin(k) * 3);
    const loaded: LoadedData = { train: { n: 10, data }, test: { n: 2, data: data.subarray(0, 8) }, kind: 'array', format: 'npy', sampleShape: [4], dtype: 'float32', split: { rule: 'source-test' }, source: 'floats' };
    const splits = prepare(loaded);
    expect(splits.train.storage).toBeUndefined();
    expectBitIdentical(splits.train.images, applyNormalization(splits.normalization, data));
  });

  it('a level that normalises outside float32 is a DataError, as applyNormalization gives', () => {
    const loaded = uint8Loaded(20, [4], 1);
    expect(() => prepare(loaded, { preprocessing: { kind: 'scale', scale: 1e-45, sampleShape: [4] } })).toThrow(DataError);
  });
});

describe('lookupU8', () => {
  for (const [n, size, perFeature] of [[1, 1, false], [3, 5, true], [1, 15, false], [2, 13, true], [7, 33, false], [2, 257, true], [16, 4, false], [5, 8, true]] as const) {
    it(`n ${n}, size ${size}, ${perFeature ? 'a table per feature' : 'one table'}: WASM = JS spec = reference`, async () => {
      const bytes = Uint8Array.from({ length: n * size }, (_, k) => (k * 89 + 13) & 255);
      const table = Float32Array.from({ length: (perFeature ? size : 1) * 256 }, (_, i) => Math.fround(Math.cos(i) * 1e3 + i));
      const want = Float64Array.from(bytes, (v, k) => table[(perFeature ? (k % size) * 256 : 0) + v]!);
      for (const kernels of [await wasmKernels(), jsKernels('f32'), jsKernels('f64')]) {
        const src = kernels.heap.alloc(Math.ceil(bytes.length / 4) + 1);
        const d = kernels.heap.data;
        // An offset not aligned to 16 bytes.
        new Uint8Array(d.buffer, d.byteOffset + (src + 1) * d.BYTES_PER_ELEMENT, bytes.length).set(bytes);
        const t = put(kernels, table);
        const dst = put(kernels, new Float64Array(n * size + 1).fill(-7));
        kernels.lookupU8(src + 1, t, perFeature ? 256 : 0, dst, n, size);
        const out = get(kernels, dst, n * size + 1);
        expectBitIdentical(out.subarray(0, n * size), want, kernels.build);
        expect(out[n * size]).toBe(-7);
      }
    });
  }
});

describe('stored data sets', () => {
  const levels = Uint8Array.from({ length: 6 * 4 }, (_, k) => (k * 37) & 255);
  const table = Float32Array.from({ length: 256 }, (_, v) => v / 255);
  const make = () => storedDataset({ store: new ArrayStore(levels, 4, 'levels'), first: 0, transform: tableTransform(table) }, Uint8Array.from([0, 1, 2, 0, 1, 2]), [2, 2, 1]);

  it('subset and gather read through the store; images materialises once', () => {
    const ds = make();
    const part = subset(ds, 2, 3);
    expect(part.storage?.first).toBe(2);
    expectBitIdentical(readSamples(part, 0, 3), Float64Array.from(levels.subarray(8, 20), (v) => table[v]!));
    const g = gather(ds, [5, 0]);
    expect(g.storage).toBeUndefined();
    expectBitIdentical(g.images, Float64Array.from([...levels.subarray(20, 24), ...levels.subarray(0, 4)], (v) => table[v]!));
    expect(ds.images).toBe(ds.images);
  });

  it('validateDataset names the first value outside [0, 1] without materialising', () => {
    const bad = Float32Array.from(table);
    bad[levels[9]!] = 2;
    const ds = storedDataset({ store: new ArrayStore(levels, 4, 'levels'), first: 0, transform: tableTransform(bad) }, new Uint8Array(6), [2, 2, 1]);
    expect(() => validateDataset(ds, 'training data')).toThrow(new DataError('training data: image 2, pixel 1 (flat index 9) is 2; pixels must be finite and in [0, 1]'));
    validateDataset(ds, 'training data', 'finite');
  });
});
