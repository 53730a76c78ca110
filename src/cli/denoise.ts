// ae-wasm denoise: test digits corrupted by noise (Gaussian, salt-and-pepper or masking: the
// very corruption training applies, src/train/noise.ts), what the model makes of them, and
// the clean digits, row over row; with the PSNR of the noisy and the denoised samples.

import { Option, type Command } from 'commander';
import { RandomPurpose, RandomStream, streamKey } from '../random/streams.js';
import { checkNoise, corrupt, inputNoiseFor, NOISE_KINDS, recordedNoiseKind, type NoiseKind } from '../train/noise.js';
import { addDataOption, dataFrom, type DataFlags } from './context.js';
import { forwardLabels } from './class-labels.js';
import { modelCommand, type ModelCommandFlags, type ModelCommandRun } from './model-command.js';
import { floatArg, intArg } from './options.js';
import { f32Tensor, writePng, writeTensors } from './output-file.js';
import { displayValues } from './display.js';
import { checkPictureSize, comparisonGrid, comparisonGridSize, imageSizeOf } from './pictures.js';
import { checkPictureModel, perSampleMse, writeSamples } from './sample-output.js';
import { firstTestDigits } from './test-digits.js';
import { requireFinite } from './numeric.js';
import type { Dataset } from '../data/dataset.js';
import type { Autoencoder } from '../models/autoencoder.js';

interface DenoiseFlags extends ModelCommandFlags, Pick<DataFlags, 'labels'> {
  noise?: number;
  noiseKind?: NoiseKind;
  n?: number;
  seed: number;
  data?: string;
  json?: boolean;
}

const DEFAULT_N = 12;

/** Noise levels for models trained without noise of the kind asked for: visible, yet the digits stay readable. */
const FALLBACK_NOISE: Readonly<Record<NoiseKind, number>> = { gaussian: 0.3, 'salt-pepper': 0.1, mask: 0.25 };

