// Small real data for training tests: slices of the bundled digits.
import { loadBundledSplits } from '../../src/data/bundled.js';
import { subset, type Splits } from '../../src/data/dataset.js';

let cached: Promise<Splits> | null = null;

/** The first `train` / `test` digits of the bundled split. */
export async function smallSplits(train: number, test: number): Promise<Splits> {
  cached ??= loadBundledSplits();
  const s = await cached;
  return { train: subset(s.train, 0, train), test: subset(s.test, 0, test), source: `${s.source} (slice ${train}/${test})` };
}
