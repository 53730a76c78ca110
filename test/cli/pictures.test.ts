// The commands' pictures for any image size and colour: grey output pinned byte for byte
// to what main drew before colour existed, RGB pixels decoded back from the PNG, the
// tile-scale and wrapping rule, and the size caps.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkPictureSize,
  comparisonGrid,
  comparisonGridSize,
  imageSizeOf,
  interpolationStrip,
  interpolationStripSize,
  manifoldOptions,
  manifoldSize,
  reconstructionsPng,
  tiledGrid,
  tiledGridSize,
  type ImageSize,
  type PictureSize,
} from '../../src/cli/pictures.js';
import { ArgumentError, ShapeError } from '../../src/errors.js';
import type { Autoencoder } from '../../src/models/autoencoder.js';
import { decodePng } from '../../src/viz/decode-png.js';
import { imageGrid, manifoldGrid, MAX_PICTURE_PIXELS, type Raster, toPng } from '../../src/viz/index.js';
import { batch, mnistLike } from '../viz/synthetic.js';

const MARGIN = 16; // grid.ts
const digits = (n: number, seed = 0): Float32Array => batch(Array.from({ length: n }, (_, k) => mnistLike(k % 10, k + seed)));
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const MNIST: ImageSize = { height: 28, width: 28, channels: 1 };

/** A stand-in model: reconstructions are 1 - x, enough for the pictures. */
function stubModel(inputShape: number[]): Autoencoder {
  const inputSize = inputShape.reduce((a, b) => a * b, 1);
  return { inputShape, inputSize, reconstruct: (x: Float32Array) => Float32Array.from(x, (v) => 1 - v) } as unknown as Autoencoder;
}

/** n RGB images of `size`, pixel (x, y) of image k coloured by a formula exact in 8 bits. */
function colourImages(n: number, size: ImageSize): Float32Array {
  const { height: h, width: w } = size;
  const out = new Float32Array(n * h * w * 3);
  for (let k = 0; k < n; k++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = ((k * h + y) * w + x) * 3;
        out[i] = ((x * 37 + k * 11) % 256) / 255;
        out[i + 1] = ((y * 53 + k * 29) % 256) / 255;
        out[i + 2] = ((x * 7 + y * 13 + k * 71) % 256) / 255;
      }
    }
  }
  return out;
}

/** The colour colourImages gives pixel (x, y) of image k, in 8 bits. */
const colourAt = (k: number, x: number, y: number): number[] => [(x * 37 + k * 11) % 256, (y * 53 + k * 29) % 256, (x * 7 + y * 13 + k * 71) % 256];

/** Decodes the PNG of `raster` and returns a pixel reader over the decoded bytes (RGB). */
function decoded(png: Uint8Array): { width: number; height: number; at: (x: number, y: number) => number[] } {
  const img = decodePng(png);
  expect(img.channels).toBe(3);
  expect(img.depth).toBe(8);
  return { width: img.width, height: img.height, at: (x, y) => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)) };
}

/** Checks every pixel of image k drawn at (x0, y0) with scale s: each s x s block is its colour. */
function expectImageAt(png: ReturnType<typeof decoded>, k: number, size: ImageSize, x0: number, y0: number, s: number): void {
  for (let y = 0; y < size.height; y++) {
    for (let x = 0; x < size.width; x++) {
      const want = colourAt(k, x, y);
      // Both corners of the block: the scale is exact, not approximately right.
      expect(png.at(x0 + x * s, y0 + y * s)).toEqual(want);
      expect(png.at(x0 + x * s + s - 1, y0 + y * s + s - 1)).toEqual(want);
    }
  }
}

const expectSize = (r: Raster, size: PictureSize): void => expect([r.width, r.height]).toEqual([size.width, size.height]);

