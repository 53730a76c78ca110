// CSV and NPY outputs: exact float32 round trips through the project's own readers,
// the size caps, refusals of what could not be read back, and atomic writes.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkCsvOutput,
  encodeCsv,
  formatFloat32,
  MAX_CSV_CELL_BYTES,
  outFormat,
  writeCsv,
  writeNpy,
} from '../../src/cli/output-file.js';
import { parseCsv } from '../../src/data/sources/csv.js';
import { parseNpy } from '../../src/data/sources/npy.js';
import { ArgumentError, DataError, FileError, ShapeError } from '../../src/errors.js';
import { DEFAULT_MAX_FILE_BYTES, readFileBytes } from '../../src/io/file-node.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ae-wasm-out-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/**
 * Float32 values from every part of the range: random bit patterns (so every exponent,
 * subnormals included), then the edges and values people write by hand.
 */
function float32Values(n: number, seed: number): Float32Array {
  const bits = new Uint32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    bits[i] = s >>> 0;
  }
  const out = new Float32Array(bits.buffer);
  for (let i = 0; i < n; i++) if (!Number.isFinite(out[i]!)) out[i] = i; // NaN / Inf patterns
  const special = [0, -0, 1, -1, 0.1, 1 / 3, 100, 1e-7, 3.4028234663852886e38, -3.4028234663852886e38, 1.1754943508222875e-38, 1.401298464324817e-45, -1.401298464324817e-45, 16777216, 16777217, 0.5, 2 ** -20, 123456.789, 1e20];
  out.set(special.map((v) => Math.fround(v)));
  return out;
}

describe('formatFloat32', () => {
  it('writes the shortest decimal that reads back as the same float32', () => {
    expect([0, -0, 1, 0.1, 100, 1e-7, 1e20, 0.5, -2.5].map((v) => formatFloat32(Math.fround(v)))).toEqual(['0', '-0', '1', '0.1', '100', '1e-7', '1e+20', '0.5', '-2.5']);
    expect(formatFloat32(Math.fround(1 / 3))).toBe('0.33333334');
    const values = float32Values(20_000, 7);
    let longest = 0;
    for (const v of values) {
      const text = formatFloat32(v);
      longest = Math.max(longest, text.length);
      expect(Object.is(Math.fround(Number(text)), v)).toBe(true);
      // Shortest: no rounding to p digits that reads back, in either notation, is shorter.
      for (let p = 1; p <= 9 && v !== 0; p++) {
        if (Math.fround(Number(v.toPrecision(p))) !== v) continue;
        expect(text.length).toBeLessThanOrEqual(Math.min(v.toPrecision(p).length, v.toExponential(p - 1).length));
      }
    }
    expect(longest + 1).toBeLessThanOrEqual(MAX_CSV_CELL_BYTES);
  });
});

describe('writeCsv', () => {
  it('round-trips exactly through parseCsv, header and all', async () => {
    const header = ['x0', 'feature, with comma', 'say "hi"', ' padded', 'ü'];
    const rows = float32Values(5 * 3001, 3);
    const file = join(tmp, 'rows.csv');
    expect(await writeCsv(file, header, rows)).toMatch(/wrote .*rows\.csv: 3001 rows x 5 columns/);
    const table = parseCsv(await readFileBytes(file), file);
    expect(table.hasHeader).toBe(true);
    expect(table.featureNames).toEqual(header); // quoted where needed, so the edge space survives the reader's trim
    expect([table.n, table.features]).toEqual([3001, 5]);
    for (let i = 0; i < rows.length; i++) {
      if (!Object.is(Math.fround(table.data[i]!), rows[i])) expect([i, table.data[i]]).toEqual([i, rows[i]]);
    }
  });

  it('spans chunk boundaries without losing or doubling a row', () => {
    const rows = Float32Array.from({ length: 4097 * 2 }, (_, i) => i);
    const text = new TextDecoder().decode(encodeCsv(['a', 'b'], rows));
    const lines = text.split('\n');
    expect(lines.length).toBe(4097 + 2); // header, rows, trailing ''
    expect([lines[4096], lines[4097], lines[4098]]).toEqual(['8190,8191', '8192,8193', '']);
  });

  it('refuses what could not be read back, before writing, leaving an old file untouched', async () => {
    const file = join(tmp, 'keep.csv');
    await writeFile(file, 'old');
    const bad = Float32Array.of(1, 2, NaN, 4);
    await expect(writeCsv(file, ['a', 'b'], bad)).rejects.toThrow(DataError);
    await expect(writeCsv(file, ['a', 'b'], bad)).rejects.toThrow(/sample 1 \(line 3\), column "a" \(index 0\) is NaN/);
    await expect(writeCsv(file, ['a', 'b'], new Float32Array(3))).rejects.toThrow(ShapeError);
    await expect(writeCsv(file, ['a', 'b'], new Float32Array(0))).rejects.toThrow(ShapeError);
    await expect(writeCsv(file, [], new Float32Array(3))).rejects.toThrow(ArgumentError);
    await expect(writeCsv(file, ['0', '1.5'], new Float32Array(2))).rejects.toThrow(/all numbers, so a reader would take it for data/);
    expect(await readFile(file, 'utf8')).toBe('old');
  });

  it('refuses outputs over the file limit with the count that fits', () => {
    const fits = Math.floor(DEFAULT_MAX_FILE_BYTES / (784 * MAX_CSV_CELL_BYTES));
    expect(() => checkCsvOutput(fits, 784, '--n')).not.toThrow();
    expect(() => checkCsvOutput(fits + 1, 784, '--n 99999')).toThrow(ArgumentError);
    expect(() => checkCsvOutput(fits + 1, 784, '--n 99999')).toThrow(new RegExp(`--n 99999: .*at most ${fits} rows\\); ask for fewer or write \\.npy`));
  });
});

