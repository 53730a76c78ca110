// Normalisation: data in its own units <-> the Float32 values a model sees (browser-safe).
//   none      y = x
//   scale     y = x / scale            (scale 255: uint8 into [0, 1])
//   minmax    y = (x - min) / (max - min)
//   standard  y = (x - mean) / std     (population std, ddof 0, as scikit-learn)
// Statistics are per feature (one value per position of a sample, shaped like it), fitted
// on the training split only, summed in float64, then stored as float32 (minmax's min
// rounded down and max rounded up, so training values stay inside [0, 1]); apply and invert
// use the stored float32 values (in float64 arithmetic), so a model file reloaded anywhere
// transforms exactly as the run that fitted it. A constant feature has no spread to divide
// by: where max = min in the training split (or std rounds to 0 in float32) the divisor is 1,
// so that feature becomes x - min (or x - mean), 0 or a float32 rounding error on the
// training data, never NaN.
// invert undoes apply up to float32 rounding.
import { DataError, FormatError } from '../errors.js';
import { describeDepthExcess, jsonDepthExcess } from '../io/json-depth.js';
import type { DecodedTensor, TensorEntry } from '../io/safetensors.js';
import { formatShape, sampleSize, type SampleArray, type SampleDtype } from './sources/types.js';

export type NormalizationKind = 'none' | 'scale' | 'minmax' | 'standard';
export const NORMALIZATION_KINDS: readonly NormalizationKind[] = ['none', 'scale', 'minmax', 'standard'];

/** 8-bit data scales into [0, 1]. */
export const UINT8_SCALE = 255;
/** Class names in a model file: enough for any real label set, bounded against hostile files. */
const MAX_LABEL_NAMES = 1 << 16;
const MAX_LABEL_NAME_LENGTH = 1024;

export interface Normalization {
  kind: NormalizationKind;
  sampleShape: number[];
  /** The divisor of `scale`. */
  scale?: number;
  /** minmax: min and max; standard: mean and std (std > 0: the constant-feature rule is applied). */
  min?: Float32Array;
  max?: Float32Array;
  mean?: Float32Array;
  std?: Float32Array;
  /** Class names by label index, carried to the model file's metadata. */
  labels?: string[];
}

/** `scale` for uint8 data (images), `standard` for float data (tables, float arrays). */
export function defaultNormalizationKind(dtype: SampleDtype): NormalizationKind {
  return dtype === 'uint8' ? 'scale' : 'standard';
}

const bits32 = new Float32Array(1);
const bitsU32 = new Uint32Array(bits32.buffer);

/** The float32 next to finite f (a float32 value) in the direction of `dir` (-1 down, +1 up). */
function stepFloat32(f: number, dir: -1 | 1): number {
  if (f === 0) return dir * 2 ** -149;
  bits32[0] = f;
  bitsU32[0]! += f > 0 === dir > 0 ? 1 : -1; // away from zero grows the magnitude
  return bits32[0]!;
}

/**
 * float32 values of float64 statistics: rounded to nearest, or with `round` 'down' / 'up'
 * to the float32 at or below / above each value (minmax stores min rounded down and max
 * rounded up, so every training value maps into [0, 1] exactly, never to -1e-8).
 */
function toFloat32(values: Float64Array, what: string, source: string, round: 'nearest' | 'down' | 'up' = 'nearest'): Float32Array {
  const out = Float32Array.from(values);
  if (round !== 'nearest') {
    for (let f = 0; f < out.length; f++) {
      const v = values[f]!;
      if (Number.isFinite(out[f]!) && (round === 'down' ? out[f]! > v : out[f]! < v)) out[f] = stepFloat32(out[f]!, round === 'down' ? -1 : 1);
    }
  }
  for (let f = 0; f < out.length; f++) {
    if (!Number.isFinite(out[f]!)) throw new DataError(`${source}: feature ${f} has ${what} ${values[f]}, outside the float32 range; rescale the data first`);
  }
  return out;
}

/**
 * A training split read in consecutive chunks of whole samples: calls visit(values, first)
 * for each chunk in order (first: the index of its first sample), covering every sample
 * once. fitNormalizationChunks may call it twice (standard reads the data a second time).
 */
export type SampleChunks = (visit: (values: SampleArray, first: number) => void) => void;

