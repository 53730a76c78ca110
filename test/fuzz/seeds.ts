// The real files every mutation starts from: a model file of each preset and checkpoints,
// made and encoded by the library, and IDX image and label files, raw and gzipped.
import { encode } from 'fast-png';
import { gzipSync } from 'node:zlib';
import type { Kernels } from '../../src/kernels/kernels.js';
import { PRESET_NAMES } from '../../src/models/presets.js';
import { modelFile } from '../models/model-fixtures.js';

export interface Seed {
  name: string;
  bytes: Uint8Array;
  /** Dims an IDX seed has (3 for images, 1 for labels). */
  idxDims?: number;
}

export function modelSeeds(kernels: Kernels): Seed[] {
  return PRESET_NAMES.map((preset) => ({ name: `${preset} model`, bytes: modelFile(kernels, preset) }));
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
