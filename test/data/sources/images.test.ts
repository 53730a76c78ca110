// Image class folders in detail: sizes, channels, JPEG and WebP decoding, what is
// ignored, and the limits that refuse a source before its pixels are allocated.
import { mkdirSync, writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadData } from '../../../src/data/sources/load-node.js';
import { encodeNpy } from '../../../src/data/sources/npy.js';
import { DataError, FileError, FormatError } from '../../../src/errors.js';
import { encodeIdx } from '../../fuzz/seeds.js';
import { encodeImage, flat, gradient, tempDir, writeImage, writeText, type ImageType } from './fixtures.js';

const { at, dir } = tempDir('ae-wasm-images-');

/** sharp's greyscale (libvips b-w): the luminance Y of Rec. 709 primaries in linear light, sRGB-encoded. */
function luma(r: number, g: number, b: number): number {
  const linear = (v: number) => ((v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  const y = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  return 255 * (y <= 0.0031308 ? 12.92 * y : 1.055 * y ** (1 / 2.4) - 0.055);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** A PNG whose header says h x w over the pixel data of a 2x2 image: readable by metadata(), not decodable. */
async function headerOnlyPng(h: number, w: number): Promise<Buffer> {
  const out = Buffer.from(await encodeImage(new Uint8Array(2 * 2), 2, 2, 1));
  // IHDR: signature (8), length (4), type (4), width, height, ..., CRC of type + data at 29.
  out.writeUInt32BE(w, 16);
  out.writeUInt32BE(h, 20);
  out.writeUInt32BE(crc32(out.subarray(12, 29)), 29);
  return out;
}

describe('image sizes and channels', () => {
  it('mixed sizes are refused without imageSize and resized with it (fit fill)', async () => {
    await writeImage(at('a', '0.png'), flat(8, 8, 40), 8, 8, 1);
    await writeImage(at('a', '1.png'), flat(4, 10, 90), 4, 10, 1);
    await writeImage(at('b', '0.png'), gradient(16, 16, 1), 16, 16, 1);
    await expect(loadData(dir())).rejects.toThrow(DataError);
    await expect(loadData(dir())).rejects.toThrow(/1\.png: image is 4x10 but .*0\.png is 8x8; every image must have the first image's size unless imageSize/);
    const d = await loadData(dir(), { imageSize: [6, 5], testSplit: 0.4, seed: 1 });
    expect(d.sampleShape).toEqual([6, 5, 1]);
    const all = [d.train, d.test];
    const byValue = new Map<number, number>();
    for (const s of all) for (let i = 0; i < s.n; i++) byValue.set(s.data[i * 30]!, s.labels![i]!);
    // The flat images stay flat at any size; the gradient is resized, not cropped.
    expect(byValue.get(40)).toBe(0);
    expect(byValue.get(90)).toBe(0);
    for (const s of all) {
      for (let i = 0; i < s.n; i++) {
        const img = s.data.subarray(i * 30, (i + 1) * 30);
        if (s.labels![i] === 0) expect(new Set(img).size).toBe(1);
        else expect(Math.max(...img) - Math.min(...img)).toBeGreaterThan(50);
      }
    }
  });

  it('channels defaults to 1 for grey images and 3 as soon as one is colour; 1 on RGB is luma, 3 on grey repeats it', async () => {
    const rgb = flat(3, 3, [200, 100, 50]);
    await writeImage(at('c', 'rgb.png'), rgb, 3, 3, 3);
    await writeImage(at('c', 'grey.png'), flat(3, 3, 120), 3, 3, 1);
    const colour = await loadData(dir(), { testSplit: 0.5, seed: 0 });
    expect(colour.sampleShape).toEqual([3, 3, 3]);
    const values = [...colour.train.data, ...colour.test.data];
    expect(values.filter((v) => v === 120).length).toBe(27); // grey repeated in all three channels
    const one = await loadData(dir(), { channels: 1, testSplit: 0.5 });
    expect(one.sampleShape).toEqual([3, 3, 1]);
    const greyOfRgb = [...one.train.data, ...one.test.data].filter((v) => v !== 120);
    expect(greyOfRgb.length).toBe(9);
    for (const v of greyOfRgb) expect(Math.abs(v - luma(200, 100, 50))).toBeLessThanOrEqual(2);
    const three = await loadData(dir(), { channels: 3, testSplit: 0.5 });
    expect(three.sampleShape).toEqual([3, 3, 3]);
    // All grey: 1 channel unless asked for 3.
    await writeImage(at('g', 'x', '0.png'), flat(2, 2, 7), 2, 2, 1);
    await writeImage(at('g', 'x', '1.png'), flat(2, 2, 8), 2, 2, 1);
    expect((await loadData(at('g'), { testSplit: 0.5 })).sampleShape).toEqual([2, 2, 1]);
    const g3 = await loadData(at('g'), { channels: 3, testSplit: 0.5 });
    expect(g3.sampleShape).toEqual([2, 2, 3]);
    expect(new Set([...g3.train.data, ...g3.test.data])).toEqual(new Set([7, 8]));
  });

  it.each<[ImageType, 1 | 3, number]>([
    ['jpeg', 3, 6],
    ['jpeg', 1, 4],
    ['webp', 3, 12], // lossy WebP always subsamples chroma (4:2:0)
  ])('%s files with %i channel(s) decode to the written pixels within %i levels', async (type, c, tolerance) => {
    const pixels = gradient(16, 12, c, 3);
    mkdirSync(at('k'), { recursive: true });
    writeFileSync(at('k', `0.${type === 'jpeg' ? 'jpg' : 'webp'}`), await encodeImage(pixels, 16, 12, c, type));
    writeFileSync(at('k', '1.png'), await encodeImage(pixels, 16, 12, c, 'png'));
    const d = await loadData(dir(), { testSplit: 0.5, seed: 0, channels: c });
    expect(d.sampleShape).toEqual([16, 12, c]);
    const decoded = [d.train, d.test];
    for (const s of decoded) expect(maxDiff(s.data, pixels)).toBeLessThanOrEqual(tolerance);
  });

  it('lossless WebP and .JPEG / .Jpg extensions in any case are read', async () => {
    const pixels = gradient(5, 7, 3, 1);
    mkdirSync(at('k'), { recursive: true });
    writeFileSync(at('k', 'a.WEBP'), await encodeImage(pixels, 5, 7, 3, 'webp', { lossless: true }));
    writeFileSync(at('k', 'b.JPEG'), await encodeImage(pixels, 5, 7, 3, 'jpeg'));
    writeFileSync(at('k', 'c.Jpg'), await encodeImage(pixels, 5, 7, 3, 'jpeg'));
    const d = await loadData(dir(), { testSplit: 0.34, seed: 0 });
    expect(d.train.n + d.test.n).toBe(3);
    const exact = [d.train, d.test].some((s) => [...Array(s.n).keys()].some((i) => maxDiff(s.data.subarray(i * 105, (i + 1) * 105), pixels) === 0));
    expect(exact).toBe(true);
  });

  it('hidden files and folders and files of other extensions are ignored', async () => {
    await writeImage(at('a', '0.png'), flat(2, 2, 1), 2, 2, 1);
    await writeImage(at('a', '1.png'), flat(2, 2, 2), 2, 2, 1);
    writeText(at('a', '.DS_Store'), 'junk');
    writeText(at('a', '._0.png'), 'AppleDouble junk with an image extension');
    writeText(at('a', 'notes.txt'), 'hello');
    writeText(at('a', 'thumbs.db'), 'x');
    mkdirSync(at('a', 'nested.png'), { recursive: true }); // a directory named like an image
    writeText(at('.git', 'HEAD'), 'ref: refs/heads/main');
    await writeImage(at('.cache', '0.png'), flat(9, 9, 3), 9, 9, 1);
    writeText(at('README.md'), 'my data');
    const d = await loadData(dir(), { testSplit: 0.5 });
    expect(d.labelNames).toEqual(['a']);
    expect(d.train.n + d.test.n).toBe(2);
    // A folder with only non-images is refused, naming it.
    writeText(at('b', 'list.csv'), '1,2');
    await expect(loadData(dir(), { testSplit: 0.5 })).rejects.toThrow(/class folder "b" holds no images/);
  });

  it('a file that is another format under an image name is refused by its content', async () => {
    await writeImage(at('a', '0.png'), flat(2, 2, 1), 2, 2, 1);
    const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
    writeFileSync(at('a', '1.png'), gif);
    await expect(loadData(dir(), { testSplit: 0.5 })).rejects.toThrow(/1\.png: is a gif image; expected PNG, JPEG or WebP/);
  });
});

describe('limits refuse a source before the big allocation', () => {
  it('maxImages: counted while listing, before any file is read', async () => {
    mkdirSync(at('a'), { recursive: true });
    for (let i = 0; i < 3; i++) writeText(at('a', `${i}.png`), 'not an image: reading it would fail differently');
    await expect(loadData(dir(), { limits: { maxImages: 2 } })).rejects.toThrow(new DataError(`${dir()}: more than 2 images (the maxImages limit); raise limits.maxImages to load them`));
    // The train and test parts share the count.
    for (let i = 0; i < 2; i++) writeText(at('s', 'train', 'a', `${i}.png`), 'x');
    for (let i = 0; i < 2; i++) writeText(at('s', 'test', 'a', `${i}.png`), 'x');
    await expect(loadData(at('s'), { limits: { maxImages: 3 } })).rejects.toThrow(/more than 1 images \(the maxImages limit\)/);
  });

  it('maxImagePixels: from the header, so a 100000x100000 PNG of 33 bytes is never decoded', async () => {
    mkdirSync(at('a'), { recursive: true });
    writeFileSync(at('a', 'huge.png'), await headerOnlyPng(100_000, 100_000));
    await expect(loadData(dir())).rejects.toThrow(/huge\.png: image is 100000x100000 = 10000000000 pixels, over the 16777216-pixel limit \(limits\.maxImagePixels\)/);
    writeFileSync(at('a', 'huge.png'), await headerOnlyPng(30, 40));
    await expect(loadData(dir(), { limits: { maxImagePixels: 1199 } })).rejects.toThrow(/30x40 = 1200 pixels, over the 1199-pixel limit/);
    // imageSize itself is held to the cap.
    await writeImage(at('a', 'huge.png'), flat(2, 2, 0), 2, 2, 1);
    await expect(loadData(dir(), { imageSize: [100, 100], limits: { maxImagePixels: 9999 } })).rejects.toThrow(/imageSize 100x100 is over the 9999-pixel limit/);
  });

  it('maxTotalBytes: from the headers, before decoding (a truncated file would fail to decode)', async () => {
    mkdirSync(at('a'), { recursive: true });
    writeFileSync(at('a', '0.png'), await headerOnlyPng(10, 10));
    writeFileSync(at('a', '1.png'), await headerOnlyPng(10, 10));
    await expect(loadData(dir(), { limits: { maxTotalBytes: 199 } })).rejects.toThrow(/2 images of 10x10x1 need 200 bytes, over the 199-byte budget \(limits\.maxTotalBytes\)/);
    // Within budget the same files reach the decoder, which refuses them.
    await expect(loadData(dir(), { limits: { maxTotalBytes: 200 } })).rejects.toThrow(/cannot decode the image/);
    // imageSize and channels count, and the test part adds to the training part.
    await expect(loadData(dir(), { imageSize: [10, 20], channels: 3, limits: { maxTotalBytes: 1199 } })).rejects.toThrow(/need 1200 bytes/);
    await writeImage(at('s', 'train', 'a', '0.png'), flat(10, 10, 0), 10, 10, 1);
    mkdirSync(at('s', 'test', 'a'), { recursive: true });
    writeFileSync(at('s', 'test', 'a', '0.png'), await headerOnlyPng(10, 10));
    await expect(loadData(at('s'), { limits: { maxTotalBytes: 199 } })).rejects.toThrow(/1 images of 10x10x1 need 200 bytes, over the 199-byte budget/);
  });

  it('maxTotalBytes for an image testSource counts the training images', async () => {
    await writeImage(at('train', 'a', '0.png'), flat(10, 10, 0), 10, 10, 1);
    mkdirSync(at('test', 'a'), { recursive: true });
    writeFileSync(at('test', 'a', '0.png'), await headerOnlyPng(10, 10));
    await expect(loadData(at('train'), { testSource: at('test'), limits: { maxTotalBytes: 150 } })).rejects.toThrow(/need 100 bytes, over the 50-byte budget/);
  });

  it('maxCsvBytes and maxFileBytes: the file size, before it is read', async () => {
    writeText(at('t.csv'), 'a,b\n1,2\n3,4\n5,6\n'); // 16 bytes
    await expect(loadData(at('t.csv'), { limits: { maxCsvBytes: 15 } })).rejects.toThrow(FileError);
    await expect(loadData(at('t.csv'), { limits: { maxCsvBytes: 15 } })).rejects.toThrow(/it is 16 bytes, over the 15-byte limit/);
    expect((await loadData(at('t.csv'), { limits: { maxCsvBytes: 16 }, testSplit: 0.34 })).train.n).toBe(2);
    await writeImage(at('i', 'a', '0.png'), flat(4, 4, 0), 4, 4, 1);
    await expect(loadData(at('i'), { limits: { maxImageFileBytes: 10 } })).rejects.toThrow(/over the 10-byte limit/);
  });

  it('.npy: maxTotalBytes from the header shape, before the data is copied; maxFileBytes from the file size', async () => {
    writeFileSync(at('x.npy'), encodeNpy(new Float32Array(10 * 4), [10, 4])); // 160 bytes of data
    await expect(loadData(at('x.npy'), { limits: { maxTotalBytes: 159 } })).rejects.toThrow(FormatError);
    await expect(loadData(at('x.npy'), { limits: { maxTotalBytes: 159 } })).rejects.toThrow(/shape \[10, 4\] of <f4 needs 160 bytes, over the 159-byte limit/);
    expect((await loadData(at('x.npy'), { limits: { maxTotalBytes: 160 } })).train.n).toBe(8);
    // A header claiming 2^40 values in a file of 128 bytes: refused by the budget, not by an allocation failure.
    const huge = encodeNpy(new Float32Array(4), [2, 2]);
    const text = new TextDecoder().decode(huge.subarray(10, 10 + new DataView(huge.buffer).getUint16(8, true)));
    // The longer shape takes 12 of the header's padding spaces, so the file's layout is unchanged.
    const header = new TextEncoder().encode(text.replace("'shape': (2, 2)", "'shape': (1099511627776, 1)").replace(/ {12}\n$/, '\n'));
    expect(header.length).toBe(text.length);
    huge.set(header, 10);
    writeFileSync(at('huge.npy'), huge);
    await expect(loadData(at('huge.npy'))).rejects.toThrow(/needs 4398046511104 bytes, over the 1073741824-byte limit/);
    await expect(loadData(at('x.npy'), { limits: { maxFileBytes: 100 } })).rejects.toThrow(FileError);
  });

  it('IDX: maxFileBytes per file', async () => {
    mkdirSync(at('idx'));
    writeFileSync(at('idx', 'train-images-idx3-ubyte'), encodeIdx([2, 4, 4], new Uint8Array(32)));
    writeFileSync(at('idx', 'train-labels-idx1-ubyte'), encodeIdx([2], new Uint8Array(2)));
    expect((await loadData(at('idx'), { testSplit: 0.5, limits: { maxFileBytes: 48 } })).train.n).toBe(1);
    await expect(loadData(at('idx'), { limits: { maxFileBytes: 47 } })).rejects.toThrow(/over the 47-byte limit/);
  });

  it('an unknown or non-positive limit is an ArgumentError before anything is read', async () => {
    await expect(loadData(at('missing'), { limits: { maxImages: 0 } })).rejects.toThrow(/data limit maxImages must be a positive integer, got 0/);
    await expect(loadData(at('missing'), { limits: { maxPixels: 5 } as never })).rejects.toThrow(/unknown data limit "maxPixels"; expected maxFileBytes, maxCsvBytes/);
  });
});