function checkKind(kind: NormalizationKind): void {
  if (!NORMALIZATION_KINDS.includes(kind)) throw new DataError(`normalisation must be one of ${NORMALIZATION_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
}

/** Fits `kind` on n training samples of `sampleShape` in `data`; `source` names the data in errors. */
export function fitNormalization(
  kind: NormalizationKind,
  data: SampleArray,
  sampleShape: readonly number[],
  options: { labels?: readonly string[]; source?: string } = {},
): Normalization {
  checkKind(kind);
  const size = sampleSize(sampleShape);
  if (size === 0 || data.length % size !== 0) throw new DataError(`${options.source ?? 'training data'}: ${data.length} values are not whole samples of shape ${formatShape(sampleShape)}`);
  return fitNormalizationChunks(kind, data.length / size, (visit) => visit(data, 0), sampleShape, options);
}

/**
 * fitNormalization over n samples read by `chunks` (data left on disk): the same
 * statistics bit for bit, since every feature's float64 sums take its values in the same
 * sample order whatever the chunking. minmax reads the data once; standard twice (the mean,
 * then the squared deviations from it), as the in-memory fit makes two passes.
 */
export function fitNormalizationChunks(
  kind: NormalizationKind,
  n: number,
  chunks: SampleChunks,
  sampleShape: readonly number[],
  options: { labels?: readonly string[]; source?: string } = {},
): Normalization {
  const source = options.source ?? 'training data';
  checkKind(kind);
  const size = sampleSize(sampleShape);
  if (size === 0) throw new DataError(`${source}: samples of shape ${formatShape(sampleShape)} hold no values`);
  if (n === 0 && (kind === 'minmax' || kind === 'standard')) throw new DataError(`${source}: cannot fit ${kind} statistics on no samples`);
  const norm: Normalization = { kind, sampleShape: [...sampleShape], ...(options.labels ? { labels: [...options.labels] } : {}) };
  if (kind === 'scale') norm.scale = UINT8_SCALE;
  if (kind !== 'minmax' && kind !== 'standard') return norm;
  const lo = new Float64Array(size).fill(Infinity);
  const hi = new Float64Array(size).fill(-Infinity);
  const sum = new Float64Array(size);
  let seen = 0;
  chunks((data, first) => {
    const count = data.length / size;
    for (let i = 0, k = 0; i < count; i++) {
      for (let f = 0; f < size; f++, k++) {
        const v = data[k]!;
        if (!Number.isFinite(v)) {
          throw new DataError(`${source}: value ${v} at flat index ${first * size + k} (sample ${first + i}, feature ${f}); data must be finite`);
        }
        if (v < lo[f]!) lo[f] = v;
        if (v > hi[f]!) hi[f] = v;
        sum[f]! += v;
      }
    }
    seen += count;
  });
  if (seen !== n) throw new DataError(`${source}: expected ${n} samples, read ${seen}`);
  if (kind === 'minmax') {
    norm.min = toFloat32(lo, 'minimum', source, 'down');
    norm.max = toFloat32(hi, 'maximum', source, 'up');
    // A constant feature keeps max = min (the divisor-1 rule), both rounded down: it maps to
    // x - min in [0, one float32 ulp of x), inside [0, 1) for |x| < 2^24.
    for (let f = 0; f < size; f++) if (lo[f] === hi[f]) norm.max[f] = norm.min[f]!;
    return norm;
  }
  const mean = sum.map((s) => s / n);
  // Two passes: the sum of squared deviations does not cancel as sum(x^2) - n mean^2 would.
  const squares = new Float64Array(size);
  chunks((data) => {
    for (let k = 0, f = 0; k < data.length; k++, f = f + 1 === size ? 0 : f + 1) {
      const d = data[k]! - mean[f]!;
      squares[f]! += d * d;
    }
  });
  const std = squares.map((s, f) => (lo[f] === hi[f] ? 1 : Math.sqrt(s / n)));
  norm.mean = toFloat32(mean, 'mean', source);
  norm.std = toFloat32(std, 'standard deviation', source).map((s) => (s === 0 ? 1 : s));
  return norm;
}

/** Per-feature offset and divisor of a kind: y = (x - offset) / divisor. */
function affine(norm: Normalization): { offset: (f: number) => number; divisor: (f: number) => number } {
  switch (norm.kind) {
    case 'none':
      return { offset: () => 0, divisor: () => 1 };
    case 'scale':
      return { offset: () => 0, divisor: () => norm.scale! };
    case 'minmax': {
      const { min, max } = norm as Required<Pick<Normalization, 'min' | 'max'>>;
      return { offset: (f) => min[f]!, divisor: (f) => (max[f] === min[f] ? 1 : max[f]! - min[f]!) };
    }
    case 'standard': {
      const { mean, std } = norm as Required<Pick<Normalization, 'mean' | 'std'>>;
      return { offset: (f) => mean[f]!, divisor: (f) => std[f]! };
    }
  }
}

function checkWhole(norm: Normalization, length: number, what: string): number {
  const size = sampleSize(norm.sampleShape);
  if (length % size !== 0) throw new DataError(`${what}: ${length} values are not whole samples of shape ${formatShape(norm.sampleShape)}`);
  return size;
}

/**
 * The per-feature y = (x - offset[f]) / divisor[f] of `norm`, in float64: the arithmetic
 * applyNormalization and every batch fill use, so both give the same float32.
 */
export interface FeatureAffine {
  offset: Float64Array;
  divisor: Float64Array;
}

export function featureAffine(norm: Normalization): FeatureAffine {
  const size = sampleSize(norm.sampleShape);
  const { offset, divisor } = affine(norm);
  return { offset: Float64Array.from({ length: size }, (_, f) => offset(f)), divisor: Float64Array.from({ length: size }, (_, f) => divisor(f)) };
}

/** Whether `norm` treats every feature alike (none, scale): one 256-entry table serves all. */
export function isUniform(norm: Normalization): boolean {
  return norm.kind === 'none' || norm.kind === 'scale';
}

/**
 * The float32 model value of every 8-bit level: table[f * stride + v] = (v - offset[f]) /
 * divisor[f] rounded to float32, exactly applyNormalization's value; stride 0 (one table)
 * for uniform kinds, 256 (one per feature) for minmax and standard. Entries may be
 * non-finite for levels a feature never holds; a fill only reads levels the data holds.
 */
export function uint8Table(norm: Normalization): { table: Float32Array; stride: 0 | 256 } {
  const { offset, divisor } = featureAffine(norm);
  const features = isUniform(norm) ? 1 : offset.length;
  const table = new Float32Array(features * 256);
  for (let f = 0; f < features; f++) for (let v = 0; v < 256; v++) table[f * 256 + v] = (v - offset[f]!) / divisor[f]!;
  return { table, stride: features === 1 ? 0 : 256 };
}

/** The model's view of `data` (any whole number of samples); a value that leaves the float32 range is a DataError. */
export function applyNormalization(norm: Normalization, data: SampleArray): Float32Array {
  checkWhole(norm, data.length, 'normalise');
  const { offset: off, divisor: div } = featureAffine(norm);
  const size = off.length;
  const out = new Float32Array(data.length);
  for (let k = 0, f = 0; k < data.length; k++, f = f + 1 === size ? 0 : f + 1) {
    const y = (data[k]! - off[f]!) / div[f]!;
    out[k] = y;
    if (!Number.isFinite(out[k]!)) throw new DataError(`normalise (${norm.kind}): value ${data[k]} at flat index ${k} maps to ${y}, outside the float32 range`);
  }
  return out;
}

/** Back to the data's units: x = y * divisor + offset (float64 arithmetic, float32 result). */
export function invertNormalization(norm: Normalization, values: ArrayLike<number>): Float32Array {
  checkWhole(norm, values.length, 'denormalise');
  const { offset: off, divisor: div } = featureAffine(norm);
  const size = off.length;
  const out = new Float32Array(values.length);
  for (let k = 0, f = 0; k < values.length; k++, f = f + 1 === size ? 0 : f + 1) out[k] = values[k]! * div[f]! + off[f]!;
  return out;
}

/** The statistics tensors of a model file, F32 shaped like one sample (none for `none` and `scale`). */
export function preprocessingTensors(norm: Normalization): TensorEntry[] {
  const stats = norm.kind === 'minmax' ? (['min', 'max'] as const) : norm.kind === 'standard' ? (['mean', 'std'] as const) : [];
  return stats.map((key) => ({ name: `preprocessing.${key}`, dtype: 'F32', shape: [...norm.sampleShape], data: norm[key]! }));
}

/** The JSON of `__metadata__.preprocessing`: {"kind", "scale"?, "labels"?}. */
export function preprocessingMetadata(norm: Normalization): string {
  return JSON.stringify({ kind: norm.kind, ...(norm.kind === 'scale' ? { scale: norm.scale } : {}), ...(norm.labels ? { labels: norm.labels } : {}) });
}

const STAT_NAMES: Readonly<Record<NormalizationKind, readonly ('min' | 'max' | 'mean' | 'std')[]>> = {
  none: [],
  scale: [],
  minmax: ['min', 'max'],
  standard: ['mean', 'std'],
};

/**
 * The normalisation a model file records: `text` is `__metadata__.preprocessing`,
 * `tensors` the file's tensors, `sampleShape` the architecture's input shape. Checked
 * completely (own properties, types, shapes, finite values, std > 0, max >= min); any
 * fault is a FormatError naming `source` and the field or tensor.
 */
export function parsePreprocessing(text: string, tensors: ReadonlyMap<string, DecodedTensor>, sampleShape: readonly number[], source: string): Normalization {
  const fail = (what: string): never => {
    throw new FormatError(`${source}: __metadata__ "preprocessing" ${what}`);
  };
  const deep = jsonDepthExcess(text);
  if (deep) fail(describeDepthExcess(deep));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return fail(`is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(`must be a JSON object, got ${JSON.stringify(value)?.slice(0, 60)}`);
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) if (key !== 'kind' && key !== 'scale' && key !== 'labels') fail(`has unknown key ${JSON.stringify(key.slice(0, 60))}; expected kind, scale, labels`);
  const kind = Object.hasOwn(o, 'kind') ? o['kind'] : undefined;
  if (typeof kind !== 'string' || !Object.hasOwn(STAT_NAMES, kind)) return fail(`kind must be one of ${NORMALIZATION_KINDS.map((k) => `"${k}"`).join(', ')}, got ${JSON.stringify(kind)?.slice(0, 60)}`);
  const norm: Normalization = { kind: kind as NormalizationKind, sampleShape: [...sampleShape] };
  const scale = Object.hasOwn(o, 'scale') ? o['scale'] : undefined;
  if (kind === 'scale') {
    if (typeof scale !== 'number' || !Number.isFinite(scale) || !(scale > 0)) fail(`scale must be a positive finite number for kind "scale", got ${JSON.stringify(scale)?.slice(0, 60)}`);
    norm.scale = scale as number;
  } else if (scale !== undefined) fail(`has scale but kind is "${kind}"`);
  if (Object.hasOwn(o, 'labels')) norm.labels = parseLabels(o['labels'], fail);
  const wanted = new Set(STAT_NAMES[norm.kind].map((s) => `preprocessing.${s}`));
  for (const name of tensors.keys()) {
    if (name.startsWith('preprocessing.') && !wanted.has(name)) {
      throw new FormatError(`${source}: tensor "${name}" does not belong to preprocessing kind "${kind}"`);
    }
  }
  const size = sampleSize(sampleShape);
  for (const stat of STAT_NAMES[norm.kind]) {
    const name = `preprocessing.${stat}`;
    const t = tensors.get(name);
    if (!t) throw new FormatError(`${source}: missing tensor "${name}" ${formatShape(sampleShape)} for preprocessing kind "${kind}"`);
    if (t.dtype !== 'F32') throw new FormatError(`${source}: tensor "${name}" has dtype ${t.dtype}, expected F32`);
    if (t.shape.join() !== sampleShape.join() || t.data.length !== size) {
      throw new FormatError(`${source}: tensor "${name}" has shape ${formatShape(t.shape)}, the input shape is ${formatShape(sampleShape)}`);
    }
    const data = t.data as Float32Array;
    for (let f = 0; f < size; f++) {
      const v = data[f]!;
      if (!Number.isFinite(v)) throw new FormatError(`${source}: tensor "${name}" holds a non-finite value at index ${f}`);
      if (stat === 'std' && !(v > 0)) throw new FormatError(`${source}: tensor "${name}" holds ${v} at index ${f}; a std must be positive (a constant feature stores 1)`);
    }
    norm[stat] = Float32Array.from(data);
  }
  if (norm.min && norm.max) {
    for (let f = 0; f < size; f++) {
      if (norm.max[f]! < norm.min[f]!) throw new FormatError(`${source}: preprocessing.max ${norm.max[f]} is below preprocessing.min ${norm.min[f]} at index ${f}`);
    }
  }
  return norm;
}

function parseLabels(value: unknown, fail: (what: string) => never): string[] {
  if (!Array.isArray(value)) return fail(`labels must be a list of strings, got ${JSON.stringify(value)?.slice(0, 60)}`);
  if (value.length > MAX_LABEL_NAMES) fail(`labels has ${value.length} names, over the limit of ${MAX_LABEL_NAMES}`);
  const seen = new Set<string>();
  value.forEach((name, i) => {
    if (typeof name !== 'string' || name.length > MAX_LABEL_NAME_LENGTH) fail(`labels[${i}] must be a string of at most ${MAX_LABEL_NAME_LENGTH} characters, got ${JSON.stringify(name)?.slice(0, 60)}`);
    if (seen.has(name)) fail(`labels[${i}] ${JSON.stringify(name.slice(0, 60))} repeats an earlier name`);
    seen.add(name);
  });
  return value as string[];
}
