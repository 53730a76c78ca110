// ae-wasm sample: new digits from a VAE's prior, z ~ N(0, I) decoded; a conditional VAE's
// given a class (--digit, --label), or every class (--grid: one row per class, the same n
// codes in every row, so a column holds one style across the classes).

import type { Command } from 'commander';
import { ArgumentError } from '../errors.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { modelCommand, type ModelCommandFlags, type ModelCommandRun } from './model-command.js';
import { requireVae } from './model-option.js';
import { intArg } from './options.js';
import { checkTensorOutput, f32Tensor, writePng, writeTensors } from './output-file.js';
import { displayValues } from './display.js';
import { checkPictureSize, comparisonGrid, comparisonGridSize, imageSizeOf, tiledGrid, tiledGridSize, type ImageSize } from './pictures.js';
import type { Raster } from '../viz/index.js';
import { checkPictureModel, checkSampleOutput, SAMPLE_OUTPUTS, writeSamples } from './sample-output.js';
import { requireFinite } from './numeric.js';
import { addLabelOptions, classFrom, classLabels, className, requireConditional, type LabelFlags } from './label-option.js';

interface SampleFlags extends ModelCommandFlags, LabelFlags {
  n: number;
  seed: number;
  grid?: boolean;
}

export function sampleCommand(): Command {
  return modelCommand({
    name: 'sample',
    description: 'VAE only: decode n codes drawn from the prior N(0, I) (a conditional VAE: of one class, or --grid for every class)',
    options(cmd) {
      cmd.requiredOption('--n <n>', 'how many samples (with --grid: per class)', intArg(1, 100000));
      cmd.option('--seed <n>', 'seed of the prior draws: the same seed gives the same samples', intArg(0, 2 ** 32 - 1), 0);
      addLabelOptions(cmd, 'samples');
      cmd.option('--grid', 'conditional VAE: one row per class, the same n prior codes decoded in every row (a column is one style)');
    },
    out: {
      png: 'the samples (image models; --grid: one labelled row per class)',
      safetensors: 'float32 tensor "images" [n, ...input shape], as the model computes them (--grid: [classes x n, ...], row by row)',
      ...SAMPLE_OUTPUTS,
      csv: `${SAMPLE_OUTPUTS.csv}; a conditional VAE's rows start with the label`,
    },
    run: runSample,
  });
}

/** The codes a run decodes (the same n prior codes in every row of a grid) and each one's class (a conditional VAE). */
function draw(flags: SampleFlags, model: Autoencoder, label: number | null): { codes: Float32Array; labels: Int32Array | undefined } {
  const z = model.priorCodes(flags.n, flags.seed);
  if (!flags.grid) return { codes: z, labels: classLabels(label, flags.n) };
  const k = model.labelCount!;
  const codes = new Float32Array(k * z.length);
  for (let c = 0; c < k; c++) codes.set(z, c * z.length);
  return { codes, labels: Int32Array.from({ length: k * flags.n }, (_, i) => Math.floor(i / flags.n)) };
}

async function runSample({ flags, format, model }: ModelCommandRun<SampleFlags>): Promise<void> {
  requireVae(model, flags.model, 'sample');
  checkPictureModel(model, format, flags.out);
  if (flags.grid) {
    if (flags.digit !== undefined || flags.label !== undefined) throw new ArgumentError('sample --grid draws every class; leave out --digit / --label (or drop --grid for one class)');
    requireConditional(model, flags.model, 'sample', '--grid');
  }
  const label = flags.grid ? null : classFrom(flags, model, flags.model, 'sample');
  const rows = flags.grid ? Array.from({ length: model.labelCount! }, (_, c) => className(model, c)) : null;
  const total = (rows?.length ?? 1) * flags.n;
  const preset = model.training?.preset ?? 'vae';
  const title = `${preset}: prior samples${rows ? ', one row per class' : label === null ? '' : ` of class ${className(model, label)}`}, seed ${flags.seed}`;
  const size = imageSizeOf(model.inputShape)!;
  const what = `--n ${flags.n}${rows ? ' --grid' : ''}`;
  if (format === 'png' && rows) checkPictureSize((m) => comparisonGridSize(rows, m, size, title), flags.n, what);
  else if (format === 'png') checkPictureSize((m) => tiledGridSize(m, size, title), flags.n, what);
  else if (format === 'csv' || format === 'npy') checkSampleOutput(model, format, total, model.decoderReadsLabels ? 1 : 0, what);
  else checkTensorOutput(total, model.inputSize, what);
  const { codes, labels } = draw(flags, model, label);
  const images = requireFinite(model.decode(codes, labels), model.inputSize, 'decoded image', flags.model);
  const message =
    format === 'png'
      ? await writePng(flags.out, samplePicture(displayValues(model, images), rows, flags.n, model.inputSize, size, title))
      : format === 'csv' || format === 'npy'
        ? await writeSamples(flags.out, format, model, images, total, labels ? { before: [{ name: 'label', values: labels }] } : {})
        : await writeTensors(flags.out, [f32Tensor('images', images, total, model.outputShape)], {
          producer: 'ae-wasm sample',
          model: flags.model,
          seed: String(flags.seed),
          ...(rows ? { labels: `rows of ${flags.n}, classes 0..${rows.length - 1} in order` } : label !== null ? { label: String(label) } : {}),
        });
  process.stdout.write(message + '\n');
}

/** The samples tiled, or a grid's labelled rows of n. */
function samplePicture(shown: Float32Array, rows: string[] | null, n: number, per: number, size: ImageSize, title: string): Raster {
  if (!rows) return tiledGrid(shown, n, size, title);
  return comparisonGrid(rows.map((r, c) => ({ label: r, images: shown.subarray(c * n * per, (c + 1) * n * per) })), n, size, title);
}
