// ae-wasm anomaly: anomaly detection by reconstruction error. Every sample gets a score (its
// reconstruction MSE, or a VAE's negative ELBO); the threshold is a percentile of the
// training scores; on the test split the command reports the share flagged and, where the
// labels say which samples are anomalies (classes outside --normal-labels, or the model's
// training record), precision, recall and F1 at the threshold and the ROC AUC.

import { Command, InvalidArgumentError, Option } from 'commander';
import path from 'node:path';
import { detection, percentile, rocAuc, rocCurve, type Detection } from '../analysis/anomaly.js';
import { gather, type Dataset } from '../data/dataset.js';
import { DataError } from '../errors.js';
import type { PreparedSplits } from '../data/load.js';
import { prepareOutputDirectory, writeFileAtomic } from '../io/file-node.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { toPng } from '../viz/index.js';
import { rocPlot } from '../viz/roc.js';
import { requireLabels } from './class-labels.js';
import { anomalyScores, checkScoreKind, SCORE_KINDS, type ScoreKind } from './anomaly-scores.js';
import { addBackendOption, addDataOption, backendFrom, dataFrom, type BackendFlags, type DataFlags } from './context.js';
import { displayValues } from './display.js';
import { addModelOption, modelFrom } from './model-option.js';
import { hasLabels, keepClasses, labelListArg, labelText, normalClasses } from './normal-labels.js';
import { requireFinite } from './numeric.js';
import { encodeCsv } from './output-file.js';
import { comparisonGrid, imageSizeOf } from './pictures.js';

interface AnomalyFlags extends DataFlags, BackendFlags {
  model: string;
  normalLabels?: string[];
  thresholdPercentile: number;
  score: ScoreKind;
  out?: string;
  json?: boolean;
}

/** Test samples in each of the most- and least-anomalous pictures. */
const PICTURE_N = 16;

/** (0, 100]: 100 is the largest training score (nothing above it in training is flagged). */
function percentileArg(value: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || !(v > 0 && v <= 100)) throw new InvalidArgumentError(`expected a percentile in (0, 100], got "${value}"`);
  return v;
}

/** The figures `--json` prints. */
export interface AnomalyReport {
  score: ScoreKind;
  threshold_percentile: number;
  /** The percentile of the training scores (of the normal classes' samples, when known). */
  threshold: number;
  /** Training samples the threshold came from. */
  n_threshold: number;
  n_test: number;
  /** Test samples scoring above the threshold, and their share of the test split. */
  flagged: number;
  flagged_share: number;
  mean_score: number;
  /** With known anomalies: the normal classes and the test split's anomalies. */
  normal_labels?: string[];
  anomalies?: number;
  tp?: number;
  fp?: number;
  fn?: number;
  tn?: number;
  precision?: number;
  recall?: number;
  f1?: number;
  false_positive_rate?: number;
  /** Needs both anomalies and normal samples in the test split (null otherwise). */
  roc_auc?: number | null;
}

export function anomalyCommand(): Command {
  const cmd = new Command('anomaly').description(
    'anomaly detection by reconstruction error: score every sample, threshold at a percentile of the training scores, ' +
      'and report the share flagged on the test split, with precision, recall, F1 and ROC AUC where labels say which samples are anomalies',
  );
  addModelOption(cmd);
  addDataOption(cmd);
  cmd
    .option(
      '--normal-labels <list>',
      "the normal classes (comma-separated label names, or values for unnamed integer labels); every other class is an anomaly. Default: the model's, when train --normal-labels recorded them",
      labelListArg,
    )
    .option(
      '--threshold-percentile <p>',
      "the threshold: this percentile of the training scores, by linear interpolation between ranks (numpy's default); in (0, 100]",
      percentileArg,
      99,
    )
    .addOption(new Option('--score <kind>', "mse: per-sample reconstruction MSE in the model's units; nelbo: a VAE's per-sample negative ELBO (nats)").choices(SCORE_KINDS).default('mse'))
    .option('--out <dir>', 'write scores.csv, roc.png (with labels) and, for images, most-anomalous.png and least-anomalous.png into this directory')
    .option('--json', 'print the figures as one JSON object');
  addBackendOption(cmd);
  return cmd.action(async (flags: AnomalyFlags) => runAnomaly(flags));
}

