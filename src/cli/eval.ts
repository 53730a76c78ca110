// ae-wasm eval: reconstruction metrics of a model on the test split and, for a model with
// a classifier (models/classifier.ts), its accuracy, per-class accuracy and confusion
// matrix (--confusion FILE.png draws it).

import { Command } from 'commander';
import path from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { ArgumentError, NumericError } from '../errors.js';
import { writeFileAtomic } from '../io/file-node.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { requireClassifier } from '../models/classifier.js';
import { evaluateWithConfusion, reconstructs, type Metrics } from '../train/evaluate.js';
import { classificationReport, type ConfusionMatrix } from '../train/metrics.js';
import { recordedNoiseKind } from '../train/noise.js';
import { confusionPng } from '../viz/confusion.js';
import { forwardLabels, requireLabels } from './class-labels.js';
import { addBackendOption, addDataOption, backendFrom, backendNote, dataFrom, type BackendFlags, type DataFlags } from './context.js';
import { addModelOption, modelFrom } from './model-option.js';
import { firstNonFinite, largestValue, OVERFLOW_CAUSE } from './numeric.js';
import { checkOutputFile } from './output-file.js';

interface EvalFlags extends BackendFlags, DataFlags {
  model: string;
  json?: boolean;
  confusion?: string;
}

/**
 * The metrics eval reports: the model-space ones and the MSE in the data's own units; a
 * model whose output is its classifier (ae-wasm classify) reconstructs nothing: n only.
 */
type EvalMetrics = Partial<Omit<Metrics, 'accuracy'> & { mse_data: number }> & { n: number };
/** What a model with a classifier adds (classificationReport's fields; per_class_accuracy null for a class without test samples). */
type ClassifierMetrics = { accuracy: number | null; per_class_accuracy: (number | null)[]; confusion: number[][]; no_prediction?: number[] };

const LABELS: Record<keyof EvalMetrics, string> = {
  n: 'test samples',
  mse: 'MSE per value',
  mse_data: 'MSE per value, data units',
  bce: 'BCE per pixel',
  denoise_mse: 'denoising MSE per pixel',
  nelbo: 'negative ELBO (nats/image)',
};

export function evalCommand(): Command {
  const cmd = new Command('eval').description('evaluate a model on the test split (MSE, BCE; denoising MSE, negative ELBO and a classifier\'s accuracy where they apply)');
  addModelOption(cmd);
  addDataOption(cmd);
  addBackendOption(cmd);
  cmd.option('--json', 'print the metrics as one JSON object (a model with a classifier adds accuracy, per_class_accuracy and confusion, rows the true class)');
  cmd.option('--confusion <file.png>', "a model with a classifier: draw the test split's confusion matrix (rows true class, columns predicted)");
  return cmd.action(async (flags: EvalFlags) => {
    if (flags.confusion !== undefined) {
      if (path.extname(flags.confusion).toLowerCase() !== '.png') throw new ArgumentError(`--confusion ${flags.confusion}: expected a file name ending in .png`);
      await checkOutputFile(flags.confusion, [{ flag: '--model', file: flags.model }], 'confusion.png', '--confusion');
    }
    const kernels = await backendFrom(flags);
    const model = await modelFrom(flags, kernels);
    if (flags.confusion !== undefined) requireClassifier(model.architecture.graph, model.chains.keys(), '--confusion', flags.model);
    const splits = await dataFrom(flags, ['test'], model);
    if (model.classifier !== null) requireLabels(splits, flags.labels, `eval of ${flags.model} (a model with a classifier)`);
    const { metrics: base, confusion } = evaluateWithConfusion(model, splits.test, { noise: model.training?.noise ?? 0, noiseKind: recordedNoiseKind(model.training) });
    let metrics: EvalMetrics = { n: base.n };
    if (reconstructs(model)) {
      const labels = forwardLabels(model, splits, splits.test, flags.labels, `eval of ${flags.model}`);
      checkMetrics(base, model, splits.test, labels, flags.model);
      const { n, mse, ...rest } = base;
      delete rest.accuracy;
      metrics = { n, mse, mse_data: dataMse(model, splits.test, labels), ...rest };
    }
    const classes: ClassifierMetrics | null = confusion ? classifierMetrics(confusion) : null;
    const names = splits.labelNames?.length === model.labelCount ? splits.labelNames : undefined;
    if (flags.confusion !== undefined) {
      const title = `${model.training?.preset ?? path.basename(flags.model)}: test accuracy ${classes!.accuracy?.toFixed(4) ?? 'n/a'}`;
      await writeFileAtomic(flags.confusion, confusionPng(confusion!, { ...(names ? { names } : {}), title }));
    }
    if (flags.json) {
      process.stdout.write(JSON.stringify({ ...metrics, ...classes }) + '\n');
      return;
    }
    const rows = (Object.keys(metrics) as (keyof EvalMetrics)[]).map((key) => {
      const v = metrics[key]!;
      return [LABELS[key], key === 'n' ? String(v) : key === 'nelbo' ? v.toFixed(2) : v.toFixed(6)] as const;
    });
    const w = rows.reduce((m, r) => Math.max(m, r[0].length), 0);
    process.stdout.write(`${flags.model} on ${splits.source}, ${backendNote(kernels)}\n`);
    for (const [label, value] of rows) process.stdout.write(`  ${label.padEnd(w)}  ${value}\n`);
    if (classes) {
      const perClass = classes.per_class_accuracy.map((a, c) => `${names?.[c] ?? c} ${a === null ? 'n/a' : a.toFixed(3)}`);
      process.stdout.write(`  ${'accuracy'.padEnd(w)}  ${classes.accuracy?.toFixed(6) ?? 'n/a'}\n  per class: ${perClass.join(', ')}\n`);
    }
    if (flags.confusion !== undefined) process.stdout.write(`wrote ${flags.confusion}\n`);
  });
}

