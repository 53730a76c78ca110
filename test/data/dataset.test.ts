import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { RandomStream } from '../../src/random/streams.js';
import { gather, subset, validateDataset, type Dataset } from '../../src/data/dataset.js';
import { shuffledIndices } from '../../src/data/shuffle.js';

function tiny(n = 3, height = 2, width = 2): Dataset {
  const images = Float32Array.from({ length: n * height * width }, (_, i) => (i % 5) / 4);
  const labels = Uint8Array.from({ length: n }, (_, i) => i);
  return { images, labels, n, shape: [height, width, 1] };
}

describe('validateDataset', () => {
  it('accepts valid data, including 0 and 1 exactly', () => {
    expect(() => validateDataset(tiny(), 'tiny')).not.toThrow();
  });

  it.each([
    ['NaN', Number.NaN],
    ['+Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['below 0', -0.001],
    ['above 1', 1.001],
  ])('names the first bad pixel when it is %s', (_, bad) => {
    const ds = tiny();
    ds.images[6] = bad; // image 1, pixel 2
    ds.images[9] = bad; // a later one must not be the one reported
    expect(() => validateDataset(ds, 'tiny')).toThrow(DataError);
    expect(() => validateDataset(ds, 'tiny')).toThrow(/^tiny: image 1, pixel 2 \(flat index 6\)/);
  });

  it('rejects sizes that disagree', () => {
    expect(() => validateDataset({ ...tiny(), n: 4 }, 'a')).toThrow(/a: expected 4 x 2x2x1 = 16 pixels, found 12/);
    expect(() => validateDataset({ ...tiny(), labels: new Uint8Array(2) }, 'b')).toThrow(/b: expected 3 labels, found 2/);
    expect(() => validateDataset({ ...tiny(), shape: [0, 2, 1] }, 'c')).toThrow(DataError);
    expect(() => validateDataset({ ...tiny(), n: 1.5 }, 'd')).toThrow(DataError);
  });
});

describe('subset and gather', () => {
  it('subset is a view of a contiguous range', () => {
    const ds = tiny(4);
    const s = subset(ds, 1, 2);
    expect(s.n).toBe(2);
    expect(Array.from(s.labels)).toEqual([1, 2]);
    expect(Array.from(s.images)).toEqual(Array.from(ds.images.subarray(4, 12)));
    s.images[0] = 0.5;
    expect(ds.images[4]).toBe(0.5);
    expect(() => subset(ds, 3, 2)).toThrow(/outside the 4 images/);
  });

  it('gather copies the listed images in order', () => {
    const ds = tiny(4);
    const g = gather(ds, [3, 0, 3]);
    expect(Array.from(g.labels)).toEqual([3, 0, 3]);
    expect(Array.from(g.images.subarray(0, 4))).toEqual(Array.from(ds.images.subarray(12, 16)));
    expect(Array.from(g.images.subarray(4, 8))).toEqual(Array.from(ds.images.subarray(0, 4)));
    g.images[0] = 0.25;
    expect(ds.images[12]).not.toBe(0.25);
    expect(() => gather(ds, [4])).toThrow(/index 4 at position 0/);
  });
});

describe('shuffledIndices', () => {
  it('is a seeded permutation', () => {
    const a = shuffledIndices(1000, new RandomStream(7));
    const b = shuffledIndices(1000, new RandomStream(7));
    const c = shuffledIndices(1000, new RandomStream(8));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(shuffledIndices(0, new RandomStream(1)).length).toBe(0);
    expect(Array.from(shuffledIndices(1, new RandomStream(1)))).toEqual([0]);
  });
});

describe('browser-safe data modules', () => {
  it.each(['dataset.ts', 'idx.ts', 'shuffle.ts', 'digit-cache.ts'])('%s imports nothing from node:', (file) => {
    const text = readFileSync(new URL(`../../src/data/${file}`, import.meta.url), 'utf8');
    expect(text).not.toMatch(/from ['"]node:/);
  });
});
