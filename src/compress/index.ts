// Lossy compression of a data set with an autoencoder (browser-safe): the codes quantised
// per dimension (quantize.ts) and stored in an .aec container (aec.ts) bound to the model
// by its hash (model-hash.ts). Decoding the codes needs the same model's decoder.

import { DataError, ModelMismatchError, ShapeError } from '../errors.js';
import { checkOptionKeys, optionKeys } from '../options.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { decodeAec, encodeAec, type AecLimits } from './aec.js';
import { hex } from './digest.js';
import { modelHash } from './model-hash.js';
import { checkBits, codeRanges, dequantize, quantize, type Ranges } from './quantize.js';

export { AEC_MAGIC, AEC_VERSION, DEFAULT_AEC_LIMITS, decodeAec, encodeAec, readAecHeader, type AecContents, type AecHeader, type AecLimits } from './aec.js';
export { modelHash } from './model-hash.js';
export { codeRanges, dequantize, MAX_BITS, MIN_BITS, packBits, quantize, unpackBits, type Ranges } from './quantize.js';

export const DEFAULT_BITS = 8;

export interface CompressOptions {
  /** Bits per code value, 4..16 (default 8). */
  bits?: number;
  /** One label per sample, stored with the codes. */
  labels?: Uint8Array | null;
}

const COMPRESS_KEYS = optionKeys<CompressOptions>()('bits', 'labels');
const DECOMPRESS_KEYS = optionKeys<DecompressOptions>()('source', 'modelName', 'limits');

/** `codes` ([n, ...model.codeShape] flattened; a VAE's z_mean) of `model` as .aec bytes. */
export function compressCodes(model: Autoencoder, codes: Float32Array, options: CompressOptions = {}): Uint8Array {
  checkOptionKeys(options, COMPRESS_KEYS, 'compressCodes(model, codes, options)');
  const bits = options.bits ?? DEFAULT_BITS;
  checkBits(bits, 'compressCodes');
  const k = model.codeSize;
  if (codes.length === 0 || codes.length % k !== 0) {
    throw new ShapeError(`compressCodes: expected n >= 1 codes of ${k} values (the model's code shape [${model.codeShape.join(', ')}]), found ${codes.length} values`);
  }
  const n = codes.length / k;
  const labels = options.labels ?? null;
  if (labels && labels.length !== n) throw new ShapeError(`compressCodes: expected ${n} labels (one per code), found ${labels.length}`);
  const ranges = codeRanges(codes, k, 'compressCodes');
  return encodeAec({ bits, modelHash: modelHash(model), n, codeSize: k, ranges, quantized: quantize(codes, k, ranges, bits), labels });
}

/** Samples in the model's input space ([n, ...inputShape]) encoded, then compressed. */
export function compressImages(model: Autoencoder, images: Float32Array, options: CompressOptions = {}): Uint8Array {
  checkOptionKeys(options, COMPRESS_KEYS, 'compressImages(model, images, options)');
  return compressCodes(model, model.encode(images), options);
}

export interface DecompressedCodes {
  n: number;
  bits: number;
  /** The dequantised codes, n x model.codeSize. */
  codes: Float32Array;
  ranges: Ranges;
  labels: Uint8Array | null;
}

export interface DecompressOptions {
  /** Names the file in errors. */
  source?: string;
  /** Names the model in errors (its file). */
  modelName?: string;
  limits?: Partial<AecLimits>;
}

/**
 * The codes of an .aec container made with `model`. A container made with another model
 * is a ModelMismatchError naming both hashes; a malformed, truncated or corrupted one a
 * FormatError (aec.ts).
 */
export function decompressCodes(model: Autoencoder, bytes: Uint8Array, options: DecompressOptions = {}): DecompressedCodes {
  checkOptionKeys(options, DECOMPRESS_KEYS, 'decompressCodes(model, bytes, options)');
  const source = options.source ?? '<bytes>';
  const mine = modelHash(model);
  const c = decodeAec(bytes, source, options.limits, (h) => {
    if (!h.modelHash.every((b, i) => b === mine[i])) {
      throw new ModelMismatchError(
        `${source}: compressed with the model of hash ${hex(h.modelHash)}, but ${options.modelName ?? 'this model'} has hash ${hex(mine)}; decompress with the model that compressed it`,
      );
    }
    // Equal hashes mean equal architectures, so this holds for any file our writer made.
    if (h.codeSize !== model.codeSize) throw new DataError(`${source}: holds codes of ${h.codeSize} values, the model's are ${model.codeSize}`);
  });
  return { n: c.n, bits: c.bits, codes: dequantize(c.quantized, c.n, c.codeSize, c.ranges, c.bits), ranges: c.ranges, labels: c.labels };
}

/** decompressCodes, then the model's decoder: the samples in its output space ([n, ...inputShape]). */
export function decompressImages(model: Autoencoder, bytes: Uint8Array, options: DecompressOptions = {}): DecompressedCodes & { images: Float32Array } {
  checkOptionKeys(options, DECOMPRESS_KEYS, 'decompressImages(model, bytes, options)');
  const d = decompressCodes(model, bytes, options);
  return { ...d, images: model.decode(d.codes) };
}
