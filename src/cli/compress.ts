// ae-wasm compress: a data split's codes, quantised per dimension and deflated, in an .aec
// container bound to the model (src/compress); and what that costs and loses per sample.

import { Command, Option } from 'commander';
import { compressCodes, decompressCodes, DEFAULT_BITS, MAX_BITS, MIN_BITS } from '../compress/index.js';
import { ArgumentError } from '../errors.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { requireLabels } from './class-labels.js';
import { addBackendOption, addDataOption, backendFrom, dataFrom, type BackendFlags, type DataFlags } from './context.js';
import { isImageShape } from './display.js';
import { addModelOption, modelFrom } from './model-option.js';
import { requireFinite } from './numeric.js';
import { intArg } from './options.js';
import { checkOutputFile } from './output-file.js';
import { writeFileAtomic } from '../io/file-node.js';
import path from 'node:path';

interface CompressFlags extends BackendFlags, DataFlags {
  model: string;
  out: string;
  bits: number;
  split: 'test' | 'train' | 'all';
  keepLabels?: boolean;
  json?: boolean;
}

/** What compress prints with --json. */
export interface CompressFigures {
  n: number;
  split: string;
  bits: number;
  code_size: number;
  bytes: number;
  bytes_per_sample: number;
  /** 8 * bytes / (n * values per sample): per pixel for images. */
  bits_per_value: number;
  /** The reconstruction from the file's codes against the data, as the model sees it. */
  mse: number;
  /** The same in the data's own units (the model's preprocessing undone). */
  mse_data: number;
  /** 10 log10(1 / mse), for models whose inputs lie in [0, 1] (images scaled from 8 bits); else null. */
  psnr: number | null;
}

export function compressCommand(): Command {
  const cmd = new Command('compress').description(
    'lossy compression of a data split: its codes (a VAE: z_mean) quantised per dimension to --bits, deflated, ' +
      'in an .aec file that ae-wasm decompress turns back into samples with the same model',
  );
  addModelOption(cmd);
  addDataOption(cmd);
  cmd
    .addOption(new Option('--split <name>', 'which split to compress (all: train, then test)').choices(['test', 'train', 'all']).default('test'))
    .option('--bits <n>', `bits per code value, ${MIN_BITS}..${MAX_BITS}: each dimension's min..max over the split in 2^bits - 1 equal steps, rounded to nearest`, intArg(MIN_BITS, MAX_BITS), DEFAULT_BITS)
    .option('--keep-labels', "store the samples' labels in the file too (1 byte each, before deflate)")
    .option('--json', 'print the figures as one JSON object')
    .requiredOption('--out <file.aec>', 'the container to write (.aec)');
  addBackendOption(cmd);
  return cmd.action(runCompress);
}

async function runCompress(flags: CompressFlags): Promise<void> {
  await checkOutputFile(flags.out, [{ flag: '--model', file: flags.model }], 'codes.aec');
  if (path.extname(flags.out).toLowerCase() !== '.aec') throw new ArgumentError(`--out ${flags.out}: expected a file name ending in .aec`);
  const kernels = await backendFrom(flags);
  const model = await modelFrom(flags, kernels);
  const needs = flags.split === 'all' ? (['train', 'test'] as const) : ([flags.split] as const);
  const splits = await dataFrom(flags, needs, model);
  const parts = needs.map((s) => splits[s]);
  const n = parts.reduce((a, p) => a + p.n, 0);
  const images = concat(parts.map((p) => p.images), n * model.inputSize, Float32Array);
  // A conditional VAE encodes and decodes with each sample's label: the file must carry them.
  if (model.readsLabels) requireLabels(splits, flags.labels, `compress with ${flags.model} (its graph reads the label)`);
  const dataLabels = flags.keepLabels || model.readsLabels ? concat(parts.map((p) => p.labels), n, Uint8Array) : null;
  const codes = requireFinite(model.encode(images, model.readsLabels ? dataLabels! : undefined), model.codeSize, model.kind === 'vae' ? 'z_mean' : 'code', flags.model);
  const labels = flags.keepLabels || model.decoderReadsLabels ? dataLabels : null;
  const bytes = compressCodes(model, codes, { bits: flags.bits, labels });
  // The file as decompress will read it: its reconstruction is what the figures measure.
  const back = decompressCodes(model, bytes, { source: flags.out, modelName: flags.model });
  const decoded = model.decode(back.codes, model.decoderReadsLabels ? back.labels! : undefined);
  const figures = measure(model, images, requireFinite(decoded, model.inputSize, 'decoded sample', flags.model), bytes.length, n, flags);
  await writeFileAtomic(flags.out, bytes);
  if (flags.json) {
    process.stdout.write(JSON.stringify(figures) + '\n');
    return;
  }
  const what = isImageShape(model.inputShape) ? 'images' : 'samples';
  const per = what === 'images' ? 'pixel' : 'value';
  process.stdout.write(
    [
      `compressed ${n} ${flags.split === 'all' ? '' : `${flags.split} `}${what} of ${splits.source}: code ${model.codeSize} values at ${flags.bits} bits`,
      `  ${bytes.length} bytes = ${figures.bytes_per_sample.toFixed(2)} bytes per ${what.slice(0, -1)}, ${figures.bits_per_value.toFixed(4)} bits per ${per} (the model, needed to decode, is not counted)`,
      `  reconstruction MSE ${figures.mse.toFixed(6)} (data units: ${figures.mse_data.toPrecision(6)})${figures.psnr === null ? '' : `, PSNR ${figures.psnr.toFixed(2)} dB`}`,
      `wrote ${flags.out}${labels ? ` (with ${n} labels${flags.keepLabels ? '' : ': the conditional decoder reads them'})` : ''}`,
    ].join('\n') + '\n',
  );
}

function concat<T extends Float32Array | Uint8Array>(parts: readonly T[], total: number, Kind: { new (n: number): T }): T {
  if (parts.length === 1) return parts[0]!;
  const out = new Kind(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** MSE in the model's space and the data's units, and PSNR where the data lies in [0, 1]. */
function measure(model: Autoencoder, images: Float32Array, recon: Float32Array, bytes: number, n: number, flags: CompressFlags): CompressFigures {
  const mse = meanSquare(images, recon);
  const psnr = model.inputsInUnitRange ? 10 * Math.log10(1 / mse) : null;
  return {
    n,
    split: flags.split,
    bits: flags.bits,
    code_size: model.codeSize,
    bytes,
    bytes_per_sample: bytes / n,
    bits_per_value: (8 * bytes) / (n * model.inputSize),
    mse,
    mse_data: meanSquare(model.denormalize(images), model.denormalize(recon)),
    psnr,
  };
}

function meanSquare(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s / a.length;
}
