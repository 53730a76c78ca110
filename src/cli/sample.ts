// ae-wasm sample: new digits from a VAE's prior, z ~ N(0, I) decoded.

import { Command } from 'commander';
import { addBackendOption, backendFrom } from './context.js';
import { addModelOption, modelFrom, requireVae } from './model-option.js';
import { intArg } from './options.js';
import { addOutOption, f32Tensor, outFormat, writePng, writeTensors } from './output-file.js';
import { tiledGrid } from './pictures.js';

interface SampleFlags {
  model: string;
  n: number;
  seed: number;
  out: string;
  backend: 'wasm' | 'js';
}

export function sampleCommand(): Command {
  const cmd = new Command('sample').description('VAE only: decode n codes drawn from the prior N(0, I)');
  addModelOption(cmd);
  cmd.requiredOption('--n <n>', 'how many samples', intArg(1, 100000));
  cmd.option('--seed <n>', 'seed of the prior draws: the same seed gives the same samples', intArg(0, 2 ** 32 - 1), 0);
  addOutOption(cmd, { png: 'the samples', safetensors: 'float32 tensor "images" [n, 28, 28, 1]' });
  addBackendOption(cmd);
  return cmd.action(async (flags: SampleFlags) => runSample(flags));
}

async function runSample(flags: SampleFlags): Promise<void> {
  const format = outFormat(flags.out, ['png', 'safetensors']);
  const kernels = await backendFrom(flags);
  const model = await modelFrom(flags, kernels);
  requireVae(model, flags.model, 'sample');
  const images = model.sample(flags.n, flags.seed);
  const message =
    format === 'png'
      ? await writePng(
          flags.out,
          tiledGrid(images, flags.n, { height: model.inputShape[0]!, width: model.inputShape[1]! }, `${model.training?.preset ?? 'vae'}: prior samples, seed ${flags.seed}`),
        )
      : await writeTensors(flags.out, [f32Tensor('images', images, flags.n, model.outputShape)], {
          producer: 'ae-wasm sample',
          model: flags.model,
          seed: String(flags.seed),
        });
  process.stdout.write(message + '\n');
}
