// ae-wasm denoise: test digits with Gaussian noise added, what the model makes of them,
// and the clean digits, row over row.

import type { Command } from 'commander';
import { RandomPurpose, RandomStream, streamKey } from '../random/streams.js';
import { normalAt } from '../random/generator.js';
import { addDataOption, dataFrom } from './context.js';
import { modelCommand, type ModelCommandFlags, type ModelCommandRun } from './model-command.js';
import { floatArg, intArg } from './options.js';
import { f32Tensor, writePng, writeTensors } from './output-file.js';
import { displayValues } from './display.js';
import { checkPictureSize, comparisonGrid, comparisonGridSize, imageSizeOf } from './pictures.js';
import { checkPictureModel, perSampleMse, writeSamples } from './sample-output.js';
import { firstTestDigits } from './test-digits.js';
import { requireFinite } from './numeric.js';

interface DenoiseFlags extends ModelCommandFlags {
  noise?: number;
  n?: number;
  seed: number;
  data?: string;
}

const DEFAULT_N = 12;

/** Noise level for models trained without noise: visible, yet the digits stay readable. */
const FALLBACK_NOISE = 0.3;

export function denoiseCommand(): Command {
  return modelCommand({
    name: 'denoise',
    description: 'add Gaussian noise to test samples (x + F * N(0, 1), clipped to [0, 1] for pixel models) and show noisy / denoised / clean rows',
    options(cmd) {
      cmd.option('--noise <f>', `noise stddev F (default: the model's training noise, or ${FALLBACK_NOISE} if it had none)`, floatArg(0, 10));
      cmd.option('--n <n>', `how many test samples, from the start of the test split (default: ${DEFAULT_N}; all for .csv/.npy)`, intArg(1));
      cmd.option('--seed <n>', 'seed of the noise', intArg(0, 2 ** 32 - 1), 0);
      addDataOption(cmd);
    },
    out: {
      png: 'the three rows (image models)',
      safetensors: 'float32 tensors "noisy", "denoised", "clean" [n, ...input shape], as the model sees them',
      csv: "the denoised samples in the data's units, each row with its mse_noisy and mse_denoised against the clean sample",
      npy: "the denoised samples in the data's units, float32 [n, ...input shape]",
    },
    run: runDenoise,
  });
}

async function runDenoise({ flags, format, model }: ModelCommandRun<DenoiseFlags>): Promise<void> {
  checkPictureModel(model, format, flags.out);
  const splits = await dataFrom(flags, ['test'], model);
  const test = firstTestDigits(splits, flags.n, format === 'csv' || format === 'npy' ? undefined : DEFAULT_N);
  const trained = model.training?.noise ?? 0;
  const level = flags.noise ?? (trained > 0 ? trained : FALLBACK_NOISE);
  const clean = test.images;
  const size = imageSizeOf(model.inputShape)!;
  const labels = ['noisy', 'denoised', 'clean'] as const;
  const title = `${model.training?.preset ?? 'model'}: denoising, noise ${level}`;
  if (format === 'png') checkPictureSize((m) => comparisonGridSize(labels, m, size, title), test.n, `--n ${test.n}`);
  // The same stream purpose as training noise, so a seed means one thing everywhere; the
  // counter-based generator makes the noise independent of batch size and backend.
  const stream = new RandomStream(streamKey(flags.seed, RandomPurpose.noise));
  const first = stream.take(clean.length);
  const noisy = new Float32Array(clean.length);
  // Clipped to [0, 1] where the model's inputs live there (pixels), not for standardised data.
  const [lo, hi] = model.inputsInUnitRange ? [0, 1] : [-Infinity, Infinity];
  for (let i = 0; i < clean.length; i++) noisy[i] = Math.min(hi, Math.max(lo, clean[i]! + level * normalAt(stream.key, first + i)));
  const denoised = requireFinite(model.reconstruct(noisy), model.inputSize, 'reconstruction', flags.model);
  const mse = (a: Float32Array): number => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += (a[i]! - clean[i]!) ** 2;
    return s / a.length;
  };
  const summary =
    `noise ${level}${flags.noise === undefined ? (trained > 0 ? ' (the training noise)' : ` (default: the model was trained without noise)`) : ''}: ` +
    `MSE per value vs clean: noisy ${mse(noisy).toFixed(5)}, denoised ${mse(denoised).toFixed(5)}`;
  // Per-row errors, for the CSV's columns only.
  const after = () => [
    { name: 'mse_noisy', values: perSampleMse(noisy, clean, model.inputSize) },
    { name: 'mse_denoised', values: perSampleMse(denoised, clean, model.inputSize) },
  ];
  const message =
    format === 'png'
      ? await writePng(
          flags.out,
          comparisonGrid(
            [
              { label: labels[0], images: displayValues(model, noisy, clean) },
              { label: labels[1], images: displayValues(model, denoised, clean) },
              { label: labels[2], images: displayValues(model, clean) },
            ],
            test.n,
            size,
            title,
          ),
        )
      : format === 'csv' || format === 'npy'
        ? await writeSamples(flags.out, format, model, denoised, test.n, { featureNames: splits.featureNames, ...(format === 'csv' ? { after: after() } : {}) })
        : await writeTensors(
          flags.out,
          [
            f32Tensor('noisy', noisy, test.n, model.inputShape),
            f32Tensor('denoised', denoised, test.n, model.outputShape),
            f32Tensor('clean', clean, test.n, model.inputShape),
          ],
          { producer: 'ae-wasm denoise', model: flags.model, noise: String(level), seed: String(flags.seed), source: splits.source },
        );
  process.stdout.write(`${summary}\n${message}\n`);
}
