// The --out flag of the commands that write images or tensors: the file's extension
// picks the format, checked before any work is done so a typo costs nothing.

import type { Command } from 'commander';
import path from 'node:path';
import { ArgumentError } from '../errors.js';
import { writeFileAtomic } from '../io/file-node.js';
import { encodeSafetensors, type TensorEntry } from '../io/safetensors.js';
import { formatShape, type Shape } from '../nn/tensor.js';
import { toPng, type Raster } from '../viz/index.js';

export type OutFormat = 'png' | 'safetensors';

/** `what` says, per supported format, what the file holds. */
export function addOutOption(cmd: Command, what: Partial<Record<OutFormat, string>>): Command {
  const choices = Object.entries(what).map(([f, text]) => `.${f} (${text})`);
  return cmd.requiredOption('--out <file>', `output file; its extension picks the format: ${choices.join(' or ')}`);
}

/** The format `file` asks for; an ArgumentError names the supported extensions otherwise. */
export function outFormat(file: string, formats: readonly OutFormat[]): OutFormat {
  const ext = path.extname(file).toLowerCase().slice(1);
  const found = formats.find((f) => f === ext);
  if (found) return found;
  const supported = formats.map((f) => `.${f}`).join(' or ');
  throw new ArgumentError(`--out ${file}: ${ext ? `unsupported extension ".${ext}"` : 'no file extension'}; expected ${supported}`);
}

/** `n` samples of `shape` as one F32 tensor [n, ...shape]. */
export function f32Tensor(name: string, data: Float32Array, n: number, shape: Shape): TensorEntry {
  return { name, dtype: 'F32', shape: [n, ...shape], data };
}

/** Writes tensors with metadata saying which command and model produced them. */
export async function writeTensors(file: string, tensors: readonly TensorEntry[], metadata: Record<string, string>): Promise<string> {
  await writeFileAtomic(file, encodeSafetensors(tensors, metadata));
  return `wrote ${file}: ${tensors.map((t) => `${t.name} ${t.dtype} ${formatShape(t.shape)}`).join(', ')}`;
}

export async function writePng(file: string, raster: Raster): Promise<string> {
  await writeFileAtomic(file, toPng(raster));
  return `wrote ${file} (${raster.width} x ${raster.height} px)`;
}
