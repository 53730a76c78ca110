// Samples a command made (reconstructions, decoded codes, prior samples) written as
// numbers: .npy [n, ...sample shape] or .csv (one row a sample, flattened), both in the
// data's own units (the model's preprocessing undone), so a table model's outputs read like
// its input table. .safetensors outputs stay in the model's space (what it computes).
import { ArgumentError } from '../errors.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { formatShape } from '../nn/tensor.js';
import { isImageShape } from './display.js';
import { checkCsvOutput, checkTensorOutput, writeCsv, writeNpy, type OutFormat } from './output-file.js';

/** What --out .csv / .npy hold, for the commands' --help. */
export const SAMPLE_OUTPUTS = {
  csv: "the samples in the data's units, one row each, with a header (and per-row columns where the command has them)",
  npy: "the samples in the data's units, float32 [n, ...sample shape]",
} as const;

/** A per-sample column of a CSV output: before or after the sample's values. */
export interface Column {
  name: string;
  values: ArrayLike<number>;
}

export interface SampleColumns {
  /** Names of the sample's values (a CSV source's header); default x0, x1, ... */
  featureNames?: readonly string[];
  before?: readonly Column[];
  after?: readonly Column[];
}

/** A .png --out for a model whose samples are no pictures is refused before any work. */
export function checkPictureModel(model: Autoencoder, format: OutFormat, out: string): void {
  if (format !== 'png' || isImageShape(model.inputShape)) return;
  throw new ArgumentError(
    `--out ${out}: a .png draws pictures, but this model's samples are ${formatShape(model.inputShape)} (not [H, W] or [H, W, 1|3]); write .csv or .npy`,
  );
}

/** Refuses, before any work, n samples that would not fit the output file (format csv or npy). */
export function checkSampleOutput(model: Autoencoder, format: 'csv' | 'npy', n: number, columns: number, what: string): void {
  if (format === 'csv') checkCsvOutput(n, model.inputSize + columns, what);
  else checkTensorOutput(n, model.inputSize, what);
}

/** Writes n model-space samples `values` in the data's units to `file` as `format`. */
export async function writeSamples(file: string, format: 'csv' | 'npy', model: Autoencoder, values: Float32Array, n: number, columns: SampleColumns = {}): Promise<string> {
  const data = model.denormalize(values);
  if (format === 'npy') return writeNpy(file, data, [n, ...model.inputShape]);
  const size = model.inputSize;
  const names = columns.featureNames && columns.featureNames.length === size ? [...columns.featureNames] : Array.from({ length: size }, (_, i) => `x${i}`);
  const before = columns.before ?? [];
  const after = columns.after ?? [];
  const header = [...before.map((c) => c.name), ...names, ...after.map((c) => c.name)];
  const k = header.length;
  const rows = new Float32Array(n * k);
  for (let r = 0; r < n; r++) {
    let c = r * k;
    for (const col of before) rows[c++] = col.values[r]!;
    rows.set(data.subarray(r * size, (r + 1) * size), c);
    c += size;
    for (const col of after) rows[c++] = col.values[r]!;
  }
  return writeCsv(file, header, rows);
}

/** Per-sample MSE between two n x size arrays. */
export function perSampleMse(a: ArrayLike<number>, b: ArrayLike<number>, size: number): Float64Array {
  const n = a.length / size;
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let i = r * size; i < (r + 1) * size; i++) s += (a[i]! - b[i]!) ** 2;
    out[r] = s / size;
  }
  return out;
}
