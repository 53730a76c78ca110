// An .npy data file larger than the disk threshold, left on disk (Node only): its header
// read and checked as parseNpy checks it, its payload read in chunks by a FileStore (which
// holds the file to its exact size). Non-finite values are found by the trainer's
// validation pass, which reads the samples once.
import { open, stat } from 'node:fs/promises';
import { FileError } from '../../errors.js';
import { FileStore } from '../storage-file-node.js';
import { checkDataHeader, MAX_NPY_HEADER_BYTES, parseNpyHeader } from './npy.js';
import type { SampleDtype } from './types.js';

export interface NpyOnDisk {
  shape: number[];
  dtype: SampleDtype;
  store: FileStore;
}

/** The file as a FileStore when it is a regular file over `threshold` bytes, else undefined (load it whole). */
export async function npyOnDisk(file: string, threshold: number): Promise<NpyOnDisk | undefined> {
  const info = await stat(file).catch((err: unknown) => {
    throw new FileError(`cannot read ${file}: ${(err as Error).message}`, file, { cause: err });
  });
  if (!info.isFile() || info.size <= threshold) return undefined;
  const handle = await open(file, 'r');
  const prefix = new Uint8Array(Math.min(info.size, 12 + MAX_NPY_HEADER_BYTES));
  try {
    await handle.read(prefix, 0, prefix.length, 0);
  } finally {
    await handle.close();
  }
  const header = parseNpyHeader(prefix, file);
  const dtype = checkDataHeader(header, file);
  const [n, ...sample] = header.shape as [number, ...number[]];
  const size = sample.reduce((a, b) => a * b, 1);
  return { shape: header.shape, dtype, store: new FileStore(file, dtype, n, size, header.dataOffset) };
}
