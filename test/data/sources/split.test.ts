// The split rule of split.ts as properties: n_test = round(n * testSplit), the test split
// is the last n_test of the seeded permutation, the same seed gives the same split, another
// seed another one, and every sample lands in exactly one split (with its label).
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shuffledIndices } from '../../../src/data/shuffle.js';
import { loadData } from '../../../src/data/sources/load-node.js';
import { encodeNpy } from '../../../src/data/sources/npy.js';
import { splitBySeed, testCount } from '../../../src/data/sources/split.js';
import { ArgumentError, DataError } from '../../../src/errors.js';
import { RandomPurpose, RandomStream, streamKey } from '../../../src/random/streams.js';
import { tempDir } from './fixtures.js';

const { at } = tempDir('ae-wasm-split-');
const SAMPLE = 3;

/** n samples whose values encode their index (i * 10 + position) and labels i % 7. */
function indexed(n: number) {
  return { n, data: Float64Array.from({ length: n * SAMPLE }, (_, k) => Math.floor(k / SAMPLE) * 10 + (k % SAMPLE)), labels: Int32Array.from({ length: n }, (_, i) => i % 7) };
}

/** The sample indices a split holds, checking each sample is whole and keeps its label. */
function indicesOf(split: { n: number; data: ArrayLike<number>; labels?: Int32Array }): number[] {
  return Array.from({ length: split.n }, (_, i) => {
    const j = split.data[i * SAMPLE]! / 10;
    for (let p = 0; p < SAMPLE; p++) expect(split.data[i * SAMPLE + p]).toBe(j * 10 + p);
    expect(split.labels![i]).toBe(j % 7);
    return j;
  });
}

const testSplitArb = fc.double({ min: 0.001, max: 0.999, noNaN: true });

describe('splitBySeed', () => {
  it('is the documented rule: the last round(n * testSplit) indices of the seeded permutation test, the rest train, each in permuted order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 300 }), testSplitArb, fc.nat({ max: 2 ** 31 }), (n, testSplit, seed) => {
        const nTest = Math.round(n * testSplit);
        fc.pre(nTest > 0 && nTest < n);
        const { train, test } = splitBySeed(indexed(n), SAMPLE, testSplit, seed, 'src');
        expect(testCount(n, testSplit)).toBe(nTest);
        expect([train.n, test.n]).toEqual([n - nTest, nTest]);
        const order = Array.from(shuffledIndices(n, new RandomStream(streamKey(seed, RandomPurpose.split))));
        const trainIdx = indicesOf(train);
        const testIdx = indicesOf(test);
        expect(trainIdx).toEqual(order.slice(0, n - nTest));
        expect(testIdx).toEqual(order.slice(n - nTest));
        // Exactly once each.
        expect([...trainIdx, ...testIdx].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
        // The same seed: the same split, bit for bit.
        const again = splitBySeed(indexed(n), SAMPLE, testSplit, seed, 'src');
        expect(again.test.data).toEqual(test.data);
        expect(again.train.labels).toEqual(train.labels);
      }),
      { numRuns: 300, seed: 12 },
    );
  });

  it('another seed gives another split (n >= 12: two equal orders are a 1 in 12! event)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 12, max: 200 }), testSplitArb, fc.nat({ max: 2 ** 31 }), fc.nat({ max: 2 ** 31 }), (n, testSplit, a, b) => {
        fc.pre(a !== b && testCount(n, testSplit) > 0 && testCount(n, testSplit) < n);
        const x = splitBySeed(indexed(n), SAMPLE, testSplit, a, 'src');
        const y = splitBySeed(indexed(n), SAMPLE, testSplit, b, 'src');
        expect([...indicesOf(x.train), -1, ...indicesOf(x.test)]).not.toEqual([...indicesOf(y.train), -1, ...indicesOf(y.test)]);
      }),
      { numRuns: 200, seed: 13 },
    );
  });

  it('halves round up (Math.round) and an empty side is a DataError naming the counts', () => {
    expect(testCount(10, 0.25)).toBe(3); // 2.5 -> 3
    expect(testCount(10, 0.35)).toBe(4); // computed in float64: 10 * 0.35 is exactly 3.5
    expect(testCount(2, 0.25)).toBe(1); // 0.5 -> 1
    expect(testCount(7, 0.2)).toBe(1); // 1.4 -> 1
    expect(() => splitBySeed(indexed(4), SAMPLE, 0.1, 0, 'src')).toThrow(
      new DataError('src: testSplit 0.1 of 4 samples gives 4 train and 0 test (n_test = round(n * testSplit)); both must be non-empty: use more data, another testSplit or a testSource'),
    );
    expect(() => splitBySeed(indexed(4), SAMPLE, 0.9, 0, 'src')).toThrow(/gives 0 train and 4 test/);
    expect(() => splitBySeed(indexed(1), SAMPLE, 0.5, 0, 'src')).toThrow(DataError);
    for (const bad of [0, 1, -0.1, 1.5, Number.NaN]) expect(() => splitBySeed(indexed(4), SAMPLE, bad, 0, 'src')).toThrow(ArgumentError);
  });
});

describe('loadData applies the rule', () => {
  it('to an .npy source: the same samples as splitBySeed, default testSplit 0.2 and seed 0', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 5, max: 80 }), fc.option(testSplitArb, { nil: undefined }), fc.option(fc.nat({ max: 1000 }), { nil: undefined }), async (n, testSplit, seed) => {
        const all = indexed(n);
        fc.pre(testCount(n, testSplit ?? 0.2) > 0 && testCount(n, testSplit ?? 0.2) < n);
        writeFileSync(at('x.npy'), encodeNpy(all.data, [n, SAMPLE]));
        writeFileSync(at('y.npy'), encodeNpy(all.labels, [n]));
        const d = await loadData(at('x.npy'), { labels: at('y.npy'), ...(testSplit !== undefined ? { testSplit } : {}), ...(seed !== undefined ? { seed } : {}) });
        expect(d.split).toEqual({ rule: 'split', testSplit: testSplit ?? 0.2, seed: seed ?? 0 });
        const want = splitBySeed(all, SAMPLE, testSplit ?? 0.2, seed ?? 0, 'x');
        expect(indicesOf(d.train)).toEqual(indicesOf(want.train));
        expect(indicesOf(d.test)).toEqual(indicesOf(want.test));
      }),
      { numRuns: 25, seed: 14 },
    );
  });

  it('refuses a bad seed or testSplit before reading the source', async () => {
    for (const seed of [-1, 1.5, Number.NaN, 2 ** 53]) await expect(loadData(at('missing.npy'), { seed })).rejects.toThrow(ArgumentError);
    for (const testSplit of [0, 1, 2]) await expect(loadData(at('missing.npy'), { testSplit })).rejects.toThrow(/testSplit must be a number strictly between 0 and 1/);
  });
});