describe('grey pictures', () => {
  // sha256 of each PNG as main's code drew it before channels existed (commit 2d78b5a):
  // README pictures and users' diffs of their figures must not move.
  const pinned: Record<string, () => Uint8Array> = {
    '0a3d3557b1d992ffa48180ce44017a24ab41d7ec352f38d4b780be365259c92a': () =>
      toPng(comparisonGrid([{ label: 'original', images: digits(20) }, { label: 'reconstructed', images: digits(20, 5) }], 20, MNIST, 'dense: 20 test digits')),
    '41b80f1fb020fef42c3acd3914672d28e34c5ca1c52e54de7b14b5079326b7fb': () => toPng(tiledGrid(digits(10), 10, MNIST, 'vae: 10 samples')),
    '623f33057afe29e635ba375f6998010672d2e567dd35bb021c08a40637ba2129': () => toPng(manifoldGrid(digits(25), 5, manifoldOptions(5, MNIST, 'manifold 5'))),
    e3ed91d8ef9101a7eec601b6550241c10e72663e6d61b990ecec4064d8bba224: () => toPng(manifoldGrid(digits(400), 20, manifoldOptions(20, MNIST, 'manifold 20'))),
    '6d6c2b1bdd4f5f03c529c132a16e5eeeb57dc2589520eb0ce2806280a6472a7e': () =>
      toPng(interpolationStrip({ images: digits(2), captions: ['#3 (7)', '#9 (1)'] }, { images: digits(5, 3), t: [0, 0.25, 0.5, 0.75, 1] }, MNIST, 'interpolation')),
    '5431d5056dd6f78953e0333e610cb331ffa5eb666ad0243fd02596cd0f4aaefd': () => reconstructionsPng(stubModel([28, 28, 1]), { images: digits(20), n: 20 }, 12, 'dense: test digits'),
    '932f9f67da1ad732fccd6b436076694f092cb90dc780aa45d6b4a96e82435787': () => toPng(imageGrid([{ label: 'a', images: digits(6), count: 6 }], { invert: true, title: 'inv', cols: 4 })),
    '36997ab9e039f84600c785592ed3f568a43fea886d993bd8cf570d5e3a5db446': () => toPng(tiledGrid(digits(300), 300, MNIST, 'vae: 300 samples')),
  };

  // [n, tiledGridSize width, height, comparisonGridSize width, height] as main computed
  // them (titled 't', rows 'original' / 'reconstructed'): the size caps' "at most N fit" too.
  const sizes = [
    [1, 88, 116, 250, 174],
    [2, 146, 116, 308, 174],
    [15, 262, 290, 1062, 174],
    [16, 262, 290, 1120, 174],
    [17, 320, 290, 1120, 290],
    [100, 610, 638, 1120, 870],
    [255, 958, 986, 1120, 1914],
    [256, 958, 986, 1120, 1914],
    [257, 958, 1044, 1120, 2030],
    [1000, 958, 3712, 1120, 7366],
    [5000, 958, 18212, 1120, 36366],
  ];

  it('sizes MNIST pictures as before for every count', () => {
    for (const [n, tw, th, cw, ch] of sizes) {
      expect([n, tiledGridSize(n!, MNIST, 't')]).toEqual([n, { width: tw, height: th }]);
      expect([n, comparisonGridSize(['original', 'reconstructed'], n!, MNIST, 't')]).toEqual([n, { width: cw, height: ch }]);
    }
  });

  it('draws MNIST pictures byte for byte as before (sha256 pinned from main)', () => {
    for (const [hash, draw] of Object.entries(pinned)) expect(sha(draw())).toBe(hash);
  });

  it('gives reconstructionsPng the same picture for [28, 28] as for [28, 28, 1]', () => {
    const data = { images: digits(12), n: 12 };
    expect(sha(reconstructionsPng(stubModel([28, 28]), data))).toBe(sha(reconstructionsPng(stubModel([28, 28, 1]), data)));
  });
});

describe('imageSizeOf', () => {
  it('draws [H, W], [H, W, 1] and [H, W, 3]; sends every other shape to CSV / NPY', () => {
    expect(imageSizeOf([28, 28])).toEqual({ height: 28, width: 28, channels: 1 });
    expect(imageSizeOf([28, 28, 1])).toEqual({ height: 28, width: 28, channels: 1 });
    expect(imageSizeOf([32, 48, 3])).toEqual({ height: 32, width: 48, channels: 3 });
    for (const shape of [[], [784], [28, 28, 4], [28, 28, 2], [4, 28, 28, 1], [0, 28], [28, 2.5, 1]]) expect(imageSizeOf(shape)).toBeNull();
  });

  it('refuses a non-image model in reconstructionsPng with a ShapeError naming its shape', () => {
    const model = stubModel([20]);
    expect(() => reconstructionsPng(model, { images: new Float32Array(40), n: 2 })).toThrow(ShapeError);
    expect(() => reconstructionsPng(model, { images: new Float32Array(40), n: 2 })).toThrow(/input shape \[20\] is not an image.*\.csv or \.npy/);
  });
});

