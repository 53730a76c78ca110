// The split rule's first two cases: a separate testSource of each format (rule 1), and a
// source's own test part, SOURCE/train/<label> beside SOURCE/test/<label> (rule 2).
import { mkdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadData } from '../../../src/data/sources/load-node.js';
import { encodeNpy } from '../../../src/data/sources/npy.js';
import { ArgumentError, DataError } from '../../../src/errors.js';
import { encodeIdx } from '../../fuzz/seeds.js';
import { flat, gradient, tempDir, writeImage, writeText } from './fixtures.js';

const { at } = tempDir('ae-wasm-testsource-');

function writeIdx(dir: string, n: number, h: number, w: number, withTest: boolean, first = 0): Uint8Array {
  mkdirSync(dir, { recursive: true });
  const px = Uint8Array.from({ length: n * h * w }, (_, i) => (first + i) % 256);
  writeFileSync(`${dir}/train-images-idx3-ubyte`, encodeIdx([n, h, w], px));
  writeFileSync(`${dir}/train-labels-idx1-ubyte`, encodeIdx([n], Uint8Array.from({ length: n }, (_, i) => i % 3)));
  if (withTest) {
    writeFileSync(`${dir}/t10k-images-idx3-ubyte`, encodeIdx([1, h, w], px.subarray(0, h * w)));
    writeFileSync(`${dir}/t10k-labels-idx1-ubyte`, encodeIdx([1], Uint8Array.of(0)));
  }
  return px;
}

