// The real files every mutation starts from: a model file of each preset and checkpoints,
// made and encoded by the library, IDX image and label files, raw and gzipped, images
// (PNG by fast-png; JPEG and WebP by sharp, asynchronously), .npy and CSV files.
import { encode } from 'fast-png';
import sharp, { type Sharp } from 'sharp';
import { gzipSync } from 'node:zlib';
import type { Kernels } from '../../src/kernels/kernels.js';
import { PRESET_NAMES } from '../../src/models/presets.js';
import { graphModelFile, modelFile } from '../models/model-fixtures.js';
import { GRAPHS } from '../models/graph-fixtures.js';
import { encodeNpy } from '../../src/data/sources/npy.js';
import { compressCodes } from '../../src/compress/index.js';
import type { Autoencoder } from '../../src/models/autoencoder.js';
import { decodeModel, encodeModel } from '../../src/models/model-file.js';
import { quantizeModel } from '../../src/models/quantize.js';

export interface Seed {
  name: string;
  bytes: Uint8Array;
  /** Dims an IDX seed has (3 for images, 1 for labels). */
  idxDims?: number;
}

export function modelSeeds(kernels: Kernels): Seed[] {
  const shape = [28, 28, 1];
  const stats = (k: number) => Float32Array.from({ length: 784 }, (_, i) => 0.25 + ((i * k) % 7) / 10);
  return [
    ...PRESET_NAMES.map((preset) => ({ name: `${preset} model`, bytes: modelFile(kernels, preset) })),
    // Files that record their preprocessing: metadata JSON and statistics tensors to mutate.
    { name: 'dense model, scale preprocessing', bytes: modelFile(kernels, 'dense', false, { kind: 'scale', scale: 255, sampleShape: shape, labels: ['zero', 'one'] }) },
    { name: 'dense model, standard preprocessing', bytes: modelFile(kernels, 'dense', false, { kind: 'standard', sampleShape: shape, mean: stats(3), std: stats(5) }) },
    // int8 files (ae-wasm quantize): I8 kernels, F32 scales and the quantization record to mutate.
    ...['dense', 'deep'].map((preset) => ({ name: `${preset} model, int8`, bytes: int8File(kernels, modelFile(kernels, preset)) })),
    { name: 'linear model, minmax preprocessing', bytes: modelFile(kernels, 'linear', false, { kind: 'minmax', sampleShape: shape, min: stats(1).map((v) => -v), max: stats(2) }) },
  ];
}

/** The int8 copy of a model file. */
function int8File(kernels: Kernels, bytes: Uint8Array): Uint8Array {
  const float = decodeModel(bytes, kernels).model;
  const q = quantizeModel(float);
  try {
    return encodeModel(q);
  } finally {
    q.dispose();
    float.dispose();
  }
}

/** Model files whose architecture has a graph (two branches, classifiers, a conditional VAE): its edges and loss terms to mutate. */
export function graphModelSeeds(kernels: Kernels): Seed[] {
  return GRAPHS.map(([name, make]) => ({ name: `graph model: ${name}`, bytes: graphModelFile(kernels, make()) }));
}

export function checkpointSeeds(kernels: Kernels): Seed[] {
  return ['dense', 'conv', 'vae'].map((preset) => ({ name: `${preset} checkpoint`, bytes: modelFile(kernels, preset, true) }));
}

export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out.set([0, 0, 8, dims.length]);
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

export function idxSeeds(): Seed[] {
  const n = 12;
  const pixels = Uint8Array.from({ length: n * 28 * 28 }, (_, i) => (i * 37) & 0xff);
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
  return [
    { name: 'IDX images', bytes: encodeIdx([n, 28, 28], pixels), idxDims: 3 },
    { name: 'IDX labels', bytes: encodeIdx([n], labels), idxDims: 1 },
  ];
}

export function gzipSeeds(): Seed[] {
  return idxSeeds().map((s) => ({ ...s, name: `${s.name} (gzip)`, bytes: new Uint8Array(gzipSync(s.bytes)) }));
}

