// The README's rate-distortion table (README "Compression"): the bundled test digits
// compressed by dense autoencoders of several latent sizes at several bit depths (the .aec
// container's bytes per image, src/compress), beside PNG (lossless) and JPEG (sharp, mozjpeg)
// at several qualities, with JPEG's bytes interpolated at the autoencoder's PSNR. PNG and
// JPEG are measured both per digit (a file each: their headers dominate at 28 x 28) and on
// all test digits tiled into one picture (headers shared, as the container shares its own).
// PNG: sharp, grey, compression level 9, adaptive filtering; JPEG: sharp with mozjpeg.
//
//   npm run compression-table [-- --epochs 10 --latents 8,16,32,64 --bits 4,6,8]
//
// Each model: preset dense, seed 0, trained with the library's trainer at the CLI's
// defaults (Adam, batch 32, the preset's loss) for --epochs on the 8,000 training digits.
// MSE and PSNR are over every pixel of the 2,000 test digits in [0, 1] units,
// PSNR = 10 log10(1 / MSE), always against the values the model reads (the mnist package's
// two-decimal intensities, within 0.13 / 255 of the 8-bit levels PNG and JPEG are given:
// an error floor of about 1e-7, far below every MSE here). The autoencoder's output is
// compared as float32 (what decompress writes to .npy), JPEG's as its 8-bit decoding.
import sharp, { type Sharp } from 'sharp';
import { compressImages, decompressImages } from '../src/compress/index.js';
import { loadSplits } from '../src/data/load.js';
import { createKernels } from '../src/kernels/node.js';
import { encodeModel } from '../src/models/model-file.js';
import { Autoencoder } from '../src/models/autoencoder.js';
import { presetArchitecture, presetDefaults } from '../src/models/presets.js';
import { Adam } from '../src/train/optimizers.js';
import { train } from '../src/train/trainer.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const EPOCHS = Number(flag('epochs', '10'));
const LATENTS = flag('latents', '8,16,32,64').split(',').map(Number);
const BITS = flag('bits', '4,6,8').split(',').map(Number);
const JPEG_QUALITIES = [1, 5, 10, 20, 30, 50, 70, 90];

const splits = await loadSplits();
const test = splits.test;
const n = test.n;
const side = 28;
const pixels = test.images.length;
const original8 = Uint8Array.from(test.images, (v) => Math.round(v * 255));

const mseOf = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s / a.length;
};
const psnrOf = (mse: number) => 10 * Math.log10(1 / mse);

/** Per image, encoded alone with sharp; returns mean bytes and the decoded test set in [0, 1]. */
async function codec(encodeOne: (img: Sharp) => Sharp): Promise<{ bytes: number; decoded: Float32Array }> {
  let total = 0;
  const decoded = new Float32Array(pixels);
  for (let i = 0; i < n; i++) {
    const raw = Buffer.from(original8.subarray(i * 784, (i + 1) * 784));
    const file = await encodeOne(sharp(raw, { raw: { width: side, height: side, channels: 1 } })).toBuffer();
    total += file.length;
    const back = await sharp(file).extractChannel(0).raw().toBuffer();
    for (let j = 0; j < 784; j++) decoded[i * 784 + j] = back[j]! / 255;
  }
  return { bytes: total / n, decoded };
}

/**
 * The whole test set tiled into one picture (COLS digits a row, edge to edge) and encoded
 * once, so the file's headers and tables are shared as the .aec container shares its own:
 * bytes per image is the file over n, the decoded tiles are cut back into digits.
 */
const COLS = 50;
async function tiledCodec(encode: (img: Sharp) => Sharp): Promise<{ bytes: number; decoded: Float32Array }> {
  const rowsOfDigits = Math.ceil(n / COLS);
  const w = COLS * side;
  const h = rowsOfDigits * side;
  const canvas = Buffer.alloc(w * h);
  const at = (i: number, y: number, x: number) => (Math.floor(i / COLS) * side + y) * w + (i % COLS) * side + x;
  for (let i = 0; i < n; i++) for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) canvas[at(i, y, x)] = original8[i * 784 + y * side + x]!;
  const file = await encode(sharp(canvas, { raw: { width: w, height: h, channels: 1 } })).toBuffer();
  const back = await sharp(file).extractChannel(0).raw().toBuffer();
  const decoded = new Float32Array(pixels);
  for (let i = 0; i < n; i++) for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) decoded[i * 784 + y * side + x] = back[at(i, y, x)]! / 255;
  return { bytes: file.length / n, decoded };
}

interface Point {
  name: string;
  q: number;
  bytes: number;
  mse: number;
  psnr: number;
}

