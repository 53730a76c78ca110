// ae-wasm eval: reconstruction metrics of a model on the test split.

import { Command } from 'commander';
import type { Dataset } from '../data/dataset.js';
import { NumericError } from '../errors.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { evaluate, type Metrics } from '../train/evaluate.js';
import { recordedNoiseKind } from '../train/noise.js';
import { addBackendOption, addDataOption, backendFrom, dataFrom } from './context.js';
import { addModelOption, modelFrom } from './model-option.js';
import { firstNonFinite, largestValue, OVERFLOW_CAUSE } from './numeric.js';

interface EvalFlags {
  model: string;
  data?: string;
  backend: 'wasm' | 'js';
  json?: boolean;
}

/** The metrics eval reports: the model-space ones and the MSE in the data's own units. */
type EvalMetrics = Metrics & { mse_data: number };

const LABELS: Record<keyof EvalMetrics, string> = {
  n: 'test samples',
  mse: 'MSE per value',
  mse_data: 'MSE per value, data units',
  bce: 'BCE per pixel',
  denoise_mse: 'denoising MSE per pixel',
  nelbo: 'negative ELBO (nats/image)',
};

export function evalCommand(): Command {
  const cmd = new Command('eval').description('evaluate a model on the test split (MSE, BCE; denoising MSE and negative ELBO where they apply)');
  addModelOption(cmd);
  addDataOption(cmd);
  addBackendOption(cmd);
  cmd.option('--json', 'print the metrics as one JSON object');
  return cmd.action(async (flags: EvalFlags) => {
    const kernels = await backendFrom(flags);
    const model = await modelFrom(flags, kernels);
    const splits = await dataFrom(flags, ['test'], model);
    const base = evaluate(model, splits.test, { noise: model.training?.noise ?? 0, noiseKind: recordedNoiseKind(model.training) });
    checkMetrics(base, model, splits.test, flags.model);
    const { n, mse, ...rest } = base;
    const metrics: EvalMetrics = { n, mse, mse_data: dataMse(model, splits.test), ...rest };
    if (flags.json) {
      process.stdout.write(JSON.stringify(metrics) + '\n');
      return;
    }
    const rows = (Object.keys(metrics) as (keyof EvalMetrics)[]).map((key) => {
      const v = metrics[key]!;
      return [LABELS[key], key === 'n' ? String(v) : key === 'nelbo' ? v.toFixed(2) : v.toFixed(6)] as const;
    });
    const w = rows.reduce((m, r) => Math.max(m, r[0].length), 0);
    process.stdout.write(`${flags.model} on ${splits.source}\n`);
    for (const [label, value] of rows) process.stdout.write(`  ${label.padEnd(w)}  ${value}\n`);
  });
}

/** MSE between the test samples and their reconstructions, both taken back to the data's units. */
function dataMse(model: Autoencoder, test: Dataset): number {
  const recon = model.denormalize(model.reconstruct(test.images));
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
function checkMetrics(metrics: Metrics, model: Autoencoder, test: Dataset, file: string): void {
  const bad = (Object.keys(metrics) as (keyof Metrics)[]).find((k) => k !== 'n' && !(metrics[k]! >= 0 && Number.isFinite(metrics[k])));
  if (bad === undefined) return;
  const found = `${file}: ${bad} is ${metrics[bad]} on the ${test.n} test images`;
  const size = model.inputSize;
  const recon = model.reconstruct(test.images);
  let where = firstNonFinite(recon, size, 'reconstruction');
  if (!where && model.kind === 'vae') {
    const { codes, logVar } = model.encodeWithLogVar(test.images);
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