export function denoiseCommand(): Command {
  return modelCommand({
    name: 'denoise',
    description:
      'corrupt test samples with noise and show noisy / denoised / clean rows: gaussian (x + F N(0, 1), clipped to [0, 1] for pixel models), ' +
      "salt-pepper (each value the data's min or max with probability F, half each) or mask (each value 0 with probability F)",
    options(cmd) {
      cmd.addOption(new Option('--noise-kind <kind>', "the kind of noise (default: the model's training noise kind, else gaussian)").choices(NOISE_KINDS));
      cmd.option(
        '--noise <f>',
        `noise level F: the stddev (gaussian) or the share of values replaced (salt-pepper, mask; at most 1); default: the model's training ` +
          `level when it trained with this kind, else ${Object.entries(FALLBACK_NOISE).map(([k, v]) => `${k} ${v}`).join(', ')}`,
        floatArg(0, 10),
      );
      cmd.option('--n <n>', `how many test samples, from the start of the test split (default: ${DEFAULT_N}; all for .csv/.npy)`, intArg(1));
      cmd.option('--seed <n>', 'seed of the noise', intArg(0, 2 ** 32 - 1), 0);
      cmd.option('--json', 'print the figures as one JSON object (kind, level, n, mse_* and, for pixel models, psnr_* in dB) instead of the summary line');
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
  const trainedKind = recordedNoiseKind(model.training);
  const kind = flags.noiseKind ?? trainedKind;
  const trained = kind === trainedKind ? (model.training?.noise ?? 0) : 0;
  const level = flags.noise ?? (trained > 0 ? trained : FALLBACK_NOISE[kind]);
  checkNoise(kind, level, { kind: '--noise-kind', level: '--noise' });
  const clean = test.images;
  const size = imageSizeOf(model.inputShape)!;
  const labels = ['noisy', 'denoised', 'clean'] as const;
  const title = `${model.training?.preset ?? 'model'}: denoising, ${kind} noise ${level}`;
  if (format === 'png') checkPictureSize((m) => comparisonGridSize(labels, m, size, title), test.n, `--n ${test.n}`);
  const sampleLabels = forwardLabels(model, splits, test, flags.labels, `denoise with ${flags.model}`);
  const { noisy, denoised, figures } = denoiseSamples(model, clean, splits.test, { kind, level, seed: flags.seed }, flags.model, sampleLabels);
  const defaulted = flags.noise === undefined ? (trained > 0 ? ' (the training noise)' : ` (default: the model was trained without ${kind} noise)`) : '';
  const summary =
    `${kind} noise ${level}${defaulted}: MSE per value vs clean: noisy ${figures.mse_noisy.toFixed(5)}, denoised ${figures.mse_denoised.toFixed(5)}` +
    (figures.psnr_noisy !== undefined
      ? `; PSNR noisy ${figures.psnr_noisy.toFixed(2)} dB, denoised ${figures.psnr_denoised!.toFixed(2)} dB, clean reconstruction ${figures.psnr_clean!.toFixed(2)} dB`
      : '');
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
          { producer: 'ae-wasm denoise', model: flags.model, noise: String(level), noise_kind: kind, seed: String(flags.seed), source: splits.source },
        );
  process.stdout.write(flags.json ? `${JSON.stringify(figures)}\n` : `${summary}\n${message}\n`);
}

/** What denoise reports (--json): MSEs per value against the clean samples, in the model's values. */
export interface DenoiseFigures {
  kind: NoiseKind;
  level: number;
  seed: number;
  n: number;
  mse_noisy: number;
  mse_denoised: number;
  /** The reconstruction of the clean samples. */
  mse_clean: number;
  /** PSNR in dB with peak 1: pixel models only (other models' values have no peak). */
  psnr_noisy?: number;
  psnr_denoised?: number;
  psnr_clean?: number;
}

/**
 * `clean` (n samples from `split`) corrupted as training corrupts (the same noise stream
 * purpose, the same kernels: a seed means one thing everywhere, independent of batch size
 * and backend; salt and pepper are the min and max of the whole split, 0 and 1 for pixel
 * models), the model's reconstructions of the noisy and the clean samples, and the figures.
 * `labels`: the samples' classes, for a model whose graph reads them (a conditional VAE).
 */
export function denoiseSamples(
  model: Autoencoder, clean: Float32Array, split: Dataset, o: { kind: NoiseKind; level: number; seed: number }, file: string,
  labels?: ArrayLike<number>,
): { noisy: Float32Array; denoised: Float32Array; figures: DenoiseFigures } {
  const noise = inputNoiseFor(model, o.kind, o.level, split);
  const stream = new RandomStream(streamKey(o.seed, RandomPurpose.noise));
  const noisy = noise ? corrupt(model.kernels, clean, noise, stream) : Float32Array.from(clean);
  const denoised = requireFinite(model.reconstruct(noisy, labels), model.inputSize, 'reconstruction', file);
  const reconstructed = requireFinite(model.reconstruct(clean, labels), model.inputSize, 'reconstruction', file);
  const mse = (a: Float32Array): number => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += (a[i]! - clean[i]!) ** 2;
    return s / a.length;
  };
  const [noisyMse, denoisedMse, cleanMse] = [mse(noisy), mse(denoised), mse(reconstructed)];
  const figures: DenoiseFigures = {
    ...o, n: clean.length / model.inputSize, mse_noisy: noisyMse, mse_denoised: denoisedMse, mse_clean: cleanMse,
    ...(model.inputsInUnitRange ? { psnr_noisy: psnr(noisyMse), psnr_denoised: psnr(denoisedMse), psnr_clean: psnr(cleanMse) } : {}),
  };
  return { noisy, denoised, figures };
}

/** Peak signal-to-noise ratio of a per-value MSE on values in [0, 1] (peak 1), in dB. */
export function psnr(mse: number): number {
  return 10 * Math.log10(1 / mse);
}
