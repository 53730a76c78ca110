// Models of any input shape in a real Chromium, from the shipped minified bundle: an RGB
// canvas (and an <img>, and a larger picture cropped to fit) reconstructed by 32 x 32 x 3
// and 20 x 24 x 1 models whose files record their preprocessing, on the page and through the compute
// worker (threads), equal to Node's reconstruct(normalize(x)) bit for bit on the same
// build; a table model's normalize / denormalize equal to Node's; drawImage putting grey
// and RGB pixels where they belong. Skipped, with a notice, where Chromium is missing.

import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBrowser } from '../../scripts/build-browser.js';
import { displayRange, imageToPixels } from '../../src/browser/index.js';
import { HAVE_CHROMIUM, noteMissingChromium, openPage, type OpenedPage } from './chromium.js';
import { serveForTests, type TestServer } from './serve.js';
import { makeShapeModels, tableRows, type ShapeModel } from './shape-models.js';

const OUT = path.join(import.meta.dirname, '../../test-output/browser-shapes');

noteMissingChromium('browser shape tests');

interface PageRun {
  build: string;
  threads: number;
  kind: string | undefined;
  /** RGBA of the source canvas (32 x 32) and of the larger picture (80 x 50). */
  canvas: number[];
  photo: number[];
  fromCanvas: number[];
  fromImg: number[];
  fromPhoto: number[];
  /** RGBA read back after model.drawImage(fromCanvas) onto a canvas of the model's size. */
  drawn: number[];
}

/** What model.drawImage must put on the canvas: denormalized, displayRange's rule, rounded, opaque (grey as R = G = B). */
function expectedDrawing(m: ShapeModel, output: Float32Array): number[] {
  const data = m.node.denormalize(output);
  const channels = m.node.inputShape[2]!;
  const [lo, hi] = displayRange(m.node.preprocessing, data);
  const out: number[] = [];
  for (let p = 0; p < data.length / channels; p++) {
    for (let c = 0; c < 3; c++) out.push(Math.round(Math.min(1, Math.max(0, (data[channels * p + (channels === 1 ? 0 : c)]! - lo) / (hi - lo))) * 255));
    out.push(255);
  }
  return out;
}

