// ae-wasm sample: new digits from a VAE's prior, z ~ N(0, I) decoded.

import type { Command } from 'commander';
import { modelCommand, type ModelCommandFlags, type ModelCommandRun } from './model-command.js';
import { requireVae } from './model-option.js';
import { intArg } from './options.js';
import { checkTensorOutput, f32Tensor, writePng, writeTensors } from './output-file.js';
import { checkPictureSize, tiledGrid, tiledGridSize } from './pictures.js';
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
    out: { png: 'the samples', safetensors: 'float32 tensor "images" [n, 28, 28, 1]' },
    run: runSample,
  });
}

async function runSample({ flags, format, model }: ModelCommandRun<SampleFlags>): Promise<void> {
  requireVae(model, flags.model, 'sample');
  const size = { height: model.inputShape[0]!, width: model.inputShape[1]!, channels: 1 as const };
  const title = `${model.training?.preset ?? 'vae'}: prior samples, seed ${flags.seed}`;
  if (format === 'png') checkPictureSize((m) => tiledGridSize(m, size, title), flags.n, `--n ${flags.n}`);
  else checkTensorOutput(flags.n, model.inputSize, `--n ${flags.n}`);
  const images = requireFinite(model.sample(flags.n, flags.seed), model.inputSize, 'decoded image', flags.model);
  const message =
    format === 'png'
      ? await writePng(
          flags.out,
          tiledGrid(images, flags.n, size, title),
        )
      : await writeTensors(flags.out, [f32Tensor('images', images, flags.n, model.outputShape)], {
          producer: 'ae-wasm sample',
          model: flags.model,
          seed: String(flags.seed),
        });
  process.stdout.write(message + '\n');
}
