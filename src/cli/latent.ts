// ae-wasm latent: where the test digits land in code space, one colour per digit. A code
// of more than two dimensions is shown by its first two principal components: the
// plane through the codes that keeps the most of their spread.

import { Command } from 'commander';
import { fitPca, pcaTransform } from '../analysis/pca.js';
import { scatterPlot } from '../viz/index.js';
import { addBackendOption, addDataOption, backendFrom, dataFrom } from './context.js';
import { addModelOption, modelFrom } from './model-option.js';
import { intArg } from './options.js';
import { addOutOption, outFormat, writePng } from './output-file.js';
import { firstTestDigits } from './test-digits.js';

interface LatentFlags {
  model: string;
  data?: string;
  n?: number;
  out: string;
  backend: 'wasm' | 'js';
}

export function latentCommand(): Command {
  const cmd = new Command('latent').description(
    'scatter plot of the test digits\' codes coloured by digit (a VAE: z_mean); codes of more than 2 dimensions ' +
      'are projected on their first two principal components',
  );
  addModelOption(cmd);
  addDataOption(cmd);
  cmd.option('--n <n>', 'how many test digits, from the start of the test split (default: all)', intArg(1));
  addOutOption(cmd, { png: 'the scatter plot' });
  addBackendOption(cmd);
  return cmd.action(async (flags: LatentFlags) => runLatent(flags));
}

async function runLatent(flags: LatentFlags): Promise<void> {
  outFormat(flags.out, ['png']);
  const kernels = await backendFrom(flags);
  const model = await modelFrom(flags, kernels);
  const splits = await dataFrom(flags);
  const test = firstTestDigits(splits, flags.n);
  const codes = model.encode(test.images);
  const d = model.codeSize;
  const n = test.n;
  const name = model.kind === 'vae' ? 'z_mean' : 'code';
  let x: Float64Array;
  let y: Float64Array;
  let xLabel: string;
  let yLabel: string;
  let how: string;
  if (d === 1) {
    // One dimension has no second axis to spread over; the digit itself separates the classes.
    x = Float64Array.from(codes);
    y = Float64Array.from(test.labels);
    [xLabel, yLabel, how] = [name, 'digit', '1-D code'];
  } else if (d === 2) {
    x = new Float64Array(n);
    y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = codes[2 * i]!;
      y[i] = codes[2 * i + 1]!;
    }
    [xLabel, yLabel, how] = [`${name}[0]`, `${name}[1]`, '2-D code'];
  } else {
    const pca = fitPca(codes, n, d);
    const xy = pcaTransform(pca, codes, n, 2);
    x = new Float64Array(n);
    y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = xy[2 * i]!;
      y[i] = xy[2 * i + 1]!;
    }
    let total = 0;
    for (const v of pca.variances) total += v;
    const share = (c: number): string => (total > 0 ? ` (${((100 * pca.variances[c]!) / total).toFixed(1)}% of variance)` : '');
    [xLabel, yLabel, how] = [`PC 1${share(0)}`, `PC 2${share(1)}`, `${d}-D code, first two principal components`];
  }
  const raster = scatterPlot({
    title: `${model.training?.preset ?? 'model'}: ${n} test digits, ${how}`,
    xLabel,
    yLabel,
    points: { x, y, labels: test.labels },
  });
  process.stdout.write(`plotted ${n} test digits: x = ${xLabel}, y = ${yLabel}\n${await writePng(flags.out, raster)}\n`);
}