describe('RGB pictures', () => {
  it('puts every RGB pixel, in RGB order, where its tile is (decoded from the PNG)', () => {
    const size: ImageSize = { height: 3, width: 5, channels: 3 };
    const s = 8; // tileScale: floor(64 / 5) = 12, capped at MAX_TILE_SCALE
    const n = 4;
    const png = decoded(toPng(tiledGrid(colourImages(n, size), n, size)));
    expect(png.width).toBe(2 * MARGIN + 2 * 5 * s + 2); // 2 x 2 block, pad 2
    for (let k = 0; k < n; k++) expectImageAt(png, k, size, MARGIN + (k % 2) * (5 * s + 2), MARGIN + Math.floor(k / 2) * (3 * s + 2), s);
    // A pure red pixel stays red: the channel order is R, G, B, not B, G, R.
    const red = new Float32Array(3 * 5 * 3);
    red[0] = 1;
    expect(decoded(toPng(tiledGrid(red, 1, size))).at(MARGIN, MARGIN)).toEqual([255, 0, 0]);
  });

  it('draws reconstructionsPng of an RGB model as originals over reconstructions', () => {
    const size: ImageSize = { height: 4, width: 4, channels: 3 };
    const images = colourImages(3, size);
    const png = decoded(reconstructionsPng(stubModel([4, 4, 3]), { images, n: 3 }, 2));
    // Find image 0's top-left by its colour: the label column's width is the font's business.
    const s = 8; // floor(64 / 4) = 16, capped
    let x0 = -1;
    for (let x = 0; x < png.width && x0 < 0; x++) if (png.at(x, MARGIN).join() === colourAt(0, 0, 0).join()) x0 = x;
    expect(x0).toBeGreaterThan(MARGIN);
    expectImageAt(png, 0, size, x0, MARGIN, s);
    expectImageAt(png, 1, size, x0 + 4 * s + 2, MARGIN, s);
    // The reconstruction (1 - x) of image 1 sits under it, one row and one pad down.
    const [r, g, b] = colourAt(1, 2, 3);
    expect(png.at(x0 + 4 * s + 2 + 2 * s, MARGIN + 4 * s + 2 + 3 * s)).toEqual([255 - r!, 255 - g!, 255 - b!]);
  });

  it('draws comparison rows and interpolation strips in colour', () => {
    const size: ImageSize = { height: 2, width: 3, channels: 3 };
    const strip = interpolationStrip({ images: colourImages(2, size), captions: ['a', 'b'] }, { images: colourImages(3, size), t: [0.25, 0.5, 0.75] }, size, 'rgb');
    expectSize(strip, interpolationStripSize(3, size, 'rgb'));
    const png = decoded(toPng(strip));
    // Every colour of every step appears: scan for step 2's first pixel, then check the tile.
    let found = false;
    for (let y = 0; y < png.height && !found; y++) {
      for (let x = 0; x < png.width && !found; x++) {
        if (png.at(x, y).join() === colourAt(2, 0, 0).join() && png.at(x + 8, y).join() === colourAt(2, 1, 0).join()) {
          expectImageAt(png, 2, size, x, y, 8); // floor(64 / 3) = 21, capped
          found = true;
        }
      }
    }
    expect(found).toBe(true);
    const rows = [{ label: 'original', images: colourImages(20, size) }, { label: 'noisy', images: colourImages(20, size) }];
    expectSize(comparisonGrid(rows, 20, size, 't'), comparisonGridSize(['original', 'noisy'], 20, size, 't'));
  });
});

