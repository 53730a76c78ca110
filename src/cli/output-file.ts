// The --out flag of the commands that write images or tensors: the file's extension
// picks the format, checked before any work is done so a typo costs nothing.

import type { Command } from 'commander';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ArgumentError, FileError } from '../errors.js';
import { DEFAULT_MAX_FILE_BYTES, nearestExisting, writeFileAtomic } from '../io/file-node.js';
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

/** A file the command reads, named by its flag: --out must not replace it. */
export interface InputFile {
  flag: string;
  file: string;
}

/**
 * Checks, before any work, that `file` can be written: not an existing directory or a
 * non-regular file (FIFO, device), not one of the command's inputs, every existing parent a
 * directory, and the nearest existing one writable (writeFileAtomic creates the rest).
 * Only lstat / stat / access: nothing is created here.
 */
export async function checkOutputFile(file: string, inputs: readonly InputFile[] = [], example = 'out.png'): Promise<void> {
  const fail = (why: string, err?: unknown): never => {
    throw new FileError(`--out ${file}: ${why}`, file, err === undefined ? undefined : { cause: err });
  };
  const target = await stat(file);
  if (target?.isDirectory()) fail(`is a directory; give a file name inside it, such as ${path.join(file, example)}`);
  if (target && !target.isFile()) fail('exists and is not a regular file (a FIFO, socket or device); choose another name');
  const real = await resolvedOut(file);
  for (const input of inputs) {
    const other = await fs.realpath(input.file).catch(() => path.resolve(input.file));
    if (other === real) throw new ArgumentError(`--out ${file} is the ${input.flag} file: writing would replace what the command reads; choose another name`);
  }
  const parent = nearestExisting(path.dirname(path.resolve(file)), (at, err) => {
    throw new FileError(`cannot check ${at}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, at, { cause: err });
  });
  if (!parent.stats) return;
  if (!parent.stats.isDirectory()) fail(`its parent ${parent.at} is not a directory`);
  await fs.access(parent.at, fs.constants.W_OK | fs.constants.X_OK).catch((err) => fail(`cannot create files in ${parent.at} (${(err as NodeJS.ErrnoException).code ?? 'not writable'})`, err));
}

/** stat() following links; undefined when nothing is there (or a parent is not a directory). */
async function stat(p: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await fs.stat(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new FileError(`cannot check ${p}: ${code ?? (err as Error).message}`, p, { cause: err });
  }
}

/** The absolute path `file` will have: its parent resolved through links where it exists. */
async function resolvedOut(file: string): Promise<string> {
  const abs = path.resolve(file);
  const real = await fs.realpath(abs).catch(() => undefined);
  if (real) return real;
  const parent = await fs.realpath(path.dirname(abs)).catch(() => path.dirname(abs));
  return path.join(parent, path.basename(abs));
}

/**
 * Refuses, before any work, float32 output of `n` samples of `perSample` values each over
 * the size ae-wasm reads back (DEFAULT_MAX_FILE_BYTES, 1 GiB): such a file could not be
 * used as --codes or a model input, and the arrays behind it would not fit in memory.
 * `what` names the count ("--n 100000", "c.safetensors holds 200000 codes").
 */
export function checkTensorOutput(n: number, perSample: number, what: string): void {
  const bytes = n * perSample * 4;
  if (bytes <= DEFAULT_MAX_FILE_BYTES) return;
  const fits = Math.floor(DEFAULT_MAX_FILE_BYTES / (perSample * 4));
  throw new ArgumentError(`${what}: the output would be ${bytes} bytes of float32, over the ${DEFAULT_MAX_FILE_BYTES}-byte file limit (at most ${fits} samples of ${perSample} values); ask for fewer`);
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
