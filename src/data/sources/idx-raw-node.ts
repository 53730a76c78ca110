// A directory of MNIST-named IDX files as uint8 samples [H, W, 1] of any size (EMNIST,
// KMNIST, Fashion-MNIST), through the existing parser but without its /255: the
// normaliser scales. The train files are required; the t10k files are the source's own
// test part when both are present (one without the other is an error).
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { FormatError } from '../../errors.js';
import { IDX_FILE_NAMES, readIdxFile } from '../idx-node.js';
import { checkLabels } from '../dataset.js';
import { parseIdx } from '../idx.js';
import { DEFAULT_DISK_THRESHOLD, FileStore } from '../storage-file-node.js';
import type { DataLimits, DataSplit, SourceParts } from './types.js';

/** Whether `dir` holds train-images-idx3-ubyte[.gz]: how loadData tells an IDX directory. */
export async function hasIdxFiles(dir: string): Promise<boolean> {
  const names = [IDX_FILE_NAMES.trainImages, `${IDX_FILE_NAMES.trainImages}.gz`];
  const found = await Promise.all(names.map((name) => stat(path.join(dir, name)).then(() => true, () => false)));
  return found.includes(true);
}

/**
 * An uncompressed images file over `threshold` bytes, left on disk: its header parsed and
 * checked as parseIdx checks a whole file, its pixels read in chunks (FileStore).
 */
async function idxOnDisk(dir: string, base: string, threshold: number): Promise<{ store: FileStore; dims: [number, number, number]; file: string } | undefined> {
  const file = path.join(dir, base);
  const info = await stat(file).catch(() => null);
  if (!info || !info.isFile() || info.size <= threshold) return undefined;
  const handle = await open(file, 'r');
  const header = new Uint8Array(16);
  try {
    await handle.read(header, 0, 16, 0);
  } finally {
    await handle.close();
  }
  // The checks parseIdx makes of a header (its payload check needs the payload in memory).
  if (header[0] !== 0 || header[1] !== 0 || header[2] !== 0x08 || header[3] !== 3) {
    throw new FormatError(`${file}: not an unsigned-byte IDX images file: magic is 0x${[...header.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join('')}, expected 0x00000803`);
  }
  const view = new DataView(header.buffer);
  const dims = [view.getUint32(4, false), view.getUint32(8, false), view.getUint32(12, false)] as [number, number, number];
  const expected = 16 + dims[0] * dims[1] * dims[2];
  if (info.size !== expected) throw new FormatError(`${file}: IDX header gives ${dims.join(' x ')} bytes of data (${expected} bytes in all), but the file holds ${info.size} bytes`);
  return { store: new FileStore(file, 'uint8', dims[0], dims[1] * dims[2], 16), dims, file };
}

async function readPair(dir: string, images: string, labels: string, limits: DataLimits, threshold: number): Promise<{ split: DataSplit; height: number; width: number; file: string } | undefined> {
  const disk = await idxOnDisk(dir, images, threshold);
  if (disk) {
    const lab = await readIdxFile(dir, labels, limits.maxFileBytes);
    if (!lab) throw new FormatError(`${dir}: found ${images}[.gz] but not ${labels}[.gz]; the images and labels files come in pairs`);
    const labelArray = parseIdx(lab.bytes, lab.file, 1);
    const [n, height, width] = disk.dims;
    if (height === 0 || width === 0) throw new FormatError(`${disk.file}: images are ${height}x${width}; expected both sizes positive`);
    if (labelArray.dims[0] !== n) throw new FormatError(`${disk.file} holds ${n} images but ${lab.file} holds ${labelArray.dims[0]} labels`);
    checkLabels(labelArray.data, lab.file);
    return { split: { n, data: new Uint8Array(0), store: disk.store, labels: Int32Array.from(labelArray.data) }, height, width, file: disk.file };
  }
  const [img, lab] = await Promise.all([readIdxFile(dir, images, limits.maxFileBytes), readIdxFile(dir, labels, limits.maxFileBytes)]);
  if (!img && !lab) return undefined;
  if (!img || !lab) {
    throw new FormatError(`${dir}: found ${img ? images : labels}[.gz] but not ${img ? labels : images}[.gz]; the images and labels files come in pairs`);
  }
  const pixels = parseIdx(img.bytes, img.file, 3);
  const labelArray = parseIdx(lab.bytes, lab.file, 1);
  const [n, height, width] = pixels.dims as [number, number, number];
  if (height === 0 || width === 0) throw new FormatError(`${img.file}: images are ${height}x${width}; expected both sizes positive`);
  if (labelArray.dims[0] !== n) throw new FormatError(`${img.file} holds ${n} images but ${lab.file} holds ${labelArray.dims[0]} labels`);
  checkLabels(labelArray.data, lab.file);
  return { split: { n, data: new Uint8Array(pixels.data), labels: Int32Array.from(labelArray.data) }, height, width, file: img.file };
}

export async function loadIdxSource(dir: string, limits: DataLimits, threshold = DEFAULT_DISK_THRESHOLD): Promise<SourceParts> {
  const root = path.resolve(dir);
  const train = await readPair(root, IDX_FILE_NAMES.trainImages, IDX_FILE_NAMES.trainLabels, limits, threshold);
  if (!train) {
    throw new FormatError(`${root}: no ${IDX_FILE_NAMES.trainImages}[.gz] and ${IDX_FILE_NAMES.trainLabels}[.gz]; an IDX source needs the standard MNIST file names`);
  }
  const test = await readPair(root, IDX_FILE_NAMES.testImages, IDX_FILE_NAMES.testLabels, limits, threshold);
  if (test && (test.height !== train.height || test.width !== train.width)) {
    throw new FormatError(`${test.file}: test images are ${test.height}x${test.width}, but training images in ${train.file} are ${train.height}x${train.width}`);
  }
  return {
    format: 'idx',
    kind: 'images',
    sampleShape: [train.height, train.width, 1],
    dtype: 'uint8',
    train: train.split,
    ...(test ? { test: test.split } : {}),
    source: `IDX files in ${root}`,
  };
}