// One-channel PNG and JPEG files (b-w): sharp would otherwise write RGB.
const pngOptions = (img: Sharp) => img.toColourspace('b-w').png({ compressionLevel: 9, adaptiveFiltering: true, palette: false });
const jpegOptions = (q: number) => (img: Sharp) => img.toColourspace('b-w').jpeg({ quality: q, mozjpeg: true });
const pngs: Point[] = [];
for (const [name, run] of [['PNG, one file per digit', codec], ['PNG, all digits tiled in one file', tiledCodec]] as const) {
  const r = await run(pngOptions);
  if (r.decoded.some((v, i) => Math.round(v * 255) !== original8[i])) throw new Error(`${name} did not round-trip the 8-bit digits`);
  const mse = mseOf(r.decoded, test.images);
  pngs.push({ name, q: 0, bytes: r.bytes, mse, psnr: psnrOf(mse) });
}
const jpegs: { name: string; points: Point[] }[] = [];
for (const [name, run] of [['JPEG, one file per digit', codec], ['JPEG, all digits tiled in one file', tiledCodec]] as const) {
  const points: Point[] = [];
  for (const q of JPEG_QUALITIES) {
    const r = await run(jpegOptions(q));
    const mse = mseOf(r.decoded, test.images);
    points.push({ name, q, bytes: r.bytes, mse, psnr: psnrOf(mse) });
  }
  jpegs.push({ name, points });
}

/** JPEG's bytes per image at `psnr`, linear between the two qualities around it; a note outside its range. */
function jpegAt(points: readonly Point[], psnr: number): { bytes: number | null; text: string } {
  const pts = [...points].sort((a, b) => a.psnr - b.psnr);
  const lo = pts[0]!;
  const hi = pts.at(-1)!;
  if (psnr < lo.psnr) return { bytes: null, text: `< ${lo.bytes.toFixed(1)} (q=${lo.q} is ${lo.psnr.toFixed(1)} dB)` };
  if (psnr > hi.psnr) return { bytes: null, text: `> ${hi.bytes.toFixed(1)} (q=${hi.q})` };
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!;
    const b = pts[i]!;
    if (psnr <= b.psnr) {
      const bytes = a.bytes + ((psnr - a.psnr) / (b.psnr - a.psnr || 1)) * (b.bytes - a.bytes);
      return { bytes, text: bytes.toFixed(1) };
    }
  }
  return { bytes: null, text: '?' };
}

const kernels = await createKernels();
const rows: string[] = [];
const models: string[] = [];
for (const latent of LATENTS) {
  const model = new Autoencoder(kernels, presetArchitecture('dense', latent)).initialize(0);
  model.preprocessing = splits.normalization;
  const { loss } = presetDefaults('dense');
  const t0 = performance.now();
  const optimizer = new Adam();
  await train(model, splits, { epochs: EPOCHS, batchSize: 32, seed: 0, loss, optimizer, evaluateTest: false });
  const seconds = (performance.now() - t0) / 1000;
  const decoderFloats = model.params.list.filter((p) => p.name.startsWith('decoder.')).reduce((s, p) => s + p.size, 0);
  const fileBytes = encodeModel(model, { preset: 'dense', loss, optimizer: optimizer.config(), noise: 0, l1: 0, beta: 1, seed: 0, batch_size: 32, epochs: EPOCHS }).length;
  models.push(`| ${latent} | ${(decoderFloats * 4).toLocaleString('en-US')} | ${fileBytes.toLocaleString('en-US')} | ${seconds.toFixed(0)} s |`);
  const exact = model.reconstruct(test.images);
  const exactMse = mseOf(exact, test.images);
  const line = (bits: string, bytes: number, mse: number) => {
    const psnr = psnrOf(mse);
    const cells = jpegs.map(({ points }) => {
      const j = jpegAt(points, psnr);
      return j.bytes === null ? j.text : `${j.text} (${(j.bytes / bytes).toFixed(1)}x)`;
    });
    return `| ${latent} | ${bits} | ${bytes.toFixed(2)} | ${((8 * bytes) / 784).toFixed(3)} | ${mse.toFixed(5)} | ${psnr.toFixed(2)} | ${cells.join(' | ')} |`;
  };
  for (const bits of BITS) {
    const file = compressImages(model, test.images, { bits });
    const { images } = decompressImages(model, file);
    rows.push(line(String(bits), file.length / n, mseOf(images, test.images)));
  }
  rows.push(line('float32 codes, no container', latent * 4, exactMse));
  model.dispose();
}

const out = [
  `Test digits: ${n} (${splits.source.split(' permuted')[0]}); dense preset, seed 0, ${EPOCHS} epochs each.`,
  '',
  '| latent | bits | bytes / image | bits / pixel | MSE | PSNR (dB) | JPEG per digit: bytes at that PSNR (x AE) | JPEG tiled: bytes at that PSNR (x AE) |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows,
  '',
  '| baseline | bytes / image | bits / pixel | MSE | PSNR (dB) |',
  '|---|---:|---:|---:|---:|',
  ...pngs.map((p) => `| ${p.name} (lossless on the 8-bit digits) | ${p.bytes.toFixed(1)} | ${((8 * p.bytes) / 784).toFixed(3)} | ${p.mse.toExponential(1)} | ${p.psnr.toFixed(1)} |`),
  ...jpegs.flatMap(({ points }) => points.map((j) => `| ${j.name}, q=${j.q} | ${j.bytes.toFixed(1)} | ${((8 * j.bytes) / 784).toFixed(3)} | ${j.mse.toFixed(5)} | ${j.psnr.toFixed(2)} |`)),
  '',
  '| latent | decoder weights (float32 bytes) | model file (bytes) | training time |',
  '|---:|---:|---:|---:|',
  ...models,
];
console.log(out.join('\n'));
