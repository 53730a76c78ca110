// ae-wasm sample: new digits from a VAE's prior, z ~ N(0, I) decoded.

import type { Command } from 'commander';
import { modelCommand, type ModelCommandFlags, type ModelCommandRun } from './model-command.js';
import { requireVae } from './model-option.js';
import { intArg } from './options.js';
import { checkTensorOutput, f32Tensor, writePng, writeTensors } from './output-file.js';
import { displayValues } from './display.js';
import { checkPictureSize, imageSizeOf, tiledGrid, tiledGridSize } from './pictures.js';
import { checkPictureModel, checkSampleOutput, SAMPLE_OUTPUTS, writeSamples } from './sample-output.js';
import { requireFinite } from './numeric.js';

interface SampleFlags extends ModelCommandFlags {
  n: number;
  seed: number;
}

export function sampleCommand(): Command {
  return modelCommand({
    name: 'sample',
    description: 'VAE only: decode n codes drawn from the prior N(0, I)',
    options(cmd) {
      cmd.requiredOption('--n <n>', 'how many samples', intArg(1, 100000));
      cmd.option('--seed <n>', 'seed of the prior draws: the same seed gives the same samples', intArg(0, 2 ** 32 - 1), 0);
    },
    out: { png: 'the samples (image models)', safetensors: 'float32 tensor "images" [n, ...input shape], as the model computes them', ...SAMPLE_OUTPUTS },
    run: runSample,
  });
}

async function runSample({ flags, format, model }: ModelCommandRun<SampleFlags>): Promise<void> {
  requireVae(model, flags.model, 'sample');
  checkPictureModel(model, format, flags.out);
  const size = imageSizeOf(model.inputShape)!;
  const title = `${model.training?.preset ?? 'vae'}: prior samples, seed ${flags.seed}`;
  if (format === 'png') checkPictureSize((m) => tiledGridSize(m, size, title), flags.n, `--n ${flags.n}`);
  else if (format === 'csv' || format === 'npy') checkSampleOutput(model, format, flags.n, 0, `--n ${flags.n}`);
  else checkTensorOutput(flags.n, model.inputSize, `--n ${flags.n}`);
  const images = requireFinite(model.sample(flags.n, flags.seed), model.inputSize, 'decoded image', flags.model);
  const message =
    format === 'png'
      ? await writePng(flags.out, tiledGrid(displayValues(model, images), flags.n, size, title))
      : format === 'csv' || format === 'npy'
        ? await writeSamples(flags.out, format, model, images, flags.n)
        : await writeTensors(flags.out, [f32Tensor('images', images, flags.n, model.outputShape)], {
          producer: 'ae-wasm sample',
          model: flags.model,
          seed: String(flags.seed),
        });
  process.stdout.write(message + '\n');
}
