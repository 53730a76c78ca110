// ae-wasm encode: the codes of a data split as tensors (or .csv / .npy), and what they cost per sample.

import { Option, type Command } from 'commander';
import type { TensorEntry } from '../io/safetensors.js';
import { formatShape } from '../nn/tensor.js';
import { addDataOption, dataFrom, type DataFlags } from './context.js';
import { forwardLabels } from './class-labels.js';
import { modelCommand, type ModelCommandFlags, type ModelCommandRun } from './model-command.js';
import { isImageShape } from './display.js';
import { checkCsvOutput, f32Tensor, writeCsv, writeNpy, writeTensors } from './output-file.js';
import { requireFinite } from './numeric.js';

interface EncodeFlags extends ModelCommandFlags {
  data?: string;
  split: 'test' | 'train';
}

export function encodeCommand(): Command {
  return modelCommand({
    name: 'encode',
    description:
      'encode a data split: writes tensor "codes" [n, ...code shape] (a VAE also writes "z_log_var"; "codes" is its z_mean) ' +
      'and "labels" [n] (U8), and prints the bytes per image of the code',
    options(cmd) {
      addDataOption(cmd);
      cmd.addOption(new Option('--split <name>', 'which split to encode').choices(['test', 'train']).default('test'));
    },
    out: {
      safetensors: 'float32 "codes" (and "z_log_var"), U8 "labels"',
      csv: 'one row per sample: its label, then the code z0, z1, ... (a VAE: z_mean)',
      npy: 'the codes, float32 [n, ...code shape] (a VAE: z_mean)',
    },
    run: runEncode,
  });
}

async function runEncode({ flags, format, model }: ModelCommandRun<EncodeFlags>): Promise<void> {
  const splits = await dataFrom(flags, [flags.split], model);
  const ds = splits[flags.split];
  if (format === 'csv') checkCsvOutput(ds.n, model.codeSize + 1, `the ${ds.n} ${flags.split} samples`);
  const { codes, logVar } = model.encodeWithLogVar(ds.images, forwardLabels(model, splits, ds, (flags as DataFlags).labels, `encode with ${flags.model}`));
  requireFinite(codes, model.codeSize, model.kind === 'vae' ? 'z_mean' : 'code', flags.model);
  if (logVar) requireFinite(logVar, model.codeSize, 'z_log_var', flags.model);
  let message: string;
  if (format === 'csv') {
    const k = model.codeSize + 1;
    const rows = new Float32Array(ds.n * k);
    for (let r = 0; r < ds.n; r++) {
      rows[r * k] = ds.labels[r]!;
      rows.set(codes.subarray(r * model.codeSize, (r + 1) * model.codeSize), r * k + 1);
    }
    message = await writeCsv(flags.out, ['label', ...Array.from({ length: model.codeSize }, (_, i) => `z${i}`)], rows);
  } else if (format === 'npy') {
    message = await writeNpy(flags.out, codes, [ds.n, ...model.codeShape]);
  } else {
    const tensors: TensorEntry[] = [f32Tensor('codes', codes, ds.n, model.codeShape)];
    if (logVar) tensors.push(f32Tensor('z_log_var', logVar, ds.n, model.codeShape));
    tensors.push({ name: 'labels', dtype: 'U8', shape: [ds.n], data: ds.labels });
    message = await writeTensors(flags.out, tensors, {
      producer: 'ae-wasm encode',
      model: flags.model,
      kind: model.kind,
      code_shape: JSON.stringify(model.codeShape),
      split: flags.split,
      source: splits.source,
    });
  }
  process.stdout.write(`encoded ${ds.n} ${flags.split} ${isImageShape(model.inputShape) ? 'images' : 'samples'} of ${splits.source}\n`);
  process.stdout.write(compressionText(model.codeShape, model.codeSize, model.inputSize, model.kind === 'vae', isImageShape(model.inputShape)) + '\n');
  process.stdout.write(message + '\n');
}

/**
 * The code's size next to the image's: the 8-bit image is what MNIST stores, the float32
 * image what the model reads. A code larger than the image (the conv preset's 7x7x8)
 * is said to be so rather than shown as a ratio below 1.
 */
function compressionText(codeShape: readonly number[], codeSize: number, inputSize: number, vae: boolean, image: boolean): string {
  const codeBytes = codeSize * 4;
  const against = (bytes: number, what: string): string => {
    const r = bytes / codeBytes;
    const text = r >= 1 ? `${r.toFixed(2)}x smaller` : `${(1 / r).toFixed(2)}x larger`;
    return `  vs ${bytes} bytes of ${what}: the code is ${text}`;
  };
  const what = image ? 'image' : 'sample';
  return [
    `code ${formatShape(codeShape)} float32 = ${codeBytes} bytes per ${what}${vae ? ' (z_mean alone: decoding needs no z_log_var)' : ''}`,
    ...(image ? [against(inputSize, 'an 8-bit image')] : []),
    against(inputSize * 4, `a float32 ${what}`),
  ].join('\n');
}
