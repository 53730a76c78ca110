import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataError, FileError, FormatError } from '../../src/errors.js';
import { classCount, MAX_CLASSES, requireImages, requireTrainingAfterValidation } from '../../src/data/dataset.js';
import { parseIdx } from '../../src/data/idx.js';
import { IDX_FILE_NAMES, loadIdxDir } from '../../src/data/idx-node.js';
import { loadSplits } from '../../src/data/load.js';

/** An IDX file: magic [0, 0, type, dims.length], big-endian dims, then the payload. */
function encodeIdx(dims: number[], payload: Uint8Array, type = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  const view = new DataView(out.buffer);
  out.set([0, 0, type, dims.length]);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(payload, 4 + 4 * dims.length);
  return out;
}

// Non-square images so a height/width mix-up shows; every byte value occurs.
const H = 3;
const W = 4;
const bytes = (n: number, salt: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + salt) % 256);
const trainPixels = bytes(70 * H * W, 1);
const trainLabels = bytes(70, 2).map((b) => b % 10);
const testPixels = bytes(9 * H * W, 3);
const testLabels = bytes(9, 4).map((b) => b % 10);

const FILES = {
  [IDX_FILE_NAMES.trainImages]: encodeIdx([70, H, W], trainPixels),
  [IDX_FILE_NAMES.trainLabels]: encodeIdx([70], trainLabels),
  [IDX_FILE_NAMES.testImages]: encodeIdx([9, H, W], testPixels),
  [IDX_FILE_NAMES.testLabels]: encodeIdx([9], testLabels),
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ae-wasm-idx-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeAll(gz: boolean, overrides: Record<string, Uint8Array> = {}): void {
  for (const [name, data] of Object.entries({ ...FILES, ...overrides })) {
    writeFileSync(path.join(dir, gz ? `${name}.gz` : name), gz ? gzipSync(data) : data);
  }
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('loadIdxDir', () => {
  it.each([false, true])('reads the four files back exactly (gzipped: %s)', async (gz) => {
    writeAll(gz);
    const { train, test, source } = await loadIdxDir(dir);
    expect([train.n, ...train.shape]).toEqual([70, H, W, 1]);
    expect(test.n).toBe(9);
    expect(train.images).toEqual(Float32Array.from(trainPixels, (b) => b / 255));
    expect(test.images).toEqual(Float32Array.from(testPixels, (b) => b / 255));
    expect(train.labels).toEqual(trainLabels);
    expect(test.labels).toEqual(testLabels);
    expect(train.images[trainPixels.indexOf(255)]).toBe(1);
    expect(source).toContain(dir);
  });

  it('accepts a mix of raw and gzipped files, through loadSplits', async () => {
    writeAll(false);
    rmSync(path.join(dir, IDX_FILE_NAMES.testImages));
    writeFileSync(path.join(dir, `${IDX_FILE_NAMES.testImages}.gz`), gzipSync(FILES[IDX_FILE_NAMES.testImages]));
    const { test } = await loadSplits({ data: dir });
    expect(test.images).toEqual(Float32Array.from(testPixels, (b) => b / 255));
  });

  const images = IDX_FILE_NAMES.trainImages;
  const labels = IDX_FILE_NAMES.trainLabels;
  const good = FILES[images];
  const withByte = (b: Uint8Array, at: number, v: number) => {
    const c = b.slice();
    c[at] = v;
    return c;
  };
  const cases: [string, string, Uint8Array, RegExp][] = [
    ['bad magic', images, withByte(good, 0, 0x12), /not an IDX file: magic is 0x12000803, expected 0x00000803/],
    ['a float type code', images, withByte(good, 2, 0x0d), /type code 0x0d \(float\) is not supported/],
    ['a truncated payload', images, good.subarray(0, good.length - 1), /payload needs 840 bytes, found 839 \(truncated\)/],
    ['trailing bytes', images, Uint8Array.from([...good, 0, 0]), /payload needs 840 bytes, found 842 \(trailing bytes\)/],
    ['a truncated header', images, good.subarray(0, 10), /header needs 16 bytes, file has 10/],
    ['a labels file as images', images, FILES[labels], /expected an IDX array with 3 dimensions .* found 1/],
    ['an images file as labels', labels, good, /expected an IDX array with 1 dimensions .* found 3/],
    ['a label count mismatch', labels, encodeIdx([69], trainLabels.subarray(0, 69)), /holds 70 images but .* holds 69 labels/],
  ];

  it.each(cases)('rejects %s with FormatError naming the file', async (_, name, data, message) => {
    for (const gz of [false, true]) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      writeAll(gz, { [name]: data });
      const e = await rejection(loadIdxDir(dir));
      expect(e).toBeInstanceOf(FormatError);
      expect(e.message).toContain(path.join(dir, gz ? `${name}.gz` : name));
      expect(e.message).toMatch(message);
    }
  });

  it.each([
    ['flipped bytes', (z: Uint8Array) => withByte(withByte(z, 20, z[20]! ^ 0xff), 30, z[30]! ^ 0xff)],
    ['truncation', (z: Uint8Array) => z.subarray(0, z.length - 12)],
  ])('rejects a gzip stream corrupted by %s', async (_, corrupt) => {
    writeAll(false);
    rmSync(path.join(dir, images));
    const file = path.join(dir, `${images}.gz`);
    writeFileSync(file, corrupt(gzipSync(good)));
    const e = await rejection(loadIdxDir(dir));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toContain(`${file}: corrupt gzip stream`);
  });

  it('names missing files and the directory searched', async () => {
    writeAll(false);
    rmSync(path.join(dir, IDX_FILE_NAMES.testLabels));
    const e = await rejection(loadIdxDir(dir));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toContain(`in directory ${dir}: t10k-labels-idx1-ubyte[.gz]`);
    expect(e.message).not.toContain('train-images-idx3-ubyte[.gz]');

    const nowhere = path.join(dir, 'nowhere');
    const e2 = await rejection(loadIdxDir(nowhere));
    expect(e2.message).toContain(`${nowhere} is not a directory`);
  });

  it('names a directory where an IDX file was expected (not a raw EISDIR)', async () => {
    writeAll(false);
    const where = path.join(dir, IDX_FILE_NAMES.trainImages);
    rmSync(where);
    mkdirSync(where);
    const e = await rejection(loadIdxDir(dir));
    expect(e).toBeInstanceOf(FileError);
    expect(e.message).toBe(`cannot read ${where}: it is a directory (EISDIR)`);
  });

  it('rejects train and test images of different sizes', async () => {
    writeAll(false, { [IDX_FILE_NAMES.testImages]: encodeIdx([9, W, H], testPixels) });
    const e = await rejection(loadIdxDir(dir));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toMatch(/test images are 4x3, but training images in .* are 3x4/);
  });
});

describe('labels and empty splits', () => {
  it('accepts labels up to 63 (EMNIST byclass has 62 classes) and refuses 64 or more, naming file, index and value', async () => {
    const emnist = Uint8Array.from({ length: 70 }, (_, i) => i % 62);
    writeAll(false, { [IDX_FILE_NAMES.trainLabels]: encodeIdx([70], emnist) });
    const { train } = await loadIdxDir(dir);
    expect(classCount(train.labels)).toBe(62);
    const bad = Uint8Array.from(testLabels);
    bad[5] = MAX_CLASSES;
    writeAll(true, { [IDX_FILE_NAMES.testLabels]: encodeIdx([9], bad) });
    rmSync(path.join(dir, IDX_FILE_NAMES.testLabels));
    const e = await rejection(loadIdxDir(dir));
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toBe(`${path.join(dir, IDX_FILE_NAMES.testLabels)}.gz: label 64 at index 5 is outside 0..63 (at most 64 classes)`);
  });

  it('loads an empty split (the format allows it), which requireImages refuses naming the split and source', async () => {
    writeAll(false, { [IDX_FILE_NAMES.testImages]: encodeIdx([0, H, W], new Uint8Array(0)), [IDX_FILE_NAMES.testLabels]: encodeIdx([0], new Uint8Array(0)) });
    const splits = await loadIdxDir(dir);
    expect(splits.test.n).toBe(0);
    requireImages(splits, 'train');
    expect(() => requireImages(splits, 'test')).toThrow(DataError);
    expect(() => requireImages(splits, 'test')).toThrow(`the test split has 0 images (IDX files in ${dir}: 70 train, 0 test, 3x4)`);
    // floor(70 * 0.99) = 69 held out leaves one; holding out everything leaves none.
    expect(() => requireTrainingAfterValidation(splits, 0.99)).not.toThrow();
    expect(() => requireTrainingAfterValidation(splits, 1)).toThrow(/--val-split 1 holds out 70 of the 70 training images of IDX files in .*, leaving none to train on/);
  });
});

describe('parseIdx', () => {
  it('returns dims and a view of the payload', () => {
    const parsed = parseIdx(FILES[IDX_FILE_NAMES.trainImages], 'x', 3);
    expect(parsed.dims).toEqual([70, H, W]);
    expect(parsed.data).toEqual(trainPixels);
  });

  it('hints when raw gzip data lacks the .gz suffix', () => {
    expect(() => parseIdx(gzipSync(FILES[IDX_FILE_NAMES.trainImages]), 'f', 3)).toThrow(/gzip data; give the file a \.gz suffix/);
  });

  it('rejects an empty file', () => {
    expect(() => parseIdx(new Uint8Array(0), 'empty', 1)).toThrow(/empty: 0 bytes is too short/);
  });
});
