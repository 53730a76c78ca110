// The demo page and the browser bundle in a real Chromium (Debian's, driven by
// playwright-core): drawing, sliders, model switching, no console errors, and the
// browser's numbers equal to Node's on the same model, input and build, on the page and
// in a Web Worker. Skipped, with a notice, where Chromium is not installed.

import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemo } from '../../scripts/build-demo.js';
import { startDemoServer, type DemoServer } from '../../scripts/demo-server.js';
import { createKernels } from '../../src/kernels/node.js';
import { loadModel } from '../../src/models/node.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { encodeModel } from '../../src/models/model-file.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { trainingRecord } from '../models/model-fixtures.js';
import { encode as encodePng } from 'fast-png';
import { smallSplits } from '../train/fixtures.js';
import { HAVE_CHROMIUM, noteMissingChromium, openPage, type OpenedPage } from './chromium.js';
import { trainTestModels, type TestModels } from './models.js';
import { makeShapeModels } from './shape-models.js';

const OUT = path.join(import.meta.dirname, '../../test-output/browser');
const TOLERANCE = 1e-5;

noteMissingChromium('browser tests');

describe.skipIf(!HAVE_CHROMIUM)('demo page in Chromium', () => {
  let models: TestModels;
  let server: DemoServer;
  let chromium: OpenedPage;
  let page: Page;
  let problems: string[] = [];

  beforeAll(async () => {
    await rm(OUT, { recursive: true, force: true });
    await mkdir(OUT, { recursive: true });
    const [site, trained] = await Promise.all([buildDemo(path.join(OUT, 'site')), trainTestModels(path.join(OUT, 'runs'))]);
    models = trained;
    server = await startDemoServer({ root: site, runsDir: models.runsDir });
    chromium = await openPage(server.url);
    ({ page, problems } = chromium);
    await page.waitForSelector('body[data-state="ready"][data-model="dense"]', { timeout: 20_000 });
  });

  afterAll(async () => {
    await chromium?.close();
    await server?.close();
  });

  /** A canvas's pixels, as a PNG data URL (equal strings = equal pictures). */
  const pixels = (id: string) => page.$eval(`#${id}`, (c) => (c as HTMLCanvasElement).toDataURL());
  const changes = (id: string, before: string) =>
    page.waitForFunction(([i, b]) => (document.getElementById(i!) as HTMLCanvasElement).toDataURL() !== b, [id, before], { timeout: 5_000 });

  it('is cross-origin isolated and shows the model it loaded', async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await page.textContent('#status')).toMatch(/^dense · kernels(-relaxed)?\.wasm · ready$/);
    expect(await page.locator('#summary tbody tr').count()).toBe(4);
  });

  it('reconstructs a stroke drawn with the mouse, with its inference time', async () => {
    await page.click('#draw-clear');
    await page.waitForFunction(() => document.getElementById('draw-metric')?.textContent === 'Draw a digit to start');
    const blank = await pixels('draw-output');
    await page.locator('#draw-pad').scrollIntoViewIfNeeded();
    const box = (await page.locator('#draw-pad').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.35, box.y + box.height * 0.2);
    await page.mouse.down();
    for (let i = 1; i <= 12; i++) await page.mouse.move(box.x + box.width * (0.35 + i * 0.02), box.y + box.height * (0.2 + i * 0.05));
    await page.mouse.up();
    await changes('draw-output', blank);
    await page.waitForFunction(() => /reconstruct [\d.]+ ms/.test(document.getElementById('draw-metric')?.textContent ?? ''));
  });

  it('decodes a new digit when a latent slider moves', async () => {
    const before = await pixels('latent-output');
    const slider = page.locator('#latent-sliders input').first();
    await slider.focus();
    for (let i = 0; i < 40; i++) await slider.press('ArrowRight');
    await changes('latent-output', before);
  });

  it('adds noise and denoises when the noise slider moves', async () => {
    const [noisy, denoised] = [await pixels('denoise-noisy'), await pixels('denoise-output')];
    await page.locator('#noise').focus();
    await page.keyboard.press('End');
    await changes('denoise-noisy', noisy);
    await changes('denoise-output', denoised);
    expect(await page.textContent('#noise-value')).toBe('1.00');
  });

  it('switches to the VAE and decodes the point clicked on its 2-D manifold', async () => {
    await page.selectOption('#model-select', 'runs/vae/model.safetensors');
    await page.waitForSelector('body[data-state="ready"][data-model="vae"]', { timeout: 10_000 });
    expect(await page.isVisible('#manifold')).toBe(true);
    expect(await page.textContent('#arch-hint')).toMatch(/variational autoencoder.*code \(2\)/);
    const before = await pixels('latent-output');
    await page.locator('#manifold').scrollIntoViewIfNeeded();
    const box = (await page.locator('#manifold').boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.85, box.y + box.height * 0.15);
    await changes('latent-output', before);
    await page.screenshot({ path: path.join(OUT, 'demo.png'), fullPage: true });
  });

  it('loads a model file picked by the user', async () => {
    await page.setInputFiles('#model-file', models.dense);
    await page.waitForSelector('body[data-state="ready"][data-model="model.safetensors"]', { timeout: 10_000 });
    expect(await page.$eval('#model-select', (s) => (s as HTMLSelectElement).selectedOptions[0]?.textContent)).toBe('model.safetensors (opened)');
  });

  it('trains a model in a Web Worker with a live loss chart, then uses it', async () => {
    const chart = await pixels('train-chart');
    await page.selectOption('#train-preset', 'dense');
    await page.fill('#train-epochs', '2');
    await page.click('#train-start');
    await page.waitForSelector('body[data-state="ready"][data-model="dense, trained here"]', { timeout: 30_000 });
    expect(await page.textContent('#train-status')).toMatch(/^epoch 2\/2 · loss [\d.]+ · test MSE [\d.]+ · done/);
    expect(await pixels('train-chart')).not.toBe(chart);
    expect(await page.textContent('#training')).toMatch(/trained in the browser/);
  });

  it("reconstructs exactly as Node does, on the page and in a Web Worker", async () => {
    const { test } = await smallSplits(10, 10);
    const input = test.images.slice(0, 4 * 784);
    const bytes = await readFile(models.dense);
    const node = await loadModel(bytes, { kernels: await createKernels({ deterministic: true }) });
    const expected = node.reconstruct(input);
    node.dispose();

    // In both places: the shipped bundle, the model over HTTP, the baseline build (relaxed
    // SIMD's fused multiply-add could round differently from Node's build choice).
    const onPage = await page.evaluate(
      async ({ data }) => {
        const lib = await (0, eval)('import("/browser/ae-wasm.js")');
        const model = await lib.loadModel('/runs/dense/model.safetensors', { deterministic: true });
        return { build: model.info.build as string, out: Array.from((await model.reconstruct(new Float32Array(data))) as Float32Array) };
      },
      { data: Array.from(input) },
    );
    const inWorker = await page.evaluate(
      async ({ data }) => {
        const source = `
          import * as lib from '${location.origin}/browser/ae-wasm.js';
          self.onmessage = async (e) => {
            try {
              const model = await lib.loadModel(e.data.url, { deterministic: true });
              const out = await model.reconstruct(new Float32Array(e.data.data));
              // imageToInput without a DOM: an OffscreenCanvas with a bar on it.
              const canvas = new OffscreenCanvas(60, 60);
              const ctx = canvas.getContext('2d');
              ctx.fillRect(0, 0, 60, 60);
              ctx.fillStyle = '#fff';
              ctx.fillRect(25, 10, 8, 40);
              const drawn = lib.imageToInput(canvas);
              self.postMessage({ build: model.info.build, out: Array.from(out), drawnInk: drawn.reduce((s, v) => s + v, 0) });
            } catch (err) {
              self.postMessage({ error: String(err) });
            }
          };`;
        const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { type: 'module' });
        const reply = await new Promise<{ build: string; out: number[]; drawnInk: number; error?: string }>((resolve, reject) => {
          worker.onmessage = (e) => resolve(e.data);
          worker.onerror = (e) => reject(new Error(e.message));
          worker.postMessage({ url: new URL('/runs/dense/model.safetensors', location.href).href, data });
        });
        worker.terminate();
        return reply;
      },
      { data: Array.from(input) },
    );
    expect(inWorker.error).toBeUndefined();
    expect([onPage.build, inWorker.build]).toEqual(['kernels.wasm', 'kernels.wasm']);
    expect(inWorker.drawnInk).toBeGreaterThan(10);
    for (const got of [onPage.out, inWorker.out]) {
      expect(got.length).toBe(expected.length);
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!));
      expect(worst).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it('runs a model on a kernel thread pool under cross-origin isolation, with the same results as Node', async () => {
    const { test } = await smallSplits(10, 10);
    const input = test.images.slice(0, 6 * 784);
    for (const file of [models.dense, models.vae]) {
      const bytes = await readFile(file);
      const node = await loadModel(bytes, { kernels: await createKernels({ deterministic: true }) });
      const expected = node.reconstruct(input);
      node.dispose();
      const url = '/runs/' + path.basename(path.dirname(file)) + '/model.safetensors';
      const got = await page.evaluate(
        async ({ data, url }) => {
          const lib = await (0, eval)('import("/browser/ae-wasm.js")');
          const model = await lib.loadModel(url, { deterministic: true, threads: 2 });
          const out = Array.from((await model.reconstruct(new Float32Array(data))) as Float32Array);
          const info = { build: model.info.build as string, threads: model.info.threads as number, isolated: crossOriginIsolated };
          model.dispose();
          return { info, out };
        },
        { data: Array.from(input), url },
      );
      expect(got.info).toEqual({ build: 'kernels-threads.wasm', threads: 2, isolated: true });
      expect(got.out.length).toBe(expected.length);
      // The threads build computes what the single-threaded baseline build does, bit for bit.
      expect(got.out).toEqual(Array.from(expected));
    }
  });

  it('takes an RGB model of another shape: reconstructs a picture opened onto the pad, hides the digit-only panels', async () => {
    const shapes = await makeShapeModels();
    const bytes = shapes.rgbConv.bytes;
    shapes.dispose();
    await page.setInputFiles('#model-file', { name: 'rgb.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });
    await page.waitForSelector('body[data-state="ready"][data-model="rgb.safetensors"]', { timeout: 10_000 });
    expect(await page.textContent('#arch-hint')).toMatch(/input \(32, 32, 3\)/);
    expect(await page.textContent('#draw-input-caption')).toBe('Model input, 32×32 RGB');
    expect([await page.isVisible('#latent-card'), await page.isVisible('#denoise-card')]).toEqual([false, false]);
    const before = await pixels('draw-output');
    // A 40 x 30 picture: red left half, blue right half.
    const rgb = Uint8Array.from({ length: 40 * 30 * 3 }, (_, i) => (i % 3 === (Math.floor(i / 3) % 40 < 20 ? 0 : 2) ? 255 : 0));
    await page.setInputFiles('#picture-file', { name: 'halves.png', mimeType: 'image/png', buffer: Buffer.from(encodePng({ width: 40, height: 30, data: rgb, channels: 3 })) });
    await changes('draw-output', before);
    await page.waitForFunction(() => /reconstruct [\d.]+ ms/.test(document.getElementById('draw-metric')?.textContent ?? ''));
    // The input shown is the picture in colour: red on the left, blue on the right.
    const [left, right] = await page.$eval('#draw-input', (c) => {
      const ctx = (c as HTMLCanvasElement).getContext('2d')!;
      return [Array.from(ctx.getImageData(20, 56, 1, 1).data), Array.from(ctx.getImageData(92, 56, 1, 1).data)];
    });
    expect(left![0]!).toBeGreaterThan(200);
    expect(left![2]!).toBeLessThan(60);
    expect(right![2]!).toBeGreaterThan(200);
    expect(right![0]!).toBeLessThan(60);
    // Back to a digit model: the digit panels return.
    await page.selectOption('#model-select', 'runs/dense/model.safetensors');
    await page.waitForSelector('body[data-state="ready"][data-model="dense"]', { timeout: 10_000 });
    expect(await page.isVisible('#latent-card')).toBe(true);
  });

  it('takes a conditional VAE: a class picked, its samples change; the panels that reconstruct without a label hide', async () => {
    const model = new Autoencoder(await createKernels({ deterministic: true }), presetArchitecture('cvae')).initialize(4);
    const bytes = encodeModel(model, trainingRecord('cvae', { loss: 'bce' }));
    model.dispose();
    await page.setInputFiles('#model-file', { name: 'cvae.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });
    await page.waitForSelector('body[data-state="ready"][data-model="cvae.safetensors"]', { timeout: 10_000 });
    expect([await page.isVisible('#cvae-card'), await page.isVisible('#draw-card'), await page.isVisible('#latent-card'), await page.isVisible('#denoise-card')]).toEqual([true, false, false, false]);
    expect(await page.$$eval('#cvae-digit option', (o) => o.map((e) => e.textContent))).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    await page.waitForFunction(() => /sample ×8 [\d.]+ ms · seed 1/.test(document.getElementById('cvae-metric')?.textContent ?? ''));
    const seven = await pixels('cvae-sample-0');
    await page.selectOption('#cvae-digit', '2');
    await changes('cvae-sample-0', seven);
    const two = await pixels('cvae-sample-0');
    await page.click('#cvae-new');
    await changes('cvae-sample-0', two);
    expect(await page.textContent('#cvae-metric')).toMatch(/seed 2$/);
    await page.selectOption('#model-select', 'runs/dense/model.safetensors');
    await page.waitForSelector('body[data-state="ready"][data-model="dense"]', { timeout: 10_000 });
    expect([await page.isVisible('#cvae-card'), await page.isVisible('#draw-card')]).toEqual([false, true]);
  });

  it('logged no console errors and threw no page errors', () => {
    expect(problems).toEqual([]);
  });
});
