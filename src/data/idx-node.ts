// Reads a directory of IDX files under the standard MNIST / Fashion-MNIST names (Node only).
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { FileError, FormatError } from '../errors.js';
import { readFileBytes } from '../io/file-node.js';
import type { Splits } from './dataset.js';
import { gunzipIdx, MAX_IDX_BYTES } from './idx-gunzip.js';
import { idxDataset } from './idx.js';

export const IDX_FILE_NAMES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export interface IdxFile {
  file: string;
  bytes: Uint8Array;
}

/**
 * `base` or, failing that, `base.gz` (decompressed), each read and inflated up to
 * `maxBytes`; undefined when neither exists.
 */
export async function readIdxFile(dir: string, base: string, maxBytes = MAX_IDX_BYTES): Promise<IdxFile | undefined> {
  for (const name of [base, `${base}.gz`]) {
    const file = path.join(dir, name);
    let bytes: Uint8Array;
    try {
      bytes = await readFileBytes(file, maxBytes);
    } catch (e) {
      if (e instanceof FileError && (e.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') continue;
      throw e;
    }
    if (!name.endsWith('.gz')) return { file, bytes };
    return { file, bytes: await gunzipIdx(bytes, file, maxBytes) };
  }
  return undefined;
}

/** The four standard files in `dir`, each raw or gzipped; pixels scaled by 1/255. */
export async function loadIdxDir(dir: string): Promise<Splits> {
  const root = path.resolve(dir);
  const bases = Object.values(IDX_FILE_NAMES);
  const found = await Promise.all(bases.map((base) => readIdxFile(root, base)));
  const missing = bases.filter((_, i) => found[i] === undefined);
  if (missing.length > 0) {
    const isDir = await stat(root).then((s) => s.isDirectory(), () => false);
    const where = isDir ? `in directory ${root}` : `because ${root} is not a directory`;
    throw new FormatError(
      `missing IDX file(s) ${where}: ${missing.map((b) => `${b}[.gz]`).join(', ')}. ` +
        `--data expects ${bases.join(', ')}, each raw or with a .gz suffix`,
    );
  }
  const [trainImages, trainLabels, testImages, testLabels] = found as IdxFile[] as [IdxFile, IdxFile, IdxFile, IdxFile];
  const train = idxDataset(trainImages.bytes, trainLabels.bytes, trainImages.file, trainLabels.file);
  const test = idxDataset(testImages.bytes, testLabels.bytes, testImages.file, testLabels.file);
  const [height, width] = train.shape as [number, number, number];
  if (test.shape[0] !== height || test.shape[1] !== width) {
    throw new FormatError(
      `${testImages.file}: test images are ${test.shape[0]}x${test.shape[1]}, ` +
        `but training images in ${trainImages.file} are ${height}x${width}`,
    );
  }
  return {
    train,
    test,
    source: `IDX files in ${root}: ${train.n} train, ${test.n} test, ${height}x${width}`,
  };
}
