// ae-wasm interpolate: decode evenly spaced codes on the straight line between two test
// digits' codes (a VAE's z_means), to show how smoothly the code space morphs one into
// the other.

import type { Command } from 'commander';
import { ArgumentError } from '../errors.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { forwardLabels } from './class-labels.js';
import { addDataOption, dataFrom, type DataFlags } from './context.js';
import { addLabelOptions, className, classFrom, classLabels, type LabelFlags } from './label-option.js';
import { modelCommand, type ModelCommandFlags, type ModelCommandRun } from './model-command.js';
import { intArg } from './options.js';
import { f32Tensor, writePng, writeTensors } from './output-file.js';
import { displayValues } from './display.js';
import { checkPictureSize, imageSizeOf, interpolationStrip, interpolationStripSize } from './pictures.js';
import { checkPictureModel, writeSamples } from './sample-output.js';
import { testIndex } from './test-digits.js';
import { requireFinite } from './numeric.js';

interface InterpolateFlags extends ModelCommandFlags, LabelFlags, Pick<DataFlags, 'labels'> {
  from: number;
  to: number;
  steps: number;
  data?: string;
}

export function interpolateCommand(): Command {
  return modelCommand({
    name: 'interpolate',
    description:
      'decode codes evenly spaced on the line from test digit I\'s code to test digit J\'s (a VAE: between their z_means); ' +
      'the picture shows the two originals at the ends',
    options(cmd) {
      cmd.requiredOption('--from <i>', 'index of the first test digit', intArg(0));
      cmd.requiredOption('--to <j>', 'index of the second test digit', intArg(0));
      cmd.option('--steps <k>', 'codes to decode, both ends included (t = 0, 1/(k-1), ..., 1)', intArg(2, 200), 10);
      addDataOption(cmd);
      addLabelOptions(cmd, 'decode the steps as (default: the class both ends share)');
    },
    out: {
      png: 'the strip (image models)',
      safetensors: 'float32 tensors "images" [k, ...input shape], "codes" [k, ...code shape], "originals" [2, ...input shape], as the model sees them',
      csv: "one row per step: t, then the decoded sample in the data's units",
      npy: "the decoded samples in the data's units, float32 [k, ...input shape]",
    },
    run: runInterpolate,
  });
}

async function runInterpolate({ flags, format, model }: ModelCommandRun<InterpolateFlags>): Promise<void> {
  checkPictureModel(model, format, flags.out);
  const splits = await dataFrom(flags, ['test'], model);
  const test = splits.test;
  const ends = [testIndex(splits, flags.from, '--from'), testIndex(splits, flags.to, '--to')] as const;
  const [la, lb] = [test.labels[ends[0]]!, test.labels[ends[1]]!];
  const imageSize = imageSizeOf(model.inputShape)!;
  const title = `${model.training?.preset ?? 'model'}: test #${ends[0]} (a ${la}) to #${ends[1]} (a ${lb})`;
  if (format === 'png') checkPictureSize((m) => interpolationStripSize(m, imageSize, title), flags.steps, `--steps ${flags.steps}`);
  const size = model.inputSize;
  const originals = new Float32Array(2 * size);
  ends.forEach((idx, i) => originals.set(test.images.subarray(idx * size, (idx + 1) * size), i * size));
  // A conditional VAE encodes each end with its own label and decodes every step as one class.
  const endLabels = forwardLabels(model, splits, test, flags.labels, `interpolate with ${flags.model}`);
  const decodeClass = stepClass(flags, model, endLabels ? [endLabels[ends[0]]!, endLabels[ends[1]]!] : null, ends);
  const [a, b] = [0, 1].map((i) => requireFinite(model.encode(originals.subarray(i * size, (i + 1) * size), endLabels ? [endLabels[ends[i]!]!] : undefined), model.codeSize, `code of test digit #${ends[i]}`, flags.model)) as [Float32Array, Float32Array];
  const cs = model.codeSize;
  const t = Array.from({ length: flags.steps }, (_, i) => i / (flags.steps - 1));
  const codes = new Float32Array(flags.steps * cs);
  t.forEach((ti, i) => {
    for (let j = 0; j < cs; j++) codes[i * cs + j] = (1 - ti) * a[j]! + ti * b[j]!;
  });
  const images = requireFinite(model.decode(codes, classLabels(decodeClass, flags.steps)), model.inputSize, 'decoded image', flags.model);
  const message =
    format === 'png'
      ? await writePng(
          flags.out,
          interpolationStrip(
            { images: displayValues(model, originals), captions: [`#${ends[0]} (${la})`, `#${ends[1]} (${lb})`] },
            { images: displayValues(model, images, originals), t },
            imageSize,
            title,
          ),
        )
      : format === 'csv' || format === 'npy'
        ? await writeSamples(flags.out, format, model, images, flags.steps, { featureNames: splits.featureNames, before: [{ name: 't', values: t }] })
        : await writeTensors(
          flags.out,
          [
            f32Tensor('images', images, flags.steps, model.outputShape),
            f32Tensor('codes', codes, flags.steps, model.codeShape),
            f32Tensor('originals', originals, 2, model.inputShape),
          ],
          { producer: 'ae-wasm interpolate', model: flags.model, from: String(ends[0]), to: String(ends[1]), source: splits.source },
        );
  process.stdout.write(message + '\n');
}

/**
 * The class a conditional VAE decodes the steps as: --digit / --label, else the class both
 * ends share (ArgumentError when they differ); null for a model whose decoder reads none.
 */
function stepClass(flags: InterpolateFlags, model: Autoencoder, ends: [number, number] | null, at: readonly [number, number]): number | null {
  const named = classFrom(flags, model, flags.model, 'interpolate', true);
  if (named !== null || !model.decoderReadsLabels) return named;
  if (ends && ends[0] === ends[1]) return ends[0];
  const what = ends ? `test #${at[0]} is a ${className(model, ends[0])} and #${at[1]} a ${className(model, ends[1])}` : 'the ends have no labels';
  throw new ArgumentError(`interpolate: ${flags.model} is a conditional VAE, which decodes every step as one class, but ${what}; pass --digit D or --label NAME`);
}
