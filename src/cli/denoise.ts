// ae-wasm denoise: test digits corrupted by noise (Gaussian, salt-and-pepper or masking: the
// very corruption training applies, src/train/noise.ts), what the model makes of them, and
// the clean digits, row over row; with the PSNR of the noisy and the denoised samples.

import { Option, type Command } from 'commander';
import { RandomPurpose, RandomStream, streamKey } from '../random/streams.js';
import { checkNoise, corrupt, inputNoiseFor, NOISE_KINDS, recordedNoiseKind, type NoiseKind } from '../train/noise.js';
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
  // The same stream purpose and computation as training noise, so a seed means one thing
  // everywhere; the counter-based generator makes the noise independent of batch size and
  // backend. Salt and pepper are the min and max of the whole test split (pixel models: 0, 1).
  const noise = inputNoiseFor(model, kind, level, splits.test);
  const stream = new RandomStream(streamKey(flags.seed, RandomPurpose.noise));
  const noisy = noise ? corrupt(model.kernels, clean, noise, stream) : Float32Array.from(clean);
  const denoised = requireFinite(model.reconstruct(noisy), model.inputSize, 'reconstruction', flags.model);
  const mse = (a: Float32Array): number => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += (a[i]! - clean[i]!) ** 2;
    return s / a.length;
  };
  const reconstructed = requireFinite(model.reconstruct(clean), model.inputSize, 'reconstruction', flags.model);
  const defaulted = flags.noise === undefined ? (trained > 0 ? ' (the training noise)' : ` (default: the model was trained without ${kind} noise)`) : '';
  const summary =
    `${kind} noise ${level}${defaulted}: MSE per value vs clean: noisy ${mse(noisy).toFixed(5)}, denoised ${mse(denoised).toFixed(5)}` +
    (model.inputsInUnitRange ? `; PSNR noisy ${psnr(mse(noisy)).toFixed(2)} dB, denoised ${psnr(mse(denoised)).toFixed(2)} dB, clean reconstruction ${psnr(mse(reconstructed)).toFixed(2)} dB` : '');
  const figures: Record<string, string | number> = {
    kind, level, seed: flags.seed, n: test.n, mse_noisy: mse(noisy), mse_denoised: mse(denoised), mse_clean: mse(reconstructed),
    // PSNR with peak 1: pixel models only (other models' values have no peak).
    ...(model.inputsInUnitRange ? { psnr_noisy: psnr(mse(noisy)), psnr_denoised: psnr(mse(denoised)), psnr_clean: psnr(mse(reconstructed)) } : {}),
  };
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

/** Peak signal-to-noise ratio of a per-value MSE on values in [0, 1] (peak 1), in dB. */
export function psnr(mse: number): number {
  return 10 * Math.log10(1 / mse);
}
