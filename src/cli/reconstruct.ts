// ae-wasm reconstruct: test digits, or the user's own PNG pictures of digits, through a
// model: a picture of originals over reconstructions, or the reconstructions as tensors.

import { Option, type Command } from 'commander';
import { AeError, DataError, ShapeError } from '../errors.js';
import { readFileBytes } from '../io/file-node.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { formatShape } from '../nn/tensor.js';
import { decodePng, toMnistInput } from '../viz/index.js';
import { legacyPreprocessing } from '../data/load.js';
import { applyNormalization } from '../data/normalize.js';
import { decodeImage, readImageHeader } from '../data/sources/images-node.js';
import { DEFAULT_DATA_LIMITS } from '../data/sources/types.js';
import { addDataOption, dataFrom } from './context.js';
import { isImageShape } from './display.js';
import { modelCommand, type ModelCommandFlags, type ModelCommandRun } from './model-command.js';
import { intArg } from './options.js';
import { f32Tensor, writePng, writeTensors } from './output-file.js';
import { checkPictureSize, comparisonGrid, comparisonGridSize } from './pictures.js';
import { firstTestDigits } from './test-digits.js';
import { requireFinite } from './numeric.js';

const DEFAULT_N = 16;

interface ReconstructFlags extends ModelCommandFlags {
  data?: string;
  input?: string[];
  n?: number;
}

export function reconstructCommand(): Command {
  return modelCommand({
    name: 'reconstruct',
    description:
      'reconstruct test digits (or PNG pictures of digits) with a model: originals over reconstructions as a .png, or the reconstructions as .safetensors',
    options(cmd) {
      addDataOption(cmd);
      cmd.addOption(
        new Option(
          '--input <picture...>',
          'reconstruct these pictures instead of test samples. For a 28x28x1 digit model, PNGs made MNIST-like first: ' +
            'inverted if dark-on-light, cropped to the ink, scaled into 20 x 20, centred by its centre of mass in 28 x 28; ' +
            "for any other image model, PNG, JPEG or WebP resized to the model's input (stretched to fit, as image folders are)",
        ).conflicts(['data', 'n']),
      );
      cmd.option('--n <n>', `how many test digits, from the start of the test split (default ${DEFAULT_N})`, intArg(1));
    },
    out: { png: 'originals over reconstructions', safetensors: 'the reconstructions as float32 tensor "images" [n, 28, 28, 1]' },
    inputs: (flags) => (flags.input ?? []).map((file) => ({ flag: '--input', file })),
    run: runReconstruct,
  });
}

async function runReconstruct({ flags, format, model }: ModelCommandRun<ReconstructFlags>): Promise<void> {
  let originals: Float32Array;
  let n: number;
  let origin: string;
  if (flags.input) {
    originals = await readPictures(flags.input, model);
    n = flags.input.length;
    origin = `${n} PNG input${n === 1 ? '' : 's'}`;
  } else {
    const splits = await dataFrom(flags, ['test'], model);
    const test = firstTestDigits(splits, flags.n, DEFAULT_N);
    originals = test.images;
    n = test.n;
    origin = `the first ${n} test digits of ${splits.source}`;
  }
  const name = model.training?.preset ?? 'model';
  const size = { height: model.inputShape[0]!, width: model.inputShape[1]!, channels: 1 as const };
  const labels = [flags.input ? 'input' : 'original', 'reconstructed'];
  const title = `${name}: ${flags.input ? 'PNG inputs' : 'test digits'}`;
  if (format === 'png') checkPictureSize((m) => comparisonGridSize(labels, m, size, title), n, flags.input ? `${n} --input files` : `--n ${n}`);
  const recon = requireFinite(model.reconstruct(originals), model.inputSize, 'reconstruction', flags.model);
  let sq = 0;
  for (let i = 0; i < recon.length; i++) sq += (recon[i]! - originals[i]!) ** 2;
  const mse = `MSE per pixel ${(sq / recon.length).toFixed(6)} over ${origin}`;
  const message =
    format === 'png'
      ? await writePng(
          flags.out,
          comparisonGrid(
            [
              { label: labels[0]!, images: originals },
              { label: labels[1]!, images: recon },
            ],
            n,
            size,
            title,
          ),
        )
      : await writeTensors(flags.out, [f32Tensor('images', recon, n, model.outputShape)], {
          producer: 'ae-wasm reconstruct',
          model: flags.model,
          source: flags.input ? flags.input.join(', ') : origin,
        });
  process.stdout.write(`${mse}\n${message}\n`);
}

/**
 * Each picture as the model's input. A 28x28x1 model is a digit model: MNIST's own
 * preparation (PNG). Any other image model takes PNG, JPEG or WebP resized to its H x W
 * (fit "fill", as image-folder sources are) in its channels, then its preprocessing.
 */
async function readPictures(files: readonly string[], model: Autoencoder): Promise<Float32Array> {
  if (formatShape(model.inputShape) === '[28, 28, 1]') return readPngDigits(files, model);
  const [h, w, c] = model.inputShape;
  if (!isImageShape(model.inputShape) || model.inputShape.length !== 3) {
    throw new ShapeError(`--input takes pictures, but this model takes samples of shape ${formatShape(model.inputShape)}; give them with --data`);
  }
  const pixels = new Uint8Array(files.length * model.inputSize);
  for (const [i, file] of files.entries()) {
    const bytes = await readFileBytes(file, DEFAULT_DATA_LIMITS.maxImageFileBytes);
    const header = await readImageHeader(bytes, file, DEFAULT_DATA_LIMITS.maxImagePixels);
    pixels.set(await decodeImage(bytes, header, h!, w!, c as 1 | 3, DEFAULT_DATA_LIMITS.maxImagePixels), i * model.inputSize);
  }
  return applyNormalization(model.preprocessing ?? legacyPreprocessing('uint8', model.inputShape), pixels);
}

/** Decodes and preprocesses each PNG as an MNIST digit; every error names the file it came from. */
async function readPngDigits(files: readonly string[], model: Autoencoder): Promise<Float32Array> {
  const size = model.inputSize;
  const out = new Float32Array(files.length * size);
  for (const [i, file] of files.entries()) {
    const image = decodePng(await readFileBytes(file), file);
    try {
      out.set(toMnistInput(image), i * size);
    } catch (err) {
      if (!(err instanceof AeError)) throw err;
      // The preprocessor does not know the file name; its own prefix is noise to a CLI user.
      throw new DataError(`${file}: cannot read a digit from this picture: ${err.message.replace(/^toMnistInput: /, '')}`, { cause: err });
    }
  }
  return out;
}
