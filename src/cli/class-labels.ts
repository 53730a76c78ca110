// The class labels a model with a classifier (models/classifier.ts) trains and is measured
// on. Sources without labels (a CSV without --label-column, an .npy without --labels) give
// label 0 everywhere: training or scoring a classifier on those would be a silent lie, so
// every command that needs labels refuses such data first.

import { classCount } from '../data/dataset.js';
import type { PreparedSplits } from '../data/load.js';
import { DataError } from '../errors.js';
import { hasLabels } from './normal-labels.js';

/** Throws a DataError naming `who` and the source when the splits carry no class labels. */
export function requireLabels(splits: PreparedSplits, labelsFlag: string | undefined, who: string): void {
  if (hasLabels(splits, labelsFlag)) return;
  throw new DataError(
    `${who} needs class labels, but ${splits.source} has none (a .npy needs --labels FILE.npy, a CSV --label-column NAME; IDX files, image folders and the bundled digits have them)`,
  );
}

/** The data's class count: its label names where it has them (the bundled digits: 10), else its largest label + 1 over both splits. */
export function dataClassCount(splits: PreparedSplits): number {
  return splits.labelNames?.length ?? Math.max(classCount(splits.train.labels), classCount(splits.test.labels));
}