describe('writeNpy', () => {
  it('round-trips exactly through parseNpy', async () => {
    const data = float32Values(6 * 4 * 4 * 3, 11);
    const file = join(tmp, 'images.npy');
    expect(await writeNpy(file, data, [6, 4, 4, 3])).toBe(`wrote ${file}: F32 [6, 4, 4, 3] (.npy)`);
    // readFileBytes, as the loaders read: parseNpy misreads a Node Buffer (a pooled view; reported).
    const back = parseNpy(await readFileBytes(file), file);
    expect(back.dtype).toBe('float32');
    expect(back.shape).toEqual([6, 4, 4, 3]);
    expect(back.data).toEqual(data);
    expect(Object.is(back.data[1], -0)).toBe(true);
  });

  it('refuses a shape that does not hold the data, non-finite values and outputs over the limit', async () => {
    const file = join(tmp, 'bad.npy');
    await expect(writeNpy(file, new Float32Array(6), [2, 4])).rejects.toThrow(/shape \[2, 4\] holds 8 values, the data has 6/);
    await expect(writeNpy(file, new Float32Array(6), [2, -3])).rejects.toThrow(ShapeError);
    await expect(writeNpy(file, Float32Array.of(1, Infinity), [1, 2])).rejects.toThrow(/value Infinity at flat index 1 \(sample 0\)/);
    // A lie about the length is enough to reach the cap check without a 1 GiB array.
    const huge = { length: 2 ** 28 + 4 } as unknown as Float32Array;
    await expect(writeNpy(file, huge, [2 ** 26 + 1, 4])).rejects.toThrow(/over the 1073741824-byte file limit \(at most 67108864 samples of 4 values\)/);
    await expect(readdir(tmp)).resolves.not.toContain('bad.npy');
  });
});

describe('atomic writes', () => {
  it('leaves no file and no temp file when the write fails', async () => {
    const dir = join(tmp, 'atomic');
    await mkdir(dir);
    // The target is a directory: the bytes reach the temp file, then the rename fails.
    await mkdir(join(dir, 'out.csv'));
    await writeFile(join(dir, 'out.csv', 'inside'), 'x');
    await expect(writeCsv(join(dir, 'out.csv'), ['a'], Float32Array.of(1))).rejects.toThrow(FileError);
    await expect(writeNpy(join(dir, 'out.csv'), Float32Array.of(1), [1, 1])).rejects.toThrow(FileError);
    expect((await readdir(dir)).sort()).toEqual(['out.csv']);
    expect(await readdir(join(dir, 'out.csv'))).toEqual(['inside']);
    // A parent that is a regular file: nothing can be created under it.
    await writeFile(join(dir, 'plain'), 'p');
    await expect(writeCsv(join(dir, 'plain', 'x.csv'), ['a'], Float32Array.of(1))).rejects.toThrow(FileError);
    await expect(writeNpy(join(dir, 'plain', 'x.npy'), Float32Array.of(1), [1, 1])).rejects.toThrow(FileError);
    expect((await readdir(dir)).sort()).toEqual(['out.csv', 'plain']);
    expect(await readFile(join(dir, 'plain'), 'utf8')).toBe('p');
  });
});

describe('outFormat', () => {
  it('picks csv and npy by extension, case-insensitively, and names the supported ones otherwise', () => {
    const formats = ['png', 'csv', 'npy', 'safetensors'] as const;
    expect(['a.csv', 'b.NPY', 'c.Png', 'd.safetensors'].map((f) => outFormat(f, formats))).toEqual(['csv', 'npy', 'png', 'safetensors']);
    expect(() => outFormat('codes.npy', ['png', 'csv'])).toThrow(/unsupported extension "\.npy"; expected \.png or \.csv/);
    expect(() => outFormat('codes', ['csv', 'npy'])).toThrow(ArgumentError);
  });
});
