// Picking test digits by count or index, checked against the split that was loaded:
// its size is known only after --data is read, so commander cannot check it.

import { subset, type Dataset, type Splits } from '../data/dataset.js';
import { ArgumentError } from '../errors.js';

/**
 * The first n test digits. Without n: the first `fallback` (all when it is undefined),
 * or fewer when the split is smaller: a default must not fail on a small --data set.
 */
export function firstTestDigits(splits: Splits, n: number | undefined, fallback?: number, flag = '--n'): Dataset {
  const test = splits.test;
  if (n === undefined) return fallback === undefined ? test : subset(test, 0, Math.min(fallback, test.n));
  if (n > test.n) throw new ArgumentError(`${flag} ${n} is more than the ${test.n} test digits of ${splits.source}`);
  return subset(test, 0, n);
}

/** Checks a test-split index given with `flag`. */
export function testIndex(splits: Splits, index: number, flag: string): number {
  if (index >= splits.test.n) {
    throw new ArgumentError(`${flag} ${index} is outside the test split: it has ${splits.test.n} digits (0 to ${splits.test.n - 1}) in ${splits.source}`);
  }
  return index;
}
