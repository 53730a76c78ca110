// --normal-labels: which classes are normal. train keeps only their training samples;
// anomaly calls every other class an anomaly.
// Classes are named by their label names where the source has them (image folders, a CSV
// label column, the bundled digits "0".."9"), else by integer label value (.npy --labels,
// IDX files).

import { InvalidArgumentError } from 'commander';
import { gather, type Dataset } from '../data/dataset.js';
import type { PreparedSplits } from '../data/load.js';
import { ArgumentError } from '../errors.js';

/** The flag's list: comma-separated, trimmed, without repeats; at least one name. */
export function labelListArg(value: string): string[] {
  const names = value.split(',').map((s) => s.trim());
  if (names.some((s) => s === '')) throw new InvalidArgumentError(`expected comma-separated class labels such as 0,1,2, got "${value}"`);
  return [...new Set(names)];
}

/**
 * Whether the splits carry real class labels: sources without any (a CSV without
 * --label-column, an .npy without --labels) get label 0 everywhere, which names nothing.
 */
export function hasLabels(splits: PreparedSplits, labelsFlag: string | undefined): boolean {
  return splits.labelNames !== undefined || splits.kind === 'images' || labelsFlag !== undefined;
}

/** Distinct label values of both splits, ascending. */
function labelValues(splits: PreparedSplits): number[] {
  const seen = new Set<number>();
  for (const ds of [splits.train, splits.test]) for (const l of ds.labels) seen.add(l);
  return [...seen].sort((a, b) => a - b);
}

/** How a class index reads in messages and outputs: its name, or its value. */
export function labelText(splits: PreparedSplits, label: number): string {
  return splits.labelNames?.[label] ?? String(label);
}

/** The class indices `names` stand for; unknown names are an ArgumentError listing the known ones. */
export function normalClasses(names: readonly string[], splits: PreparedSplits, labeled: boolean, flag = '--normal-labels'): Set<number> {
  if (!labeled) {
    throw new ArgumentError(
      `${flag} needs class labels, but ${splits.source} has none; give --label-column for a CSV, --labels for an .npy, or use image folders or IDX files`,
    );
  }
  const known = splits.labelNames ?? labelValues(splits).map(String);
  const index = (name: string): number => (splits.labelNames ? splits.labelNames.indexOf(name) : known.includes(name) ? Number(name) : -1);
  const unknown = names.filter((name) => index(name) < 0);
  if (unknown.length > 0) {
    const list = known.length > 20 ? `${known.slice(0, 20).join(', ')}, ... (${known.length} in all)` : known.join(', ');
    throw new ArgumentError(`${flag}: unknown label${unknown.length > 1 ? 's' : ''} ${unknown.map((s) => JSON.stringify(s)).join(', ')}; ${splits.source} has labels ${list}`);
  }
  const classes = new Set(names.map(index));
  if (classes.size === known.length) throw new ArgumentError(`${flag} names every class of ${splits.source} (${known.join(', ')}); leave at least one out as the anomalies`);
  return classes;
}

/** The samples of `ds` whose class is in `classes`, in order. */
export function keepClasses(ds: Dataset, classes: ReadonlySet<number>): Dataset {
  const keep: number[] = [];
  for (let i = 0; i < ds.n; i++) if (classes.has(ds.labels[i]!)) keep.push(i);
  return gather(ds, keep);
}

/**
 * train --normal-labels: the training split reduced to the normal classes, the test split
 * unchanged. The normalisation stays the one fitted on the whole training split (as
 * TensorFlow's anomaly-detection tutorial scales by the whole training set): every later
 * command, and a resumed run, applies it to the raw data and so sees exactly these values.
 */
export function normalTrainingSplits(splits: PreparedSplits, classes: ReadonlySet<number>): PreparedSplits {
  return { ...splits, train: keepClasses(splits.train, classes) };
}
