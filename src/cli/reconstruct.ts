// ae-wasm reconstruct: test samples, or the user's own pictures, through a model: a picture of
// originals over reconstructions, the reconstructions as tensors, or as .csv / .npy numbers.

import { Option, type Command } from 'commander';
import { AeError, ArgumentError, DataError, ShapeError } from '../errors.js';
import { readFileBytes } from '../io/file-node.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { formatShape } from '../nn/tensor.js';
import { decodePng, toMnistInput } from '../viz/index.js';
import { legacyPreprocessing } from '../data/load.js';
import { applyNormalization } from '../data/normalize.js';
import { decodeImage, readImageHeader } from '../data/sources/images-node.js';
import { DEFAULT_DATA_LIMITS } from '../data/sources/types.js';
import { addDataOption, dataFrom, type DataFlags } from './context.js';
import { forwardLabels } from './class-labels.js';
import { addLabelOptions, classFrom, classLabels, type LabelFlags } from './label-option.js';
import { displayValues, isImageShape } from './display.js';
import { checkPictureModel, checkSampleOutput, perSampleMse, SAMPLE_OUTPUTS, writeSamples } from './sample-output.js';
import { modelCommand, type ModelCommandFlags, type ModelCommandRun } from './model-command.js';
import { intArg } from './options.js';
import { f32Tensor, writePng, writeTensors } from './output-file.js';
import { checkPictureSize, comparisonGrid, comparisonGridSize, imageSizeOf } from './pictures.js';
import { firstTestDigits } from './test-digits.js';
import { requireFinite } from './numeric.js';

const DEFAULT_N = 16;

interface ReconstructFlags extends ModelCommandFlags, LabelFlags {
  data?: string;
  input?: string[];
  n?: number;
}

export function reconstructCommand(): Command {
  return modelCommand({
    name: 'reconstruct',
    description:
      'reconstruct test samples (or your own pictures) with a model: originals over reconstructions as a .png, the reconstructions as .safetensors, or as .csv / .npy in the data\'s units',
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
      cmd.option('--n <n>', `how many test samples, from the start of the test split (default: ${DEFAULT_N}; all for .csv/.npy)`, intArg(1));
      addLabelOptions(cmd, 'with --input: reconstruct the pictures as');
    },
    out: {
      png: 'originals over reconstructions (image models)',
      safetensors: 'the reconstructions as the model sees them: float32 tensor "images" [n, ...input shape]',
      csv: `${SAMPLE_OUTPUTS.csv}: the reconstructions and each row's mse and mse_data`,
      npy: `${SAMPLE_OUTPUTS.npy}: the reconstructions`,
    },
    inputs: (flags) => (flags.input ?? []).map((file) => ({ flag: '--input', file })),
    run: runReconstruct,
  });
}

async function runReconstruct({ flags, format, model }: ModelCommandRun<ReconstructFlags>): Promise<void> {
  checkPictureModel(model, format, flags.out);
  let originals: Float32Array;
  let n: number;
  let origin: string;
  let featureNames: string[] | undefined;
  // A conditional VAE reconstructs test samples with their labels (pictures given with --input have none).
  let sampleLabels: ArrayLike<number> | undefined;
  const kind = isImageShape(model.inputShape) ? 'images' : 'samples';
  if (flags.input) {
    originals = await readPictures(flags.input, model);
    n = flags.input.length;
    // Pictures carry no label: a conditional VAE reads the class the user names for them all.
    sampleLabels = classLabels(classFrom(flags, model, flags.model, 'reconstruct --input'), n);
    origin = `${n} picture${n === 1 ? '' : 's'} given with --input`;
  } else {
    if (flags.digit !== undefined || flags.label !== undefined) {
      throw new ArgumentError(`reconstruct ${flags.digit !== undefined ? '--digit' : '--label'} goes with --input: test samples are reconstructed with their own labels`);
    }
    const splits = await dataFrom(flags, ['test'], model);
    // A picture shows the first 16; numbers are every test sample unless --n says fewer.
    const test = firstTestDigits(splits, flags.n, format === 'csv' || format === 'npy' ? undefined : DEFAULT_N);
    originals = test.images;
    sampleLabels = forwardLabels(model, splits, test, (flags as DataFlags).labels, `reconstruct with ${flags.model}`);
    n = test.n;
    featureNames = splits.featureNames;
    origin = `the first ${n} test ${kind} of ${splits.source}`;
  }
  const name = model.training?.preset ?? 'model';
  const labels = [flags.input ? 'input' : 'original', 'reconstructed'];
  const title = `${name}: ${flags.input ? 'your pictures' : `test ${kind}`}`;
  const size = imageSizeOf(model.inputShape);
  if (format === 'png') checkPictureSize((m) => comparisonGridSize(labels, m, size!, title), n, flags.input ? `${n} --input files` : `--n ${n}`);
  if (format === 'csv' || format === 'npy') checkSampleOutput(model, format, n, 2, `${n} test ${kind}`);
  const recon = requireFinite(model.reconstruct(originals, sampleLabels), model.inputSize, 'reconstruction', flags.model);
  const errors = perSampleMse(recon, originals, model.inputSize);
  const errorsData = perSampleMse(model.denormalize(recon), model.denormalize(originals), model.inputSize);
  const mean = (v: Float64Array) => v.reduce((a, b) => a + b, 0) / v.length;
  const mse = `MSE per value ${mean(errors).toFixed(6)} (data units: ${mean(errorsData).toPrecision(6)}) over ${origin}`;
  let message: string;
  if (format === 'png') {
    const rows = [
      { label: labels[0]!, images: displayValues(model, originals) },
      { label: labels[1]!, images: displayValues(model, recon, originals) },
    ];
    message = await writePng(flags.out, comparisonGrid(rows, n, size!, title));
  } else if (format === 'csv' || format === 'npy') {
    // Per-row errors beside the values (CSV): as the model sees the data, and in its units.
    const after = [
      { name: 'mse', values: errors },
      { name: 'mse_data', values: errorsData },
    ];
    message = await writeSamples(flags.out, format, model, recon, n, { ...(featureNames ? { featureNames } : {}), after });
  } else {
    message = await writeTensors(flags.out, [f32Tensor('images', recon, n, model.outputShape)], {
      producer: 'ae-wasm reconstruct',
      model: flags.model,
      source: flags.input ? flags.input.join(', ') : origin,
    });
  }
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
