// The --out flag of the commands that write images or tensors: the file's extension
// picks the format, checked before any work is done so a typo costs nothing.

import type { Command } from 'commander';
import fs from 'node:fs/promises';
import path from 'node:path';
import { encodeNpy } from '../data/sources/npy.js';
import { ArgumentError, DataError, FileError, ShapeError } from '../errors.js';
import { DEFAULT_MAX_FILE_BYTES, nearestExisting, writeFileAtomic } from '../io/file-node.js';
import { encodeSafetensors, type TensorEntry } from '../io/safetensors.js';
import { formatShape, type Shape } from '../nn/tensor.js';
import { toPng, type Raster } from '../viz/index.js';

export type OutFormat = 'png' | 'safetensors' | 'csv' | 'npy';

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
 * Only lstat / stat / access: nothing is created here. `flag` names it in errors (eval's --confusion).
 */
export async function checkOutputFile(file: string, inputs: readonly InputFile[] = [], example = 'out.png', flag = '--out'): Promise<void> {
  const fail = (why: string, err?: unknown): never => {
    throw new FileError(`${flag} ${file}: ${why}`, file, err === undefined ? undefined : { cause: err });
  };
  const target = await stat(file);
  if (target?.isDirectory()) fail(`is a directory; give a file name inside it, such as ${path.join(file, example)}`);
  if (target && !target.isFile()) fail('exists and is not a regular file (a FIFO, socket or device); choose another name');
  const real = await resolvedOut(file);
  for (const input of inputs) {
    const other = await fs.realpath(input.file).catch(() => path.resolve(input.file));
    if (other === real) throw new ArgumentError(`${flag} ${file} is the ${input.flag} file: writing would replace what the command reads; choose another name`);
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

/**
 * The shortest decimal that reads back (Number, then Math.fround) as the float32 of `v`:
 * the fewest significant digits (1..9; 9 always suffice for float32) in whichever of fixed
 * or exponent notation is shorter ("0.1", "1e-7", "1.5e+20"; an integer below 1e21 as
 * String gives it, "100" rather than "1e+2"). -0 is "-0". At most 15 characters
 * ("-1.17549435e-38"). `v` must be finite.
 */
export function formatFloat32(v: number): string {
  const x = Math.fround(v);
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  // Rounding to more digits is never further from x, so "reads back" is monotone in the
  // digit count. Network outputs mostly need 8 or 9 digits: try 8, then 7, then bisect.
  let best = x.toPrecision(8);
  let p = 8;
  if (Math.fround(Number(best)) !== x) {
    best = x.toPrecision(9);
    p = 9;
  } else {
    let lo = 1;
    let mid = 7;
    while (lo < p) {
      const text = x.toPrecision(mid);
      if (Math.fround(Number(text)) === x) {
        best = text;
        p = mid;
      } else {
        lo = mid + 1;
      }
      mid = (lo + p) >> 1;
    }
  }
  // toPrecision writes fixed notation down to 1e-6, where "0.005" is longer than "5e-3".
  if (x < 0.01 && x > -0.01) {
    const exp = x.toExponential(p - 1);
    if (exp.length < best.length) best = exp;
  }
  if (Number.isInteger(x) && x < 1e21 && x > -1e21) {
    const int = String(x);
    if (int.length <= best.length) best = int;
  }
  return best;
}

/** The most bytes one CSV cell takes: formatFloat32's longest output and its comma or newline. */
export const MAX_CSV_CELL_BYTES = 16;

/**
 * Refuses, before any work, a CSV of `n` rows of `columns` numbers that could pass the
 * size ae-wasm reads back (DEFAULT_MAX_FILE_BYTES), counting MAX_CSV_CELL_BYTES a cell;
 * `what` names the count as in checkTensorOutput. .npy holds 4 bytes a value instead.
 */
export function checkCsvOutput(n: number, columns: number, what: string): void {
  const bytes = n * columns * MAX_CSV_CELL_BYTES;
  if (bytes <= DEFAULT_MAX_FILE_BYTES) return;
  const fits = Math.floor(DEFAULT_MAX_FILE_BYTES / (columns * MAX_CSV_CELL_BYTES));
  throw new ArgumentError(
    `${what}: the CSV could be ${bytes} bytes (${n} rows of ${columns} numbers, up to ${MAX_CSV_CELL_BYTES} bytes each), over the ${DEFAULT_MAX_FILE_BYTES}-byte file limit (at most ${fits} rows); ask for fewer or write .npy`,
  );
}

/** A header cell, quoted (RFC 4180) when it holds a comma, quote, line break or edge space. */
function csvCell(text: string): string {
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Rows per encoded chunk: one JS string per chunk stays far below V8's string length limit. */
const CSV_CHUNK_ROWS = 4096;

/**
 * `rows` (n x header.length values, row-major) as CSV bytes: the header row, then one line
 * per row of formatFloat32 numbers, "\n" line ends. parseCsv reads it back exactly (each
 * value Math.fround-equal): so the header must not be all numbers (it would read as data),
 * and a non-finite value is a DataError naming its row and column.
 */
export function encodeCsv(header: readonly string[], rows: ArrayLike<number>, file = 'CSV output'): Uint8Array {
  const k = header.length;
  if (k === 0) throw new ArgumentError(`${file}: expected at least one CSV column name, found none`);
  if (rows.length % k !== 0 || rows.length === 0) {
    throw new ShapeError(`${file}: expected rows of ${k} values (${header.length} columns), found ${rows.length} values${rows.length === 0 ? '' : `, ${rows.length % k} left over`}`);
  }
  if (header.every((name) => /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(name.trim()))) {
    throw new ArgumentError(`${file}: the CSV header ${JSON.stringify(header.slice(0, 5))} is all numbers, so a reader would take it for data; name the columns (such as "x0")`);
  }
  const n = rows.length / k;
  checkCsvOutput(n, k, file);
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [encoder.encode(`${header.map(csvCell).join(',')}\n`)];
  const cells = new Array<string>(k);
  for (let start = 0; start < n; start += CSV_CHUNK_ROWS) {
    const lines: string[] = [];
    for (let r = start; r < Math.min(n, start + CSV_CHUNK_ROWS); r++) {
      for (let c = 0; c < k; c++) {
        const v = rows[r * k + c]!;
        if (!Number.isFinite(v)) throw new DataError(`${file}: sample ${r} (line ${r + 2}), column ${JSON.stringify(header[c])} (index ${c}) is ${v}; CSV output must be finite numbers`);
        cells[c] = formatFloat32(v);
      }
      lines.push(cells.join(','));
    }
    chunks.push(encoder.encode(`${lines.join('\n')}\n`));
  }
  const out = new Uint8Array(chunks.reduce((a, ch) => a + ch.length, 0));
  let at = 0;
  for (const ch of chunks) {
    out.set(ch, at);
    at += ch.length;
  }
  return out;
}

/** Writes `rows` (n x header.length, row-major) as CSV with a header row (encodeCsv), atomically. */
export async function writeCsv(file: string, header: readonly string[], rows: ArrayLike<number>): Promise<string> {
  const bytes = encodeCsv(header, rows, file);
  await writeFileAtomic(file, bytes);
  return `wrote ${file}: ${rows.length / header.length} rows x ${header.length} columns of numbers (CSV, ${bytes.length} bytes)`;
}

/**
 * Writes `data` as a float32 .npy file of `shape` ([n, ...]; numpy.load reads it, and so
 * does parseNpy, which refuses NaN and Inf: a non-finite value is a DataError here),
 * atomically, refused over the file limit by checkTensorOutput.
 */
export async function writeNpy(file: string, data: Float32Array, shape: readonly number[]): Promise<string> {
  if (shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ShapeError(`${file}: expected an .npy shape [n, ...] of non-negative integers, found ${formatShape(shape)}`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new ShapeError(`${file}: shape ${formatShape(shape)} holds ${count} values, the data has ${data.length}`);
  const perSample = shape.slice(1).reduce((a, b) => a * b, 1);
  checkTensorOutput(shape[0]!, perSample, file);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) throw new DataError(`${file}: value ${data[i]} at flat index ${i} (sample ${Math.floor(i / perSample)}); .npy output must be finite`);
  }
  await writeFileAtomic(file, encodeNpy(data, shape));
  return `wrote ${file}: F32 ${formatShape(shape)} (.npy)`;
}
