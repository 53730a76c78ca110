// The first digits of a data set as MNIST IDX files (uint8 pixels, big-endian header),
// what `--data DIR` reads: the CLI tests write small ones to a temp dir.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadBundledSplits } from '../../src/data/bundled.js';
import type { Dataset } from '../../src/data/dataset.js';

function idx(magicDims: number, dims: number[], payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x00000800 | magicDims, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(payload, 4 + 4 * dims.length);
  return out;
}

/** The images and labels files of the first `n` 28 x 28 digits of `ds`. */
export function idxFiles(ds: Dataset, n: number): { images: Uint8Array; labels: Uint8Array } {
  const pixels = new Uint8Array(n * 784);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.round(ds.images[i]! * 255);
  return { images: idx(3, [n, 28, 28], pixels), labels: idx(1, [n], ds.labels.slice(0, n)) };
}

/** DIR (created) holding the first `nTrain` / `nTest` bundled digits as the four IDX files `--data DIR` reads. */
export async function writeIdxDir(dir: string, nTrain: number, nTest: number): Promise<void> {
  const splits = await loadBundledSplits();
  await mkdir(dir);
  for (const [stem, ds, n] of [['train', splits.train, nTrain], ['t10k', splits.test, nTest]] as const) {
    const { images, labels } = idxFiles(ds, n);
    await writeFile(join(dir, `${stem}-images-idx3-ubyte`), images);
    await writeFile(join(dir, `${stem}-labels-idx1-ubyte`), labels);
  }
}