describe('testSource (rule 1)', () => {
  it('IDX: a directory of train files only is the test split; one with its own t10k part, another size, or a training source with a test part is refused', async () => {
    writeIdx(at('train'), 6, 5, 4, false);
    const testPx = writeIdx(at('test'), 3, 5, 4, false, 100);
    const d = await loadData(at('train'), { testSource: at('test') });
    expect(d.split).toEqual({ rule: 'test-source', testSource: at('test') });
    expect(d.train.n).toBe(6); // the whole source trains
    expect(Array.from(d.test.data)).toEqual(Array.from(testPx));
    expect(Array.from(d.test.labels!)).toEqual([0, 1, 2]);

    writeIdx(at('own'), 3, 5, 4, true);
    await expect(loadData(at('train'), { testSource: at('own') })).rejects.toThrow(new DataError(`test source ${at('own')} has a test part of its own; give its test part directly`));
    await expect(loadData(at('own'), { testSource: at('test') })).rejects.toThrow(ArgumentError);
    writeIdx(at('other'), 3, 4, 5, false);
    await expect(loadData(at('train'), { testSource: at('other') })).rejects.toThrow(/test source .*other has samples of shape \[4, 5, 1\], the training source \[5, 4, 1\]/);
    await expect(loadData(at('train'), { testSource: at('test'), testSplit: 0.3 })).rejects.toThrow(new ArgumentError('give testSource or testSplit, not both'));
  });

  it('image folders: the test images take the training size and channels, and class names are matched by name', async () => {
    for (const cls of ['ant', 'bee', 'cat']) for (let i = 0; i < 2; i++) await writeImage(at('train', cls, `${i}.png`), gradient(8, 6, 3, i), 8, 6, 3);
    // Grey, another size, and only two of the classes: "cat" sorts first here, third in training.
    await writeImage(at('test', 'cat', '0.png'), flat(4, 3, 200), 4, 3, 1);
    await writeImage(at('test', 'cat', '1.png'), flat(4, 3, 201), 4, 3, 1);
    await writeImage(at('test', 'bee', '0.png'), flat(4, 3, 90), 4, 3, 1);
    const d = await loadData(at('train'), { testSource: at('test') });
    expect(d.sampleShape).toEqual([8, 6, 3]);
    expect(d.labelNames).toEqual(['ant', 'bee', 'cat']);
    expect(d.test.n).toBe(3);
    expect(d.test.data.length).toBe(3 * 8 * 6 * 3);
    // bee/0 first (sorted class folders), then cat/0, cat/1; grey replicated into RGB, flat stays flat.
    expect(Array.from(d.test.labels!)).toEqual([1, 2, 2]);
    expect(new Set(d.test.data.subarray(0, 144))).toEqual(new Set([90]));
    expect(new Set(d.test.data.subarray(144, 288))).toEqual(new Set([200]));
    expect(new Set(d.test.data.subarray(288))).toEqual(new Set([201]));
    // imageSize / channels given for the training set apply to the test set too.
    const small = await loadData(at('train'), { testSource: at('test'), imageSize: [2, 2], channels: 1 });
    expect(small.sampleShape).toEqual([2, 2, 1]);
    expect(Array.from(small.test.data)).toEqual([90, 90, 90, 90, 200, 200, 200, 200, 201, 201, 201, 201]);

    await writeImage(at('test', 'dog', '0.png'), flat(4, 3, 1), 4, 3, 1);
    await expect(loadData(at('train'), { testSource: at('test') })).rejects.toThrow(DataError);
    await expect(loadData(at('train'), { testSource: at('test') })).rejects.toThrow(/test class "dog" is not among the 3 training classes \(ant, bee, cat\)/);
  });

  it('.npy: testLabels label the test array; a missing label file, another sample shape or dtype is refused', async () => {
    const x = Float64Array.from({ length: 8 * 3 }, (_, i) => i * 0.5);
    const xt = Float64Array.from({ length: 2 * 3 }, (_, i) => -i);
    writeFileSync(at('x.npy'), encodeNpy(x, [8, 3]));
    writeFileSync(at('y.npy'), encodeNpy(Int32Array.from({ length: 8 }, (_, i) => i % 2), [8]));
    writeFileSync(at('xt.npy'), encodeNpy(xt, [2, 3]));
    writeFileSync(at('yt.npy'), encodeNpy(Int32Array.of(1, 0), [2]));
    const d = await loadData(at('x.npy'), { labels: at('y.npy'), testSource: at('xt.npy'), testLabels: at('yt.npy') });
    expect(Array.from(d.train.data)).toEqual(Array.from(x));
    expect(Array.from(d.test.data)).toEqual(Array.from(xt));
    expect(Array.from(d.test.labels!)).toEqual([1, 0]);
    await expect(loadData(at('x.npy'), { labels: at('y.npy'), testSource: at('xt.npy') })).rejects.toThrow(/test source .*xt\.npy has no labels but the training source has/);
    await expect(loadData(at('x.npy'), { testSource: at('xt.npy'), testLabels: at('yt.npy') })).rejects.toThrow(/has labels but the training source has none/);
    writeFileSync(at('x4.npy'), encodeNpy(new Float64Array(8), [2, 4]));
    await expect(loadData(at('x.npy'), { testSource: at('x4.npy') })).rejects.toThrow(/shape \[4\], the training source \[3\]/);
    writeFileSync(at('f32.npy'), encodeNpy(Float32Array.from(xt), [2, 3]));
    await expect(loadData(at('x.npy'), { testSource: at('f32.npy') })).rejects.toThrow(/holds float32 data, the training source float64/);
    writeFileSync(at('yt3.npy'), encodeNpy(Int32Array.of(1, 0, 1), [3]));
    await expect(loadData(at('x.npy'), { labels: at('y.npy'), testSource: at('xt.npy'), testLabels: at('yt3.npy') })).rejects.toThrow(/holds 3 labels but .*xt\.npy holds 2 samples/);
  });

  it('CSV: a test table with the same header and label column; its classes are matched by name', async () => {
    writeText(at('train.csv'), ['a,b,kind', '1,2,low', '3,4,high', '5,6,low', '7,8,mid'].join('\n'));
    writeText(at('test.csv'), ['a,b,kind', '9,10,mid', '11,12,low'].join('\n'));
    const d = await loadData(at('train.csv'), { labelColumn: 'kind', testSource: at('test.csv') });
    expect(d.labelNames).toEqual(['high', 'low', 'mid']);
    expect(d.featureNames).toEqual(['a', 'b']);
    expect(Array.from(d.test.data)).toEqual([9, 10, 11, 12]);
    expect(Array.from(d.test.labels!)).toEqual([2, 1]); // by name, though the test file alone sorts them [low, mid]
    writeText(at('unknown.csv'), ['a,b,kind', '9,10,huge'].join('\n'));
    await expect(loadData(at('train.csv'), { labelColumn: 'kind', testSource: at('unknown.csv') })).rejects.toThrow(/test class "huge" is not among the 3 training classes/);
    writeText(at('wide.csv'), ['a,b,c,kind', '9,10,11,mid'].join('\n'));
    await expect(loadData(at('train.csv'), { labelColumn: 'kind', testSource: at('wide.csv') })).rejects.toThrow(/shape \[3\], the training source \[2\]/);
  });

  it('CSV: integer labels are matched by value, not by their index in the test file', async () => {
    writeText(at('train.csv'), ['a,label', '1,3', '2,7', '3,5'].join('\n'));
    writeText(at('test.csv'), ['a,label', '4,7', '5,7'].join('\n'));
    const d = await loadData(at('train.csv'), { labelColumn: 'label', testSource: at('test.csv') });
    expect(d.labelNames).toEqual(['3', '5', '7']);
    expect(Array.from(d.test.labels!)).toEqual([2, 2]);
  });

  it('CSV: a test table whose header names other columns (or the same in another order) is refused', async () => {
    writeText(at('train.csv'), ['a,b,kind', '1,2,low', '3,4,high'].join('\n'));
    writeText(at('swapped.csv'), ['b,a,kind', '10,9,low'].join('\n'));
    await expect(loadData(at('train.csv'), { labelColumn: 'kind', testSource: at('swapped.csv') })).rejects.toThrow(DataError);
    await expect(loadData(at('train.csv'), { labelColumn: 'kind', testSource: at('swapped.csv') })).rejects.toThrow(/columns "b", "a" .* training source .*"a", "b"/);
  });
});

