// The split rule, for a source without a test part of its own and no testSource:
// permute 0 .. n-1 with the seeded `split` stream (Fisher-Yates, src/data/shuffle.ts),
// n_test = round(n * testSplit) with halves rounded up (Math.round, computed in float64),
// the last n_test indices of the permuted order are the test split and the first
// n - n_test the training split, each in permuted order. Either split being empty is a
// DataError: the rule never silently trains or tests on nothing.
import { ArgumentError, DataError } from '../../errors.js';
import { RandomPurpose, RandomStream, streamKey } from '../../random/streams.js';
import { shuffledIndices } from '../shuffle.js';
import { IndexedStore } from '../storage.js';
import type { DataSplit, SampleArray } from './types.js';

export const DEFAULT_TEST_SPLIT = 0.2;

export function checkTestSplit(testSplit: number): void {
  if (typeof testSplit !== 'number' || !(testSplit > 0 && testSplit < 1)) {
    throw new ArgumentError(`testSplit must be a number strictly between 0 and 1, got ${JSON.stringify(testSplit)}`);
  }
}

/** The test count the rule gives for n samples. */
export function testCount(n: number, testSplit: number): number {
  return Math.round(n * testSplit);
}

/** The samples at `indices`, in that order, copied. */
export function gatherSplit(split: DataSplit, sample: number, indices: ArrayLike<number>): DataSplit {
  // A file's samples stay in the file: the split keeps their indices (4 bytes a sample).
  if (split.store) {
    const out: DataSplit = { n: indices.length, data: split.data.subarray(0, 0), store: new IndexedStore(split.store, Uint32Array.from(indices)) };
    if (split.labels) out.labels = Int32Array.from(indices, (j) => split.labels![j]!);
    return out;
  }
  const data = new (split.data.constructor as new (n: number) => SampleArray)(indices.length * sample);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    data.set(split.data.subarray(j * sample, (j + 1) * sample), i * sample);
  }
  const out: DataSplit = { n: indices.length, data };
  if (split.labels) out.labels = Int32Array.from(indices, (j) => split.labels![j]!);
  return out;
}

/** `all` split by the rule; `sample` is the values per sample, `what` names the source in errors. */
export function splitBySeed(all: DataSplit, sample: number, testSplit: number, seed: number, what: string): { train: DataSplit; test: DataSplit } {
  checkTestSplit(testSplit);
  const nTest = testCount(all.n, testSplit);
  const nTrain = all.n - nTest;
  if (nTest === 0 || nTrain === 0) {
    throw new DataError(
      `${what}: testSplit ${testSplit} of ${all.n} samples gives ${nTrain} train and ${nTest} test (n_test = round(n * testSplit)); both must be non-empty: use more data, another testSplit or a testSource`,
    );
  }
  const order = shuffledIndices(all.n, new RandomStream(streamKey(seed, RandomPurpose.split)));
  return { train: gatherSplit(all, sample, order.subarray(0, nTrain)), test: gatherSplit(all, sample, order.subarray(nTrain)) };
}
