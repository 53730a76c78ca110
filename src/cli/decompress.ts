// ae-wasm decompress: an .aec file (ae-wasm compress) decoded with the model that made it,
// as pictures (one grid PNG, or one PNG per image in a directory) or as numbers in the
// data's units (.npy, .csv) or the model's own (.safetensors).

import { Command } from 'commander';
import fs from 'node:fs/promises';
import path from 'node:path';
import { encode as encodePng } from 'fast-png';
import { decompressCodes, type DecompressedCodes } from '../compress/index.js';
import { ArgumentError, FormatError } from '../errors.js';
import { DEFAULT_MAX_FILE_BYTES, prepareOutputDirectory, readFileBytes, writeFileAtomic } from '../io/file-node.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { addBackendOption, backendFrom, type BackendFlags } from './context.js';
import { displayValues, isImageShape } from './display.js';
import { addModelOption, modelFrom } from './model-option.js';
import { requireFinite } from './numeric.js';
import { checkOutputFile, checkTensorOutput, f32Tensor, outFormat, writeCsv, writePng, writeTensors, type OutFormat } from './output-file.js';
import { checkPictureSize, imageSizeOf, tiledGrid, tiledGridSize } from './pictures.js';
import { checkPictureModel, checkSampleOutput, SAMPLE_OUTPUTS, writeSamples } from './sample-output.js';

interface DecompressFlags extends BackendFlags {
  model: string;
  out: string;
  json?: boolean;
}

const FORMATS: readonly OutFormat[] = ['png', 'npy', 'csv', 'safetensors'];

export function decompressCommand(): Command {
  const cmd = new Command('decompress')
    .description('decode an .aec file written by ae-wasm compress, with the model that wrote it (another model is refused, naming both hashes)')
    .argument('<file.aec>', 'the compressed codes');
  addModelOption(cmd);
  cmd
    .requiredOption(
      '--out <dir|file>',
      'a directory (no extension: one PNG per image, NNNNN.png, and labels.csv when the file has labels), or a file: ' +
        '.png (the images in one grid), ' +
        `.npy (${SAMPLE_OUTPUTS.npy}), .csv (${SAMPLE_OUTPUTS.csv}; with a label column when the file has labels), ` +
        '.safetensors (float32 "images" as the model computes them, U8 "labels" when present)',
    )
    .option('--json', 'print what was decoded as one JSON object');
  addBackendOption(cmd);
  return cmd.action(runDecompress);
}

/** A directory --out: an existing directory, or a name without an extension. */
async function isDirectoryOut(out: string): Promise<boolean> {
  const st = await fs.stat(out).catch(() => undefined);
  return st ? st.isDirectory() : path.extname(out) === '';
}

async function runDecompress(file: string, flags: DecompressFlags): Promise<void> {
  const toDir = await isDirectoryOut(flags.out);
  let format: OutFormat | 'dir' = 'dir';
  if (!toDir) {
    await checkOutputFile(flags.out, [{ flag: '--model', file: flags.model }, { flag: 'the .aec', file }], 'images.png');
    format = outFormat(flags.out, FORMATS);
  }
  const bytes = await readFileBytes(file, DEFAULT_MAX_FILE_BYTES);
  const kernels = await backendFrom(flags);
  const model = await modelFrom(flags, kernels);
  checkPictureModel(model, format === 'dir' ? 'png' : format, flags.out);
  const d = decompressCodes(model, bytes, { source: file, modelName: flags.model });
  checkOutput(model, format, d, file);
  // A conditional VAE's decoder reads each sample's class: compress stores them for it.
  if (model.decoderReadsLabels && !d.labels) {
    throw new FormatError(`${file} holds no labels, but ${flags.model} is a conditional VAE whose decoder reads each sample's class; it was not written by ae-wasm compress with this model`);
  }
  const images = requireFinite(model.decode(d.codes, model.decoderReadsLabels ? d.labels! : undefined), model.inputSize, 'decoded sample', flags.model);
  const message = await write(model, format, flags.out, images, d, file);
  if (flags.json) process.stdout.write(JSON.stringify({ n: d.n, bits: d.bits, code_size: model.codeSize, labels: d.labels !== null, out: flags.out }) + '\n');
  else process.stdout.write(`decoded ${d.n} ${isImageShape(model.inputShape) ? 'images' : 'samples'} (${model.codeSize}-value codes at ${d.bits} bits) from ${file}\n${message}\n`);
}

/** Refuses, before decoding, an output the decoded samples would not fit. */
function checkOutput(model: Autoencoder, format: OutFormat | 'dir', d: DecompressedCodes, file: string): void {
  const what = `${file} holds ${d.n} codes`;
  if (format === 'png') checkPictureSize((m) => tiledGridSize(m, imageSizeOf(model.inputShape)!, 'decompressed'), d.n, `${what} (write a directory for one PNG each)`);
  else if (format === 'csv' || format === 'npy') checkSampleOutput(model, format, d.n, d.labels ? 1 : 0, what);
  else if (format === 'safetensors') checkTensorOutput(d.n, model.inputSize, what);
}

async function write(model: Autoencoder, format: OutFormat | 'dir', out: string, images: Float32Array, d: DecompressedCodes, file: string): Promise<string> {
  const title = `${model.training?.preset ?? 'model'}: ${d.n} decompressed`;
  const labels = d.labels;
  switch (format) {
    case 'dir':
      return writeDirectory(model, out, images, d);
    case 'png':
      return writePng(out, tiledGrid(displayValues(model, images), d.n, imageSizeOf(model.inputShape)!, title));
    case 'npy':
      return writeSamples(out, 'npy', model, images, d.n);
    case 'csv':
      return writeSamples(out, 'csv', model, images, d.n, labels ? { before: [{ name: 'label', values: labels }] } : {});
    case 'safetensors':
      return writeTensors(out, [f32Tensor('images', images, d.n, model.outputShape), ...(labels ? [{ name: 'labels', dtype: 'U8' as const, shape: [d.n], data: labels }] : [])], {
        producer: 'ae-wasm decompress',
        source: file,
      });
  }
}

/** One PNG per image at its own size (8-bit grey or RGB), NNNNN.png from 0, and labels.csv when there are labels. */
async function writeDirectory(model: Autoencoder, dir: string, images: Float32Array, d: DecompressedCodes): Promise<string> {
  const size = imageSizeOf(model.inputShape);
  if (!size) throw new ArgumentError(`--out ${dir}: a directory holds one PNG per image, but this model's samples are not images; write .csv or .npy`);
  await prepareOutputDirectory(dir);
  const values = displayValues(model, images);
  const per = model.inputSize;
  const digits = String(d.n - 1).length;
  const name = (i: number) => `${String(i).padStart(Math.max(digits, 5), '0')}.png`;
  for (let i = 0; i < d.n; i++) {
    const pixels = Uint8Array.from(values.subarray(i * per, (i + 1) * per), (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
    await writeFileAtomic(path.join(dir, name(i)), encodePng({ width: size.width, height: size.height, data: pixels, channels: size.channels, depth: 8 }));
  }
  if (d.labels) {
    const rows = Float32Array.from({ length: d.n * 2 }, (_, j) => (j % 2 === 0 ? j / 2 : d.labels![(j - 1) / 2]!));
    await writeCsv(path.join(dir, 'labels.csv'), ['index', 'label'], rows);
  }
  return `wrote ${d.n} PNGs (${size.width} x ${size.height}) into ${dir}: ${name(0)} .. ${name(d.n - 1)}${d.labels ? ', and labels.csv' : ''}`;
}
