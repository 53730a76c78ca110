// ae-wasm manifold: a 2-D VAE's decoder swept over a size x size grid of codes, the
// figure of Kingma & Welling (2014, fig. 4) and of the Keras VAE example.

import type { Command } from 'commander';
import { manifoldGrid } from '../viz/index.js';
import { displayValues } from './display.js';
import { checkPictureSize, imageSizeOf, manifoldOptions, manifoldSize } from './pictures.js';
import { checkPictureModel, checkSampleOutput, writeSamples } from './sample-output.js';
import { modelCommand, type ModelCommandFlags, type ModelCommandRun } from './model-command.js';
import { requireVae } from './model-option.js';
import { floatArg, intArg } from './options.js';
import { checkTensorOutput, f32Tensor, writePng, writeTensors } from './output-file.js';
import { requireFinite } from './numeric.js';
import { addLabelOptions, classFrom, classLabels, className, type LabelFlags } from './label-option.js';

interface ManifoldFlags extends ModelCommandFlags, LabelFlags {
  size: number;
  extent?: number;
}

export function manifoldCommand(): Command {
  return modelCommand({
    name: 'manifold',
    description: 'VAE with a 2-D latent only: decode a size x size grid of codes, z[0] increasing to the right and z[1] upward',
    options(cmd) {
      cmd.option('--size <n>', 'images per side of the grid', intArg(2, 100), 15);
      cmd.option(
        '--extent <x>',
        'sweep each axis evenly over [-x, x]. Default, as in Kingma & Welling: each axis takes the ' +
          'inverse normal CDF of the evenly spaced quantiles (i + 0.5) / size, so every cell stands ' +
          'for the same prior probability and the grid spans where the prior N(0, I) puts its codes ' +
          '(about [-1.83, 1.83] for 15)',
        floatArg(0, 100, false, true),
      );
      addLabelOptions(cmd, 'the grid decoded as');
    },
    out: {
      png: 'the grid (image models)',
      safetensors: 'float32 tensors "images" [size^2, ...input shape] and "codes" [size^2, 2], row-major from the top-left',
      csv: "one row per grid cell, row-major from the top-left: z0, z1, then the decoded sample in the data's units",
      npy: "the decoded samples in the data's units, float32 [size^2, ...input shape], row-major from the top-left",
    },
    run: runManifold,
  });
}

async function runManifold({ flags, format, model }: ModelCommandRun<ManifoldFlags>): Promise<void> {
  requireVae(model, flags.model, 'manifold', 2);
  checkPictureModel(model, format, flags.out);
  const label = classFrom(flags, model, flags.model, 'manifold');
  const s = flags.size;
  const axis = axisValues(s, flags.extent);
  const lo = axis[0]!.toFixed(2);
  const hi = axis[s - 1]!.toFixed(2);
  const size = imageSizeOf(model.inputShape)!;
  const title = `${model.training?.preset ?? 'vae'}${label === null ? '' : ` class ${className(model, label)}`}: z[0] right, z[1] up, ${lo} to ${hi}${flags.extent === undefined ? ' (normal quantiles)' : ''}`;
  if (format === 'png') checkPictureSize((m) => manifoldSize(m, size, title), s, `--size ${s}`);
  else if (format === 'csv' || format === 'npy') checkSampleOutput(model, format, s * s, 2, `--size ${s}`);
  else checkTensorOutput(s * s, model.inputSize + 2, `--size ${s}`);
  // Row 0 is the top of the picture, so it takes the largest z[1]: up means larger, as on a plot.
  const codes = new Float32Array(s * s * 2);
  for (let row = 0; row < s; row++) {
    for (let col = 0; col < s; col++) {
      codes[(row * s + col) * 2] = axis[col]!;
      codes[(row * s + col) * 2 + 1] = axis[s - 1 - row]!;
    }
  }
  const images = requireFinite(model.decode(codes, classLabels(label, s * s)), model.inputSize, 'decoded image', flags.model);
  const z = (k: number) => ({ name: `z${k}`, values: Float32Array.from({ length: s * s }, (_, i) => codes[i * 2 + k]!) });
  const message =
    format === 'png'
      ? await writePng(flags.out, manifoldGrid(displayValues(model, images), s, manifoldOptions(s, size, title)))
      : format === 'csv' || format === 'npy'
        ? await writeSamples(flags.out, format, model, images, s * s, { before: [z(0), z(1)] })
        : await writeTensors(flags.out, [f32Tensor('images', images, s * s, model.outputShape), f32Tensor('codes', codes, s * s, [2])], {
          producer: 'ae-wasm manifold',
          model: flags.model,
          ...(label === null ? {} : { label: String(label) }),
          grid: flags.extent === undefined ? 'normal quantiles (i + 0.5) / size' : `linear over [-${flags.extent}, ${flags.extent}]`,
        });
  process.stdout.write(message + '\n');
}

/** The code values along one axis, ascending. */
function axisValues(size: number, extent: number | undefined): Float64Array {
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    out[i] = extent === undefined ? inverseNormalCdf((i + 0.5) / size) : -extent + (2 * extent * i) / (size - 1);
  }
  return out;
}

// Acklam's rational approximation of the standard normal quantile (relative error below
// 1.2e-9 on (0, 1)): far beyond what a picture needs, with no dependency.
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

function poly(c: readonly number[], x: number): number {
  let v = 0;
  for (const ci of c) v = v * x + ci;
  return v;
}

/** x with P(N(0, 1) <= x) = p, for 0 < p < 1. */
export function inverseNormalCdf(p: number): number {
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(C, q) / (poly(D, q) * q + 1);
  }
  if (p > 1 - P_LOW) return -inverseNormalCdf(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (poly(A, r) * q) / (poly(B, r) * r + 1);
}