describe('tile scale and wrapping', () => {
  /** The width of a row of `count` tiles of `cell` px with 2 px gaps. */
  const rowWidth = (count: number, cell: number): number => count * cell + (count - 1) * 2;
  const labels = ['original', 'reconstructed'];

  it('keeps 28 x 28 and 32 x 32 at scale 2 with 16 per line', () => {
    const mnist = comparisonGridSize(labels, 16, MNIST);
    const cifar = comparisonGridSize(labels, 16, { height: 32, width: 32, channels: 3 });
    expect(cifar.width - mnist.width).toBe(rowWidth(16, 64) - rowWidth(16, 56));
    expect(cifar.height - mnist.height).toBe(2 * (64 - 56));
    // A 17th image wraps onto a second block of both rows.
    expect(comparisonGridSize(labels, 17, MNIST).width).toBe(mnist.width);
  });

  it('draws 64 x 64 RGB tiles at 64 px (scale 1), 16 per line', () => {
    const size: ImageSize = { height: 64, width: 64, channels: 3 };
    const images = new Float32Array(16 * 64 * 64 * 3).fill(0.5);
    const grid = tiledGrid(images, 16, size);
    const png = decoded(toPng(grid));
    // Measure a tile: the run of grey pixels along its top row and down its left column.
    let w = 0;
    while (png.at(MARGIN + w, MARGIN).join() === '128,128,128') w++;
    let h = 0;
    while (png.at(MARGIN, MARGIN + h).join() === '128,128,128') h++;
    expect([w, h]).toEqual([64, 64]);
    expect(comparisonGridSize(labels, 32, size).width - comparisonGridSize(labels, 16, size).width).toBe(0);
    expect(comparisonGridSize(labels, 16, size).width - comparisonGridSize(labels, 15, size).width).toBe(64 + 2);
  });

  it('gives large images scale 1 and fewer per line, small ones a larger scale', () => {
    const big: ImageSize = { height: 256, width: 256, channels: 3 };
    // (1080 + 2) / (256 + 2): 4 per line.
    expect(comparisonGridSize(labels, 5, big).width).toBe(comparisonGridSize(labels, 4, big).width);
    expect(comparisonGridSize(labels, 4, big).width).toBeGreaterThan(comparisonGridSize(labels, 3, big).width);
    expect(comparisonGridSize(labels, 4, big).height).toBe(2 * MARGIN + 2 * 256 + 2);
    const huge: ImageSize = { height: 100, width: 2000, channels: 1 };
    expect(tiledGridSize(3, huge).width).toBe(2 * MARGIN + 2000); // one per line, never zero
    const tiny: ImageSize = { height: 16, width: 16, channels: 1 };
    expect(tiledGridSize(1, tiny)).toEqual({ width: 2 * MARGIN + 64, height: 2 * MARGIN + 64 }); // scale 4
    const dot: ImageSize = { height: 2, width: 2, channels: 1 };
    expect(tiledGridSize(1, dot).width).toBe(2 * MARGIN + 16); // scale capped at 8
  });

  it('keeps a non-square image\'s aspect ratio (one scale for both axes)', () => {
    const size: ImageSize = { height: 10, width: 30, channels: 3 };
    const images = new Float32Array(10 * 30 * 3).fill(1);
    images.fill(0, 0, 3); // pixel (0, 0) black
    const png = decoded(toPng(tiledGrid(images, 1, size)));
    expect([png.width, png.height]).toEqual([2 * MARGIN + 60, 2 * MARGIN + 20]); // scale floor(64 / 30) = 2
    expect(png.at(MARGIN + 1, MARGIN + 1)).toEqual([0, 0, 0]);
    expect(png.at(MARGIN + 2, MARGIN)).toEqual([255, 255, 255]);
  });

  it('lowers the manifold scale only as far as the row width needs', () => {
    const small: ImageSize = { height: 16, width: 16, channels: 1 };
    expect(manifoldOptions(15, small, 'm').scale).toBe(4); // 15 * 64 = 960 px
    expect(manifoldOptions(20, small, 'm').scale).toBe(3); // 20 * 48 = 960 px
    expect(manifoldOptions(100, small, 'm').scale).toBe(1);
    expect(manifoldOptions(17, MNIST, 'm').scale).toBe(2); // 952 px, as before
    expect(manifoldOptions(18, MNIST, 'm').scale).toBe(1);
    const rgb: ImageSize = { height: 64, width: 64, channels: 3 };
    expect(manifoldOptions(4, rgb, 'm')).toMatchObject({ scale: 1, channels: 3 });
    expectSize(manifoldGrid(colourImages(9, rgb), 3, manifoldOptions(3, rgb, 'm')), manifoldSize(3, rgb, 'm'));
  });
});

describe('size caps', () => {
  it('refuses huge RGB grids with an ArgumentError naming how many fit, and the count that fits does', () => {
    const size: ImageSize = { height: 256, width: 256, channels: 3 };
    const sizeOf = (m: number): PictureSize => comparisonGridSize(['original', 'reconstructed'], m, size, 't');
    expect(() => checkPictureSize(sizeOf, 5000, '--n 5000')).toThrow(ArgumentError);
    let fits = -1;
    try {
      checkPictureSize(sizeOf, 5000, '--n 5000');
    } catch (err) {
      fits = Number(/at most (\d+) fit/.exec((err as Error).message)![1]);
    }
    const px = (m: number): number => sizeOf(m).width * sizeOf(m).height;
    expect(px(fits)).toBeLessThanOrEqual(MAX_PICTURE_PIXELS);
    expect(px(fits + 1)).toBeGreaterThan(MAX_PICTURE_PIXELS);
    expect(() => checkPictureSize(sizeOf, fits, `--n ${fits}`)).not.toThrow();
  });

  it('says none fit when one image is over the cap', () => {
    const size: ImageSize = { height: 5000, width: 4000, channels: 3 };
    expect(() => checkPictureSize((m) => tiledGridSize(m, size), 1, '--n 1')).toThrow(/at most 0 fit/);
    expect(() => checkPictureSize((m) => interpolationStripSize(m, size, 'x'), 8, '--steps 8')).toThrow(ArgumentError);
  });
});
