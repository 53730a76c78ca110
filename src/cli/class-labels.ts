// The class labels a model with a classifier (models/classifier.ts) trains and is measured
// on. Sources without labels (a CSV without --label-column, an .npy without --labels) give
// label 0 everywhere: training or scoring a classifier on those would be a silent lie, so
// every command that needs labels refuses such data first.

import { classCount, type Dataset } from '../data/dataset.js';
import type { PreparedSplits } from '../data/load.js';
import { DataError } from '../errors.js';
import type { Autoencoder } from '../models/autoencoder.js';
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

/**
 * The labels a model whose forward pass reads them (a conditional VAE) is run with on the
 * data `ds` of `splits`: the data's own, after requireLabels (so a source without labels is
 * a DataError, never label 0 everywhere); undefined for every other model.
 */
export function forwardLabels(model: Autoencoder, splits: PreparedSplits, ds: Dataset, labelsFlag: string | undefined, who: string): Uint8Array | undefined {
  if (!model.readsLabels) return undefined;
  requireLabels(splits, labelsFlag, `${who} (its graph reads the label)`);
  return ds.labels;
}