export function pngSeeds(): Seed[] {
  const gray = Uint8Array.from({ length: 28 * 28 }, (_, i) => (i * 7) & 0xff);
  const rgba16 = Uint16Array.from({ length: 12 * 9 * 4 }, (_, i) => (i * 2017) & 0xffff);
  return [
    { name: 'PNG gray 8-bit', bytes: new Uint8Array(encode({ width: 28, height: 28, data: gray, channels: 1, depth: 8 })) },
    { name: 'PNG RGBA 16-bit', bytes: new Uint8Array(encode({ width: 12, height: 9, data: rgba16, channels: 4, depth: 16 })) },
  ];
}

/** A smooth RGB picture with an edge (so lossy codecs keep some detail to mutate). */
function picture(h: number, w: number): Buffer {
  const px = Buffer.alloc(h * w * 3);
  for (let i = 0; i < h * w; i++) {
    const x = i % w;
    const y = Math.floor(i / w);
    px.set([(x * 255) / w, (y * 255) / h, x > w / 2 ? 220 : 30], i * 3);
  }
  return px;
}

/** What the image-folder loader reads: the PNG seeds and JPEG and WebP files (colour and grey, lossy and lossless) encoded by sharp. */
export async function imageSeeds(): Promise<Seed[]> {
  const rgb = () => sharp(picture(12, 16), { raw: { width: 16, height: 12, channels: 3 } });
  const encoded = async (name: string, image: Sharp): Promise<Seed> => ({ name, bytes: new Uint8Array(await image.toBuffer()) });
  return [
    ...pngSeeds(),
    await encoded('JPEG RGB baseline', rgb().jpeg({ quality: 80 })),
    await encoded('JPEG RGB progressive 4:4:4', rgb().jpeg({ quality: 90, progressive: true, chromaSubsampling: '4:4:4' })),
    await encoded('JPEG grey', rgb().greyscale().jpeg({ quality: 85 })),
    await encoded('WebP lossy', rgb().webp({ quality: 75 })),
    await encoded('WebP lossless with alpha', rgb().ensureAlpha(0.5).webp({ lossless: true })),
  ];
}

/** .npy files written by our own encoder: data of each dtype and a labels file. */
export function npySeeds(): Seed[] {
  return [
    { name: 'npy float32', bytes: encodeNpy(Float32Array.from({ length: 24 }, (_, i) => i / 3), [4, 3, 2]) },
    { name: 'npy float64', bytes: encodeNpy(Float64Array.from({ length: 12 }, (_, i) => -i * 1.5), [6, 2]) },
    { name: 'npy uint8', bytes: encodeNpy(Uint8Array.from({ length: 32 }, (_, i) => i * 7), [2, 4, 4]) },
    { name: 'npy labels int32', bytes: encodeNpy(Int32Array.of(0, 1, 2, 1), [4]) },
  ];
}

/** CSV tables with and without a header, with a label column. */
export function csvSeeds(): Seed[] {
  const rows = ['x,y,label', ...Array.from({ length: 8 }, (_, i) => `${i * 0.5},${-i}e-2,${i % 3 ? 'a' : 'b'}`)];
  return [
    { name: 'CSV with header', bytes: new TextEncoder().encode(rows.join('\n')) },
    { name: 'CSV without header', bytes: new TextEncoder().encode('1,2,3\n4,5,6\n7,8.5,"9"\n') },
  ];
}

/** .aec containers of `model`'s codes (model.codeSize values each) at several bit depths, with and without labels. */
export function aecSeeds(model: Autoencoder): Seed[] {
  const k = model.codeSize;
  const codes = (n: number) => Float32Array.from({ length: n * k }, (_, i) => Math.sin(i * 0.37) * (1 + (i % k)));
  return [
    { name: 'aec 4 bits', bytes: compressCodes(model, codes(9), { bits: 4 }) },
    { name: 'aec 8 bits with labels', bytes: compressCodes(model, codes(12), { bits: 8, labels: Uint8Array.from({ length: 12 }, (_, i) => i % 10) }) },
    { name: 'aec 13 bits', bytes: compressCodes(model, codes(5), { bits: 13 }) },
    { name: 'aec 16 bits, one sample', bytes: compressCodes(model, codes(1), { bits: 16 }) },
  ];
}
