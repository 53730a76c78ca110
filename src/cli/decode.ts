// ae-wasm decode: images from a "codes" tensor (what `encode` writes, or codes edited
// or made by other tools), as a picture or as float32 tensors.

import type { Command } from 'commander';
import { DataError, FormatError, ShapeError } from '../errors.js';
import { readFileBytes } from '../io/file-node.js';
import { decodeSafetensors } from '../io/safetensors.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { formatShape } from '../nn/tensor.js';
import { modelCommand, type ModelCommandFlags, type ModelCommandRun } from './model-command.js';
import { checkTensorOutput, f32Tensor, writePng, writeTensors } from './output-file.js';
import { displayValues } from './display.js';
import { checkPictureSize, imageSizeOf, tiledGrid, tiledGridSize } from './pictures.js';
import { checkPictureModel, checkSampleOutput, SAMPLE_OUTPUTS, writeSamples } from './sample-output.js';
import { requireFinite } from './numeric.js';
import { addLabelOptions, classFrom, classLabels, className, type LabelFlags } from './label-option.js';

interface DecodeFlags extends ModelCommandFlags, LabelFlags {
  codes: string;
}

export function decodeCommand(): Command {
  return modelCommand({
    name: 'decode',
    description: 'decode the "codes" tensor of a .safetensors file (as written by encode) to images',
    options: (cmd) => {
      cmd.requiredOption('--codes <file>', '.safetensors file with an F32 tensor "codes" of shape [n, ...the model\'s code shape] (a VAE: z)');
      addLabelOptions(cmd, 'every code decoded as');
    },
    out: { png: 'the decoded images (image models)', safetensors: 'float32 tensor "images" [n, ...input shape], as the model computes them', ...SAMPLE_OUTPUTS },
    inputs: (flags) => [{ flag: '--codes', file: flags.codes }],
    run: runDecode,
  });
}

async function runDecode({ flags, format, model }: ModelCommandRun<DecodeFlags>): Promise<void> {
  checkPictureModel(model, format, flags.out);
  const label = classFrom(flags, model, flags.model, 'decode');
  const { codes, n } = readCodes(await readFileBytes(flags.codes), flags.codes, model);
  const size = imageSizeOf(model.inputShape)!;
  const title = `${model.training?.preset ?? 'model'}: ${n} decoded${label === null ? '' : ` as class ${className(model, label)}`}`;
  const what = `${flags.codes} holds ${n} codes`;
  if (format === 'png') checkPictureSize((m) => tiledGridSize(m, size, title), n, what);
  else if (format === 'csv' || format === 'npy') checkSampleOutput(model, format, n, 0, what);
  else checkTensorOutput(n, model.inputSize, what);
  const images = requireFinite(model.decode(codes, classLabels(label, n)), model.inputSize, 'decoded image', flags.model);
  const message =
    format === 'png'
      ? await writePng(flags.out, tiledGrid(displayValues(model, images), n, size, title))
      : format === 'csv' || format === 'npy'
        ? await writeSamples(flags.out, format, model, images, n)
        : await writeTensors(flags.out, [f32Tensor('images', images, n, model.outputShape)], {
          producer: 'ae-wasm decode',
          model: flags.model,
          codes: flags.codes,
          ...(label === null ? {} : { label: String(label) }),
        });
  process.stdout.write(message + '\n');
}

/** The "codes" tensor as float32, checked against the model's code shape. */
function readCodes(bytes: Uint8Array, file: string, model: Autoencoder): { codes: Float32Array; n: number } {
  const { tensors } = decodeSafetensors(bytes, file);
  const t = tensors.get('codes');
  if (!t) {
    const names = [...tensors.keys()];
    throw new FormatError(`${file}: no tensor "codes" (found ${names.length ? names.map((s) => `"${s}"`).join(', ') : 'no tensors'}); write one with ae-wasm encode`);
  }
  let codes: Float32Array;
  // F16 and BF16 arrive widened to float32; F64 narrows as the model computes in float32 anyway.
  if (t.dtype === 'F32' || t.dtype === 'F16' || t.dtype === 'BF16') codes = t.data;
  else if (t.dtype === 'F64') codes = Float32Array.from(t.data);
  else throw new FormatError(`${file}: tensor "codes" has dtype ${t.dtype}; expected floating point (F32)`);
  const want = model.codeShape;
  const shapeOk = t.shape.length === want.length + 1 && t.shape[0]! >= 1 && want.every((d, i) => t.shape[i + 1] === d);
  if (!shapeOk) {
    throw new ShapeError(
      `${file}: tensor "codes" has shape ${formatShape(t.shape)}, but this model (${model.training?.preset ?? model.kind}) ` +
        `decodes codes of shape [n, ${want.join(', ')}] with n >= 1`,
    );
  }
  const bad = codes.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new DataError(`${file}: tensor "codes" element ${bad} (sample ${Math.floor(bad / model.codeSize)}) is ${codes[bad]}; codes must be finite`);
  return { codes, n: t.shape[0]! };
}