async function runAnomaly(flags: AnomalyFlags): Promise<void> {
  if (flags.out !== undefined) await prepareOutputDirectory(flags.out);
  const kernels = await backendFrom(flags);
  const model = await modelFrom(flags, kernels);
  const splits = await dataFrom(flags, ['train', 'test'], model);
  const labeled = hasLabels(splits, flags.labels);
  const recorded = model.training?.['normal_labels'] as string[] | undefined;
  // A recorded list on unlabelled data (an .npy given without --labels) still thresholds.
  const names = flags.normalLabels ?? (labeled ? recorded : undefined);
  const classes = names ? normalClasses(names, splits, labeled, flags.normalLabels ? '--normal-labels' : `${flags.model}: normal_labels`) : undefined;
  // The threshold comes from the samples the model was meant to learn: the normal ones.
  const reference = classes ? keepClasses(splits.train, classes) : splits.train;
  if (reference.n === 0) throw new DataError(`the training split of ${splits.source} holds no sample of the normal classes ${names!.join(', ')}; the threshold needs their scores`);
  checkScoreKind(model, flags.score, [reference, splits.test], flags.model);
  if (model.readsLabels) requireLabels(splits, flags.labels, `anomaly with ${flags.model} (its graph reads the label)`);

  const trainScores = checkScores(anomalyScores(model, reference, flags.score), flags, 'training');
  const testScores = checkScores(anomalyScores(model, splits.test, flags.score), flags, 'test');
  const threshold = percentile(trainScores, flags.thresholdPercentile);
  const anomalous = classes ? Uint8Array.from(splits.test.labels, (l) => (classes.has(l) ? 0 : 1)) : undefined;
  const report = reportOf(flags, threshold, reference.n, testScores, anomalous);
  if (names && anomalous) report.normal_labels = [...names];

  const written = flags.out !== undefined ? await writeOutputs(flags.out, model, splits, testScores, threshold, anomalous, report) : [];
  if (flags.json) {
    process.stdout.write(JSON.stringify(report) + '\n');
    return;
  }
  process.stdout.write(reportText(report, flags.model, splits.source) + (written.length ? `wrote ${written.join(', ')}\n` : ''));
}

/** Scores must be finite (and, as errors and divergences, >= 0): a NumericError names the sample otherwise. */
function checkScores(scores: Float32Array, flags: AnomalyFlags, split: string): Float32Array {
  return requireFinite(scores, 1, `${flags.score} score of the ${split} split`, flags.model);
}

function reportOf(flags: AnomalyFlags, threshold: number, nThreshold: number, scores: Float32Array, anomalous: Uint8Array | undefined): AnomalyReport {
  let flagged = 0;
  let sum = 0;
  for (const s of scores) {
    if (s > threshold) flagged++;
    sum += s;
  }
  const n = scores.length;
  const report: AnomalyReport = {
    score: flags.score,
    threshold_percentile: flags.thresholdPercentile,
    threshold,
    n_threshold: nThreshold,
    n_test: n,
    flagged,
    flagged_share: flagged / n,
    mean_score: sum / n,
  };
  if (!anomalous) return report;
  const d: Detection = detection(scores, anomalous, threshold);
  const anomalies = d.tp + d.fn;
  const both = anomalies > 0 && anomalies < n;
  return { ...report, anomalies, ...d, roc_auc: both ? rocAuc(scores, anomalous) : null };
}

