// loadData end to end on small sources the test writes, and the bad sources of issue 12
// (normalisation: ../normalize.test.ts).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadData } from '../../../src/data/sources/load-node.js';
import { encodeNpy } from '../../../src/data/sources/npy.js';
import { DataError, FormatError } from '../../../src/errors.js';
import { encodeIdx } from '../../fuzz/seeds.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ae-wasm-sources-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function png(file: string, h: number, w: number, c: 1 | 3, v: number) {
  mkdirSync(path.dirname(file), { recursive: true });
  const raw = Buffer.alloc(h * w * c, v);
  const img = sharp(raw, { raw: { width: w, height: h, channels: c } });
  // sharp writes 1-channel raw input as RGB unless told the colour space.
  writeFileSync(file, await (c === 1 ? img.toColourspace('b-w') : img).png().toBuffer());
}

describe('loadData', () => {
  it('reads 16x12 IDX files as uint8 [16, 12, 1] with their own test part', async () => {
    const px = Uint8Array.from({ length: 5 * 16 * 12 }, (_, i) => i % 256);
    writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), encodeIdx([5, 16, 12], px));
    writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), encodeIdx([5], Uint8Array.of(0, 1, 2, 3, 4)));
    writeFileSync(path.join(dir, 't10k-images-idx3-ubyte'), encodeIdx([2, 16, 12], px.subarray(0, 2 * 192)));
    writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), encodeIdx([2], Uint8Array.of(7, 8)));
    const d = await loadData(dir);
    expect(d.format).toBe('idx');
    expect(d.sampleShape).toEqual([16, 12, 1]);
    expect(d.dtype).toBe('uint8');
    expect(Array.from(d.train.data)).toEqual(Array.from(px));
    expect(Array.from(d.test.labels!)).toEqual([7, 8]);
    expect(d.split).toEqual({ rule: 'source-test' });
  });

  it('reads RGB class folders with sorted folder names as labels and splits by seed', async () => {
    for (let i = 0; i < 5; i++) await png(path.join(dir, 'cat', `${i}.png`), 4, 6, 3, 10 + i);
    for (let i = 0; i < 5; i++) await png(path.join(dir, 'ant', `${i}.png`), 4, 6, 3, 100 + i);
    writeFileSync(path.join(dir, 'cat', '.DS_Store'), 'x');
    const d = await loadData(dir, { seed: 3 });
    expect(d.labelNames).toEqual(['ant', 'cat']);
    expect(d.sampleShape).toEqual([4, 6, 3]);
    expect(d.train.n).toBe(8);
    expect(d.test.n).toBe(2); // round(10 * 0.2)
    const all = [...d.train.data, ...d.test.data];
    // Every sample's pixels are its file's value and its label is its folder's.
    const split = [d.train, d.test];
    for (const s of split) for (let i = 0; i < s.n; i++) expect(s.labels![i]).toBe(s.data[i * 72]! >= 100 ? 0 : 1);
    expect(new Set(all).size).toBe(10);
    const again = await loadData(dir, { seed: 3 });
    expect(Array.from(again.test.data)).toEqual(Array.from(d.test.data));
  });

  it('defaults to 1 channel for greyscale images and resizes to imageSize', async () => {
    await png(path.join(dir, 'a', '0.png'), 8, 8, 1, 50);
    await png(path.join(dir, 'a', '1.png'), 6, 9, 1, 60);
    await expect(loadData(dir)).rejects.toThrow(/1\.png: image is 6x9 but .*0\.png is 8x8/);
    await expect(loadData(dir)).rejects.toBeInstanceOf(DataError);
    const d = await loadData(dir, { imageSize: [3, 5], testSplit: 0.5 });
    expect(d.sampleShape).toEqual([3, 5, 1]);
  });

  it('refuses an empty folder and a non-image file with an image extension', async () => {
    await expect(loadData(dir)).rejects.toThrow(DataError);
    mkdirSync(path.join(dir, 'x'));
    writeFileSync(path.join(dir, 'x', 'a.png'), 'not a png');
    await expect(loadData(dir)).rejects.toThrow(/a\.png: not a readable/);
  });

  it('reads .npy data with labels, and refuses an unsupported dtype and a truncated file', async () => {
    const data = Float32Array.from({ length: 10 * 3 }, (_, i) => i / 7);
    writeFileSync(path.join(dir, 'x.npy'), encodeNpy(data, [10, 3]));
    writeFileSync(path.join(dir, 'y.npy'), encodeNpy(Int32Array.from({ length: 10 }, (_, i) => i % 3), [10]));
    const d = await loadData(path.join(dir, 'x.npy'), { labels: path.join(dir, 'y.npy') });
    expect(d.sampleShape).toEqual([3]);
    expect(d.dtype).toBe('float32');
    expect(d.train.n + d.test.n).toBe(10);
    const bad = encodeNpy(data, [10, 3]);
    bad.set(new TextEncoder().encode("'<i4'"), bad.indexOf(0x27 /* ' */, 20)); // descr '<f4' -> '<i4'
    writeFileSync(path.join(dir, 'bad.npy'), bad);
    await expect(loadData(path.join(dir, 'bad.npy'))).rejects.toThrow(/dtype '<i4' is not supported/);
    writeFileSync(path.join(dir, 'short.npy'), encodeNpy(data, [10, 3]).subarray(0, 100));
    await expect(loadData(path.join(dir, 'short.npy'))).rejects.toThrow(FormatError);
  });

  it('reads a CSV with a header and a string label column; ragged rows and bad cells name row and column', async () => {
    const rows = ['a,b,kind', ...Array.from({ length: 10 }, (_, i) => `${i},${i * 2},${i % 2 ? 'odd' : 'even'}`)];
    writeFileSync(path.join(dir, 't.csv'), rows.join('\n'));
    const d = await loadData(path.join(dir, 't.csv'), { labelColumn: 'kind' });
    expect(d.labelNames).toEqual(['even', 'odd']);
    expect(d.featureNames).toEqual(['a', 'b']);
    expect(d.sampleShape).toEqual([2]);
    writeFileSync(path.join(dir, 'r.csv'), 'a,b\n1,2\n3\n');
    await expect(loadData(path.join(dir, 'r.csv'))).rejects.toThrow('row 3 has 1 cells, expected 2');
    writeFileSync(path.join(dir, 'n.csv'), 'a,b\n1,2\n3,x\n');
    await expect(loadData(path.join(dir, 'n.csv'))).rejects.toThrow('row 3, column "b" (index 1): "x" is not a number');
    writeFileSync(path.join(dir, 'e.csv'), 'a,b\n1,2\n,4\n');
    await expect(loadData(path.join(dir, 'e.csv'))).rejects.toThrow(/row 3, column "a" \(index 0\): the cell is empty/);
  });
});