/** classificationReport's fields; no_prediction (per true class, samples whose logits held a NaN) only when there are such samples. */
function classifierMetrics(cm: ConfusionMatrix): ClassifierMetrics {
  const { no_prediction, ...report } = classificationReport(cm);
  return no_prediction.some((c) => c > 0) ? { ...report, no_prediction } : report;
}

/** MSE between the test samples and their reconstructions, both taken back to the data's units. */
function dataMse(model: Autoencoder, test: Dataset, labels: Uint8Array | undefined): number {
  const recon = model.denormalize(model.reconstruct(test.images, labels));
  const data = model.denormalize(test.images);
  let sq = 0;
  for (let i = 0; i < data.length; i++) sq += (recon[i]! - data[i]!) ** 2;
  return sq / data.length;
}

/**
 * Every metric is an error, a cross-entropy or an ELBO: finite and >= 0 whenever the
 * model's outputs are finite (BCE clips them to [1e-7, 1 - 1e-7] as Keras does, so each
 * pixel's term is >= 0 for targets in [0, 1]). Anything else is a NumericError naming the
 * metric and, found by recomputing the outputs, the first sample that went wrong.
 */
function checkMetrics(metrics: Metrics, model: Autoencoder, test: Dataset, labels: Uint8Array | undefined, file: string): void {
  const bad = (Object.keys(metrics) as (keyof Metrics)[]).find((k) => k !== 'n' && !(metrics[k]! >= 0 && Number.isFinite(metrics[k])));
  if (bad === undefined) return;
  const found = `${file}: ${bad} is ${metrics[bad]} on the ${test.n} test images`;
  const size = model.inputSize;
  const recon = model.reconstruct(test.images, labels);
  let where = firstNonFinite(recon, size, 'reconstruction');
  if (!where && model.kind === 'vae') {
    const { codes, logVar } = model.encodeWithLogVar(test.images, labels);
    where = firstNonFinite(codes, model.codeSize, 'z_mean') ?? firstNonFinite(logVar!, model.codeSize, 'z_log_var');
    // exp(z_log_var) past float32's range makes the KL term (and the sampled z) infinite.
    const top = largestValue(logVar!, model.codeSize);
    if (!where && top.value > 88) where = `z_log_var of sample ${top.sample} is ${top.value}, whose exp overflows float32`;
  }
  if (!where) {
    // Finite outputs whose squared errors still overflow the float32 sums.
    const top = largestValue(recon, size);
    where = `the largest output is ${top.value} (sample ${top.sample})`;
  }
  throw new NumericError(`${found}: ${where}; ${OVERFLOW_CAUSE}`);
}