describe('testSource of another kind', () => {
  it('IDX files and image folders test each other; a table, an array or a folder against another kind is a DataError naming both', async () => {
    await writeImage(at('img', 'a', '0.png'), flat(4, 4, 9), 4, 4, 1);
    writeIdx(at('idx'), 2, 4, 4, false);
    writeFileSync(at('x.npy'), encodeNpy(new Float64Array(4), [2, 2]));
    writeText(at('t.csv'), 'a,b\n1,2\n3,4\n');
    writeText(at('t.txt'), 'a,b\n5,6\n');
    const fromIdx = await loadData(at('img'), { testSource: at('idx') });
    expect([fromIdx.test.n, fromIdx.sampleShape]).toEqual([2, [4, 4, 1]]);
    const fromImages = await loadData(at('idx'), { testSource: at('img') });
    expect(Array.from(fromImages.test.data)).toEqual(new Array(16).fill(9));
    // A name that tells nothing takes the training source's format.
    expect(Array.from((await loadData(at('t.csv'), { testSource: at('t.txt') })).test.data)).toEqual([5, 6]);
    const cases: [string, string, string][] = [
      ['t.csv', 'x.npy', 'is an .npy file but the training source is a .csv file'],
      ['x.npy', 't.csv', 'is a .csv file but the training source is an .npy file'],
      ['t.csv', 'img', 'is image class folders but the training source is a .csv file'],
      ['img', 't.csv', 'is a .csv file but the training source is image class folders'],
      ['x.npy', 'idx', 'is a directory of IDX files but the training source is an .npy file'],
    ];
    for (const [train, test, message] of cases) {
      await expect(loadData(at(train), { testSource: at(test) })).rejects.toThrow(new DataError(`test source ${at(test)} ${message}; give a test source of the same kind`));
    }
    // A missing test source is still a FileError naming it.
    await expect(loadData(at('t.csv'), { testSource: at('none.csv') })).rejects.toThrow(/cannot read data source .*none\.csv: no such file or directory/);
  });
});

describe('SOURCE/train/<label> beside SOURCE/test/<label> (rule 2)', () => {
  it('the test folder is the test split, decoded at the training size; testSplit or testSource with it is an ArgumentError', async () => {
    for (let i = 0; i < 3; i++) await writeImage(at('src', 'train', 'a', `${i}.png`), flat(6, 6, 10 + i), 6, 6, 1);
    for (let i = 0; i < 2; i++) await writeImage(at('src', 'train', 'b', `${i}.png`), flat(6, 6, 50 + i), 6, 6, 1);
    await writeImage(at('src', 'test', 'b', '0.png'), flat(3, 3, 77), 3, 3, 1);
    const d = await loadData(at('src'));
    expect(d.split).toEqual({ rule: 'source-test' });
    expect(d.labelNames).toEqual(['a', 'b']);
    expect(d.train.n).toBe(5);
    expect(Array.from(d.train.labels!)).toEqual([0, 0, 0, 1, 1]);
    expect(d.test.n).toBe(1);
    expect(Array.from(d.test.labels!)).toEqual([1]);
    expect(Array.from(d.test.data)).toEqual(new Array(36).fill(77));
    await expect(loadData(at('src'), { testSplit: 0.5 })).rejects.toThrow(ArgumentError);
    await expect(loadData(at('src'), { testSplit: 0.5 })).rejects.toThrow(/has its own test part; testSplit applies only to a source without one/);
    await expect(loadData(at('src'), { testSource: at('src', 'test') })).rejects.toThrow(/has its own test part; give testSource only for a source without one/);
    // A training source with its own test part cannot be a test source either.
    for (let i = 0; i < 2; i++) await writeImage(at('plain', 'a', `${i}.png`), flat(6, 6, i), 6, 6, 1);
    await expect(loadData(at('plain'), { testSource: at('src') })).rejects.toThrow(/has a test part of its own/);
  });

  it('an unknown test class is refused; test/ without train/ is refused', async () => {
    await writeImage(at('src', 'train', 'a', '0.png'), flat(4, 4, 1), 4, 4, 1);
    await writeImage(at('src', 'test', 'z', '0.png'), flat(4, 4, 1), 4, 4, 1);
    await expect(loadData(at('src'))).rejects.toThrow(/test class "z" is not among the 1 training classes \(a\)/);
    await writeImage(at('lone', 'test', 'a', '0.png'), flat(4, 4, 1), 4, 4, 1);
    await expect(loadData(at('lone'))).rejects.toThrow(DataError);
    await expect(loadData(at('lone'))).rejects.toThrow(/has test\/ but no train\//);
  });

  it('train/ alone is split by the seed, like class folders directly under SOURCE', async () => {
    for (let i = 0; i < 5; i++) await writeImage(at('src', 'train', 'a', `${i}.png`), flat(2, 2, i), 2, 2, 1);
    const d = await loadData(at('src'), { seed: 4 });
    expect(d.split).toEqual({ rule: 'split', testSplit: 0.2, seed: 4 });
    expect([d.train.n, d.test.n]).toEqual([4, 1]);
  });
});
