// ae-wasm latent: where the test digits land in code space, one colour per digit. A code
// of more than two dimensions is shown by its first two principal components: the
// plane through the codes that keeps the most of their spread.

import type { Command } from 'commander';
import { fitPca, pcaTransform } from '../analysis/pca.js';
import { classCount } from '../data/dataset.js';
import { scatterPlot } from '../viz/index.js';
import { addDataOption, dataFrom, type DataFlags } from './context.js';
import { forwardLabels } from './class-labels.js';
import { modelCommand, type ModelCommandFlags, type ModelCommandRun } from './model-command.js';
import { intArg } from './options.js';
import { writePng } from './output-file.js';
import { firstTestDigits } from './test-digits.js';
import { requireFinite } from './numeric.js';

interface LatentFlags extends ModelCommandFlags {
  data?: string;
  n?: number;
}

export function latentCommand(): Command {
  return modelCommand({
    name: 'latent',
    description:
      'scatter plot of the test digits\' codes coloured by digit (a VAE: z_mean); codes of more than 2 dimensions ' +
      'are projected on their first two principal components',
    options(cmd) {
      addDataOption(cmd);
      cmd.option('--n <n>', 'how many test digits, from the start of the test split (default: all)', intArg(1));
    },
    out: { png: 'the scatter plot' },
    run: runLatent,
  });
}

async function runLatent({ flags, model }: ModelCommandRun<LatentFlags>): Promise<void> {
  const splits = await dataFrom(flags, ['test'], model);
  const test = firstTestDigits(splits, flags.n);
  const codes = requireFinite(model.encode(test.images, forwardLabels(model, splits, test, (flags as DataFlags).labels, `latent of ${flags.model}`)), model.codeSize, model.kind === 'vae' ? 'z_mean' : 'code', flags.model);
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
    // The split's class count (largest label + 1, at most MAX_CLASSES as loading checks),
    // not the first n digits': the legend and colours stay the same whatever --n is.
    classNames: Array.from({ length: Math.max(1, classCount(splits.test.labels)) }, (_, c) => String(c)),
  });
  process.stdout.write(`plotted ${n} test digits: x = ${xLabel}, y = ${yLabel}\n${await writePng(flags.out, raster)}\n`);
}