describe.skipIf(!HAVE_CHROMIUM)('models of any input shape in Chromium', () => {
  let server: TestServer;
  let chromium: OpenedPage;
  let page: Page;
  let models: Awaited<ReturnType<typeof makeShapeModels>>;
  let problems: string[] = [];

  beforeAll(async () => {
    await rm(OUT, { recursive: true, force: true });
    await mkdir(OUT, { recursive: true });
    const dir = path.join(OUT, 'browser');
    [models] = await Promise.all([makeShapeModels(), buildBrowser(dir)]);
    server = await serveForTests(dir);
    server.files.set('/m/conv', models.rgbConv.bytes);
    server.files.set('/m/dense', models.rgbDense.bytes);
    server.files.set('/m/grey', models.grey.bytes);
    server.files.set('/m/table', models.table.bytes);
    chromium = await openPage(server.url);
    ({ page, problems } = chromium);
  });

  afterAll(async () => {
    await chromium?.close();
    await server?.close();
    models?.dispose();
  });

  /** Paints the test pictures, then runs the model at `url` on them with `threads`. */
  const runOnPage = (url: string, threads: number) =>
    page.evaluate(
      async ({ url, threads }): Promise<PageRun> => {
        const lib = await (0, eval)('import("/browser/ae-wasm.js")');
        const paint = (w: number, h: number) => {
          const c = Object.assign(document.createElement('canvas'), { width: w, height: h });
          const ctx = c.getContext('2d', { willReadFrequently: true })!;
          const g = ctx.createLinearGradient(0, 0, w, h);
          g.addColorStop(0, '#ff2000');
          g.addColorStop(0.5, '#10c060');
          g.addColorStop(1, '#3040ff');
          ctx.fillStyle = g;
          ctx.fillRect(0, 0, w, h);
          ctx.fillStyle = '#ffe000';
          ctx.fillRect(w / 4, h / 4, w / 3, h / 5);
          return { c, rgba: Array.from(ctx.getImageData(0, 0, w, h).data) };
        };
        const canvas = paint(32, 32);
        const photo = paint(80, 50);
        const img = new Image();
        img.src = canvas.c.toDataURL('image/png');
        await img.decode();
        const model = await lib.loadModel(url, { deterministic: true, threads });
        try {
          const fromCanvas: Float32Array = await model.reconstructImage(canvas.c);
          const fromImg: Float32Array = await model.reconstructImage(img);
          const fromPhoto: Float32Array = await model.reconstructImage(photo.c, { fit: 'crop' });
          const [height, width] = model.info.inputShape;
          const target = Object.assign(document.createElement('canvas'), { width, height });
          model.drawImage(target, fromCanvas);
          const drawn = Array.from(target.getContext('2d')!.getImageData(0, 0, width, height).data);
          return {
            build: model.info.build, threads: model.info.threads, kind: model.info.preprocessing?.kind,
            canvas: canvas.rgba, photo: photo.rgba, fromCanvas: Array.from(fromCanvas), fromImg: Array.from(fromImg), fromPhoto: Array.from(fromPhoto), drawn,
          };
        } finally {
          model.dispose();
        }
      },
      { url, threads },
    );

  it.each([
    ['conv', 'standard', 1],
    ['conv', 'standard', 2],
    ['dense', 'scale', 1],
    ['grey', 'minmax', 1],
    ['grey', 'minmax', 2],
  ] as const)('a %s model on %s pixels reconstructs an RGB canvas, <img> and cropped picture as Node does (threads %i)', async (name, kind, threads) => {
    const m = { conv: models.rgbConv, dense: models.rgbDense, grey: models.grey }[name];
    const shape = m.node.inputShape;
    const got = await runOnPage(`/m/${name}`, threads);
    expect([got.build, got.threads, got.kind]).toEqual([threads === 1 ? 'kernels.wasm' : 'kernels-threads.wasm', threads, kind]);
    const pixels = imageToPixels({ width: 32, height: 32, data: Uint8ClampedArray.from(got.canvas) }, { shape });
    // The picture is not flat: the test would pass on a constant input otherwise.
    expect(new Set(pixels).size).toBeGreaterThan(50);
    if (name !== 'grey') expect(Array.from(pixels)).toEqual(got.canvas.filter((_, i) => i % 4 !== 3));
    const expected = m.node.reconstruct(m.node.normalize(pixels));
    expect(got.fromCanvas).toEqual(Array.from(expected));
    expect(got.fromImg).toEqual(Array.from(expected));
    const photo = imageToPixels({ width: 80, height: 50, data: Uint8ClampedArray.from(got.photo) }, { shape, fit: 'crop' });
    expect(got.fromPhoto).toEqual(Array.from(m.node.reconstruct(m.node.normalize(photo))));
    expect(got.drawn).toEqual(expectedDrawing(m, expected));
  });

  it('normalizes and denormalizes a table model on the page exactly as Node does', async () => {
    const rows = tableRows(6).map((v, k) => v + (k % 5) - 2);
    const got = await page.evaluate(async ({ rows }) => {
      const lib = await (0, eval)('import("/browser/ae-wasm.js")');
      const model = await lib.loadModel('/m/table', { deterministic: true });
      const normalized: Float32Array = model.normalize(Float64Array.from(rows));
      const back: Float32Array = model.denormalize(normalized);
      const recon: Float32Array = await model.reconstruct(normalized);
      let shapeError = '';
      try {
        model.normalize(new Float32Array(5));
      } catch (err) {
        shapeError = `${(err as Error).name}: ${(err as Error).message}`;
      }
      model.dispose();
      return { normalized: Array.from(normalized), back: Array.from(back), recon: Array.from(recon), shapeError };
    }, { rows: Array.from(rows) });
    const node = models.table.node;
    const normalized = node.normalize(rows);
    expect(got.normalized).toEqual(Array.from(normalized));
    expect(got.back).toEqual(Array.from(node.denormalize(normalized)));
    expect(got.recon).toEqual(Array.from(node.reconstruct(normalized)));
    expect(got.shapeError).toBe('ShapeError: normalize: 5 values is not a whole number of samples of shape [13] (13 values each)');
  });

  it('drawImage puts grey and RGB pixels where they belong, scaled crisply into a rectangle', async () => {
    const got = await page.evaluate(async () => {
      const lib = await (0, eval)('import("/browser/ae-wasm.js")');
      const canvas = Object.assign(document.createElement('canvas'), { width: 12, height: 8 });
      const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
      // A 2 x 3 RGB image (the second of a batch): red green blue / white black grey, in 0..255.
      const rgb = [9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 51, 51, 51];
      lib.drawImage(ctx, Float32Array.from(rgb), { shape: [2, 3, 3], index: 1, range: [0, 255], x: 4, y: 2, w: 6, h: 4 });
      const rgbPixels = Array.from(ctx.getImageData(0, 0, 12, 8).data);
      // A 1 x 2 grey image in [0, 1], inverted, over the whole canvas.
      const grey = Object.assign(document.createElement('canvas'), { width: 4, height: 2 });
      lib.drawImage(grey, Float32Array.of(0.2, 1), { shape: [1, 2, 1], invert: true });
      let rangeError = '';
      try {
        lib.drawImage(grey, Float32Array.of(1, 2), { shape: [1, 2, 1], range: [1, 1] });
      } catch (err) {
        rangeError = (err as Error).name;
      }
      return { rgbPixels, greyPixels: Array.from(grey.getContext('2d')!.getImageData(0, 0, 4, 2).data), rangeError };
    });
    const colours = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255], [0, 0, 0], [51, 51, 51]];
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 12; x++) {
        const px = got.rgbPixels.slice((y * 12 + x) * 4, (y * 12 + x) * 4 + 4);
        const inside = x >= 4 && x < 10 && y >= 2 && y < 6;
        // Each source pixel covers 2 x 2 canvas pixels; outside the rectangle the canvas is untouched.
        expect(px, `(${x}, ${y})`).toEqual(inside ? [...colours[Math.floor((y - 2) / 2) * 3 + Math.floor((x - 4) / 2)]!, 255] : [0, 0, 0, 0]);
      }
    }
    const g = Math.round(0.8 * 255);
    expect(got.greyPixels).toEqual([g, g, g, 255, g, g, g, 255, 0, 0, 0, 255, 0, 0, 0, 255, g, g, g, 255, g, g, g, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
    expect(got.rangeError).toBe('ArgumentError');
  });

  it('logged no console errors and threw no page errors', () => {
    expect(problems).toEqual([]);
  });
});