function reportText(r: AnomalyReport, model: string, source: string): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const lines = [
    `${model} on ${source}, score ${r.score}`,
    `  threshold      ${r.threshold.toPrecision(6)} (percentile ${r.threshold_percentile} of ${r.n_threshold} training scores)`,
    `  flagged        ${r.flagged} of ${r.n_test} test samples (${pct(r.flagged_share)})`,
  ];
  if (r.anomalies !== undefined) {
    lines.push(
      `  anomalies      ${r.anomalies} of ${r.n_test} (classes other than ${r.normal_labels!.join(', ')})`,
      `  precision      ${r.precision!.toFixed(4)}  (${r.tp} of ${r.tp! + r.fp!} flagged are anomalies)`,
      `  recall         ${r.recall!.toFixed(4)}  (${r.tp} of ${r.anomalies} anomalies flagged)`,
      `  F1             ${r.f1!.toFixed(4)}`,
      `  ROC AUC        ${r.roc_auc === null ? 'n/a (the test split needs both anomalies and normal samples)' : r.roc_auc!.toFixed(4)}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** scores.csv, roc.png (known anomalies of both kinds), and for images the two extreme grids. */
async function writeOutputs(
  dir: string,
  model: Autoencoder,
  splits: PreparedSplits,
  scores: Float32Array,
  threshold: number,
  anomalous: Uint8Array | undefined,
  report: AnomalyReport,
): Promise<string[]> {
  const n = scores.length;
  const header = ['index', 'label', 'score', 'flagged', ...(anomalous ? ['anomalous'] : [])];
  const k = header.length;
  const rows = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    rows.set([i, splits.test.labels[i]!, scores[i]!, scores[i]! > threshold ? 1 : 0, ...(anomalous ? [anomalous[i]!] : [])], i * k);
  }
  const files: [string, Uint8Array][] = [['scores.csv', encodeCsv(header, rows, path.join(dir, 'scores.csv'))]];
  if (anomalous && report.roc_auc !== null && report.roc_auc !== undefined) {
    const curve = rocCurve(scores, anomalous);
    const title = `${model.training?.preset ?? 'model'}: ${report.score} score, normal ${report.normal_labels!.join(',')}`;
    files.push(['roc.png', toPng(rocPlot({ fpr: curve.fpr, tpr: curve.tpr, auc: curve.auc, title }))]);
  }
  const size = imageSizeOf(model.inputShape);
  if (size) {
    const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
    const m = Math.min(PICTURE_N, n);
    for (const [name, picked] of [['most-anomalous.png', order.subarray(0, m)], ['least-anomalous.png', order.slice(n - m).reverse()]] as const) {
      files.push([name, toPng(extremesGrid(model, splits, gather(splits.test, picked), picked, scores, name.startsWith('most') ? 'most' : 'least', report.score))]);
    }
  }
  for (const [name, bytes] of files) await writeFileAtomic(path.join(dir, name), bytes);
  return files.map(([name]) => path.join(dir, name));
}

/** Inputs over reconstructions of the picked test samples; the title names their classes. */
function extremesGrid(model: Autoencoder, splits: PreparedSplits, picked: Dataset, index: ArrayLike<number>, scores: Float32Array, which: 'most' | 'least', score: ScoreKind) {
  const recon = model.reconstruct(picked.images);
  const hi = scores[index[0]!]!;
  const lo = scores[index[index.length - 1]!]!;
  // The title names each column's class, so a reader sees which classes stand out.
  const classes = Array.from(picked.labels, (l) => labelText(splits, l)).join(' ');
  const title = `${which} anomalous: ${classes} (${score} ${hi.toPrecision(3)} to ${lo.toPrecision(3)})`;
  const rows = [
    { label: 'input', images: displayValues(model, picked.images) },
    { label: 'reconstructed', images: displayValues(model, recon, picked.images) },
  ];
  return comparisonGrid(rows, picked.n, imageSizeOf(model.inputShape)!, title);
}
