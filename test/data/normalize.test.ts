// Normalisation as properties: the round trip within float32 rounding, statistics from
// the training split only, constant features without NaN, and the model-file record
// (metadata JSON + statistics tensors) read back bit for bit.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { legacyPreprocessing, prepare } from '../../src/data/load.js';
import {
  applyNormalization,
  fitNormalization,
  fitNormalizationChunks,
  invertNormalization,
  NORMALIZATION_KINDS,
  parsePreprocessing,
  preprocessingMetadata,
  preprocessingTensors,
  type Normalization,
  type NormalizationKind,
} from '../../src/data/normalize.js';
import type { LoadedData, SampleArray } from '../../src/data/sources/types.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { DataError, FormatError, ShapeError } from '../../src/errors.js';

const F32 = 2 ** -24; // half an ulp, relative: float32 rounding to nearest
const MIN_F32 = 2 ** -149;

/** Offset and divisor of y = (x - offset) / divisor, per feature, as normalize.ts defines them. */
function affineOf(norm: Normalization, f: number): { o: number; d: number } {
  if (norm.kind === 'minmax') return { o: norm.min![f]!, d: norm.max![f] === norm.min![f] ? 1 : norm.max![f]! - norm.min![f]! };
  if (norm.kind === 'standard') return { o: norm.mean![f]!, d: norm.std![f]! };
  return { o: 0, d: norm.kind === 'scale' ? norm.scale! : 1 };
}

/**
 * The bound of |invert(apply(x)) - x|: apply rounds y = (x - o) / d to float32, an error of
 * at most 2^-24 |y| (or 2^-150 where y is subnormal), which invert multiplies by d:
 * 2^-24 |x - o| + 2^-150 d; invert rounds x' = y d + o to float32, at most 2^-24 |x'| (or
 * 2^-150), with |x'| <= |x| + the first error. The float64 steps between add ~2^-52
 * relative each: covered by the factor and the 2^-50 term.
 */
function bound(x: number, { o, d }: { o: number; d: number }): number {
  return F32 * (Math.abs(x - o) + Math.abs(x)) * (1 + 2 ** -20) + 2 ** -50 * (Math.abs(x) + Math.abs(o)) + MIN_F32 * (d + 1);
}

const shapeArb = fc.constantFrom<number[]>([1], [3], [2, 2], [2, 1, 3]);
const sizeOf = (s: number[]) => s.reduce((a, b) => a * b, 1);
/** Samples of `shape` as float64, float32 or uint8 data, with a feature sometimes constant. */
function dataArb(dtype: 'uint8' | 'float32' | 'float64', kind: NormalizationKind) {
  return shapeArb.chain((shape) => {
    const size = sizeOf(shape);
    const value =
      dtype === 'uint8' ? fc.integer({ min: 0, max: 255 })
      : dtype === 'float32' ? fc.float({ min: Math.fround(-1e30), max: Math.fround(1e30), noNaN: true, noDefaultInfinity: true })
      : fc.oneof(fc.double({ min: -1e12, max: 1e12, noNaN: true }), fc.double({ min: -1e-6, max: 1e-6, noNaN: true }), fc.constantFrom(0, -0, 0.1, 1e-300));
    return fc.tuple(fc.constant(shape), fc.integer({ min: 1, max: 12 }), fc.option(fc.nat({ max: size - 1 })), fc.context()).chain(([s, n, constant]) =>
      fc.array(value, { minLength: n * size, maxLength: n * size }).map((values) => {
        if (constant !== null) for (let i = 0; i < n; i++) values[i * size + constant] = values[constant]!;
        const data: SampleArray = dtype === 'uint8' ? Uint8Array.from(values) : dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
        return { shape: s, data, kind };
      }),
    );
  });
}

const cases = NORMALIZATION_KINDS.flatMap((kind) =>
  (['uint8', 'float32', 'float64'] as const).filter((dtype) => kind !== 'scale' || dtype === 'uint8').map((dtype) => [kind, dtype] as const),
);

describe('invertNormalization(applyNormalization(x)) = x within float32 rounding', () => {
  it.each(cases)('%s on %s data', (kind, dtype) => {
    fc.assert(
      fc.property(dataArb(dtype, kind), ({ shape, data }) => {
        const norm = fitNormalization(kind, data, shape);
        const y = applyNormalization(norm, data);
        const back = invertNormalization(norm, y);
        const size = sizeOf(shape);
        for (let k = 0; k < data.length; k++) {
          const x = data[k]!;
          const err = Math.abs(back[k]! - x);
          const b = bound(x, affineOf(norm, k % size));
          if (!(err <= b)) throw new Error(`${kind}: x ${x} came back ${back[k]} (error ${err}, bound ${b})`);
          // 8-bit levels come back exactly once rounded, as image outputs are written.
          if (dtype === 'uint8' && Math.round(back[k]!) !== x) throw new Error(`${kind}: level ${x} came back ${back[k]}`);
        }
      }),
      { numRuns: 150, seed: 21 },
    );
  });

  it('the bound is tight enough to catch an inverse whose divisor is one float32 ulp off', () => {
    const data = Float64Array.of(-1e6, 1e6, 3.5e5);
    const norm = fitNormalization('minmax', data, [1]);
    const { o, d } = affineOf(norm, 0);
    const y = applyNormalization(norm, data);
    const ulpOff = Array.from(y, (v) => Math.fround(v * (d * (1 + 2 ** -23)) + o));
    expect(Math.abs(ulpOff[1]! - 1e6)).toBeGreaterThan(bound(1e6, { o, d }));
    const back = invertNormalization(norm, y);
    data.forEach((x, k) => expect(Math.abs(back[k]! - x)).toBeLessThanOrEqual(bound(x, { o, d })));
  });
});

describe('statistics come from the training split only', () => {
  const loaded = (train: Float64Array, test: Float64Array, features: number): LoadedData => ({
    train: { n: train.length / features, data: train },
    test: { n: test.length / features, data: test },
    kind: 'table',
    format: 'csv',
    sampleShape: [features],
    dtype: 'float64',
    split: { rule: 'source-test' },
    source: 'table',
  });
  // Values on a grid of 1e-3: a training feature whose spread is subnormal would send any other
  // test value past the float32 range (a DataError, tested below), not what this property is about.
  const row = fc.array(fc.integer({ min: -1e9, max: 1e9 }).map((i) => i / 1000), { minLength: 6, maxLength: 30 });

  it.each<NormalizationKind>(['minmax', 'standard'])('%s: prepare fits the training rows; any test rows leave the statistics and the training values unchanged', (kind) => {
    fc.assert(
      fc.property(row, row, row, (train, testA, testB) => {
        const cut = (a: number[]) => Float64Array.from(a.slice(0, a.length - (a.length % 3)));
        const tr = cut(train);
        const a = prepare(loaded(tr, cut(testA), 3), { normalize: kind });
        const b = prepare(loaded(tr, cut(testB), 3), { normalize: kind });
        expect(a.normalization).toEqual(fitNormalization(kind, tr, [3], { source: 'table' }));
        expect(b.normalization).toEqual(a.normalization);
        expect(b.train.images).toEqual(a.train.images);
        // The test split is transformed with the training statistics, so it may leave [0, 1] / N(0, 1).
        expect(a.test.images).toEqual(applyNormalization(a.normalization, cut(testA)));
      }),
      { numRuns: 100, seed: 22 },
    );
  });

  it('a given preprocessing is applied as it is: of another shape a ShapeError; null stands for the legacy rule; scale only for 8-bit data', () => {
    const table = loaded(Float64Array.of(1, 2, 3, 4), Float64Array.of(5, 6), 2);
    const given = fitNormalization('standard', Float64Array.of(0, 0, 2, 2), [2]);
    const p = prepare(table, { preprocessing: given, normalize: 'minmax' });
    expect(p.normalization).toBe(given);
    expect(Array.from(p.test.images)).toEqual([4, 5]);
    expect(() => prepare(table, { preprocessing: fitNormalization('none', new Float64Array(3), [3]) })).toThrow(new ShapeError('table: samples are [2] but the model takes [3]'));
    expect(prepare(table, { preprocessing: null }).normalization).toEqual(legacyPreprocessing('float64', [2]));
    expect(Array.from(prepare(table, { preprocessing: null }).train.images)).toEqual([1, 2, 3, 4]);
    expect(() => prepare(table, { normalize: 'scale' })).toThrow(/--normalize scale divides 8-bit data by 255, but this source holds float64/);
    expect(prepare(table).normalization.kind).toBe('standard');
  });

  it('a test value beyond the training range maps outside [0, 1] under minmax', () => {
    const p = prepare(loaded(Float64Array.of(0, 10, 5, 20), Float64Array.of(20, -10), 2), { normalize: 'minmax' });
    expect(Array.from(p.train.images)).toEqual([0, 0, 1, 1]);
    expect(Array.from(p.test.images)).toEqual([4, -2]);
  });
});

describe('a constant feature gives 0, never NaN', () => {
  it.each<NormalizationKind>(['minmax', 'standard'])('%s: exactly 0 for float32-representable data, within float32 rounding of the statistic otherwise', (kind) => {
    fc.assert(
      fc.property(fc.double({ min: -1e30, max: 1e30, noNaN: true }), fc.integer({ min: 1, max: 9 }), fc.boolean(), (c, n, f32) => {
        const v = f32 ? Math.fround(c) : c;
        const data = Float64Array.from({ length: n * 2 }, (_, k) => (k % 2 === 0 ? v : k));
        const norm = fitNormalization(kind, data, [2]);
        if (kind === 'standard') expect(norm.std![0]).toBe(1);
        const y = applyNormalization(norm, data);
        for (let i = 0; i < n; i++) {
          expect(Number.isNaN(y[2 * i]!)).toBe(false);
          // The statistic is stored as float32, so x - stat is x's own float32 rounding error:
          // to nearest for the mean (half an ulp), down for minmax's min (under one ulp, >= 0).
          if (f32) expect(y[2 * i] === 0).toBe(true);
          else expect(Math.abs(y[2 * i]!)).toBeLessThanOrEqual((kind === 'minmax' ? 2 : 1) * F32 * Math.abs(v) * 1.0001 + MIN_F32);
          if (kind === 'minmax') expect(y[2 * i]!).toBeGreaterThanOrEqual(0);
        }
        expect(invertNormalization(norm, y)[0] === Math.fround(v)).toBe(true); // == : the sign of a zero may go
      }),
      { numRuns: 200, seed: 23 },
    );
  });

  it('a single training sample: every feature is constant', () => {
    for (const kind of ['minmax', 'standard'] as const) {
      const norm = fitNormalization(kind, Uint8Array.of(3, 200), [2]);
      expect(Array.from(applyNormalization(norm, Uint8Array.of(3, 200, 4, 199)))).toEqual([0, 0, 1, -1]);
    }
  });

  it('non-finite training values and statistics beyond float32 are DataErrors', () => {
    expect(() => fitNormalization('standard', Float64Array.of(1, Number.NaN), [1])).toThrow(/value NaN at flat index 1 \(sample 1, feature 0\); data must be finite/);
    expect(() => fitNormalization('minmax', Float64Array.of(1e300, 0), [1])).toThrow(DataError);
    expect(() => fitNormalization('minmax', new Float64Array(0), [1])).toThrow(/cannot fit minmax statistics on no samples/);
    const norm = fitNormalization('standard', Float64Array.of(0, 1e-30), [1]);
    expect(() => applyNormalization(norm, Float64Array.of(1e300))).toThrow(/outside the float32 range/);
    // A training spread of one subnormal step: any test value a little off maps past float32.
    const tiny = fitNormalization('minmax', Float64Array.of(0, -(2 ** -149)), [1]);
    expect(() => applyNormalization(tiny, Float64Array.of(-1e-6))).toThrow(/normalise \(minmax\): value -0.000001 at flat index 0 maps to .*, outside the float32 range/);
  });
});

describe('the model-file record round-trips exactly', () => {
  const stat = fc.float({ noNaN: true, noDefaultInfinity: true });
  const labelsArb = fc.option(fc.uniqueArray(fc.string({ unit: 'binary', maxLength: 12 }), { maxLength: 6 }), { nil: undefined });
  const normArb: fc.Arbitrary<Normalization> = fc.tuple(fc.constantFrom(...NORMALIZATION_KINDS), shapeArb, labelsArb, fc.double({ min: 1e-300, max: 1e300, noNaN: true })).chain(([kind, shape, labels, scale]) => {
    const size = sizeOf(shape);
    const vec = fc.array(stat, { minLength: size, maxLength: size });
    const base = { kind, sampleShape: shape, ...(labels ? { labels } : {}) };
    if (kind === 'minmax') {
      return fc.tuple(vec, vec).map(([a, b]) => ({ ...base, min: Float32Array.from(a, (v, i) => Math.min(v, b[i]!)), max: Float32Array.from(a, (v, i) => Math.max(v, b[i]!)) }));
    }
    if (kind === 'standard') {
      return fc.tuple(vec, fc.array(fc.float({ min: Math.fround(1e-45), max: Math.fround(3e38), noNaN: true }), { minLength: size, maxLength: size })).map(([m, s]) => ({ ...base, mean: Float32Array.from(m), std: Float32Array.from(s) }));
    }
    return fc.constant(kind === 'scale' ? { ...base, scale } : base);
  });
  const bits = (a: Float32Array | undefined) => (a ? Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length)) : undefined);

  it('parsePreprocessing(preprocessingMetadata(n), preprocessingTensors(n)) = n, bit for bit, directly and through a safetensors file', () => {
    fc.assert(
      fc.property(normArb, (norm) => {
        const entries = preprocessingTensors(norm);
        const direct = new Map(entries.map((t) => [t.name, { dtype: t.dtype, shape: [...t.shape], data: t.data }] as const));
        const file = decodeSafetensors(encodeSafetensors(entries, { preprocessing: preprocessingMetadata(norm) }), 'm.safetensors');
        for (const tensors of [direct, file.tensors]) {
          const back = parsePreprocessing(file.metadata['preprocessing']!, tensors as never, norm.sampleShape, 'm.safetensors');
          expect(Object.keys(back).sort()).toEqual(Object.keys(norm).sort());
          expect(back.kind).toBe(norm.kind);
          expect(back.sampleShape).toEqual(norm.sampleShape);
          expect(back.labels).toEqual(norm.labels);
          if (norm.scale !== undefined) expect(Object.is(back.scale, norm.scale)).toBe(true);
          for (const key of ['min', 'max', 'mean', 'std'] as const) expect(bits(back[key])).toEqual(bits(norm[key]));
        }
      }),
      { numRuns: 300, seed: 24 },
    );
  });

  it('a fitted normalisation round-trips and transforms identically after the trip', () => {
    const data = Float64Array.from({ length: 40 }, (_, i) => Math.sin(i) * 1e3 + (i % 4));
    for (const kind of NORMALIZATION_KINDS.filter((k) => k !== 'scale')) {
      const norm = fitNormalization(kind, data, [4], { labels: ['a', 'b'] });
      const file = decodeSafetensors(encodeSafetensors(preprocessingTensors(norm), { preprocessing: preprocessingMetadata(norm) }));
      const back = parsePreprocessing(file.metadata['preprocessing']!, file.tensors, [4], 'm');
      expect(applyNormalization(back, data)).toEqual(applyNormalization(norm, data));
    }
  });

  it('a record that does not fit the input shape, or a zero std, is a FormatError', () => {
    const norm = fitNormalization('standard', Float64Array.of(1, 2, 3, 5), [2]);
    const tensors = new Map(preprocessingTensors(norm).map((t) => [t.name, { dtype: t.dtype, shape: [...t.shape], data: t.data }] as const));
    expect(() => parsePreprocessing(preprocessingMetadata(norm), tensors as never, [3], 'm')).toThrow(new FormatError('m: tensor "preprocessing.mean" has shape [2], the input shape is [3]'));
    tensors.get('preprocessing.std')!.data[1] = 0;
    expect(() => parsePreprocessing(preprocessingMetadata(norm), tensors as never, [2], 'm')).toThrow(/holds 0 at index 1; a std must be positive/);
  });
});

describe('minmax keeps every training value inside [0, 1]', () => {
  it('stores min rounded down and max rounded up to float32, so no training value maps below 0 or above 1', () => {
    // 0.1 and 0.7 round up and down to float32: stored to nearest, 0.1 would map to -1.2e-8.
    const data = Float64Array.of(0.1, 0.7, 0.3);
    const norm = fitNormalization('minmax', data, [1]);
    expect(norm.min![0]!).toBeLessThanOrEqual(0.1);
    expect(norm.max![0]!).toBeGreaterThanOrEqual(0.7);
    expect(norm.min![0]).toBe(Math.fround(0.1) > 0.1 ? Math.fround(0.1) - 2 ** -27 : Math.fround(0.1));
    const y = applyNormalization(norm, data);
    expect(Math.min(...y)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...y)).toBeLessThanOrEqual(1);
  });

  it('holds for any finite float64 training data (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e30, max: 1e30 }), { minLength: 1, maxLength: 40 }), (values) => {
        const data = Float64Array.from(values);
        const norm = fitNormalization('minmax', data, [1]);
        if (Math.min(...values) < Math.max(...values)) {
          // (A constant feature keeps min = max rounded to nearest: the divisor-1 rule.)
          expect(norm.min![0]!).toBeLessThanOrEqual(Math.min(...values));
          expect(norm.max![0]!).toBeGreaterThanOrEqual(Math.max(...values));
        }
        const constant = Math.min(...values) === Math.max(...values);
        for (const v of applyNormalization(norm, data)) {
          expect(v).toBeGreaterThanOrEqual(0);
          // A constant feature maps to x - min, below one float32 ulp of x: under 1 for |x| < 2^24.
          if (!constant || Math.abs(values[0]!) < 2 ** 24) expect(v).toBeLessThanOrEqual(1);
        }
      }),
      { seed: 20261207, numRuns: 400 },
    );
  });
});

/** `data` cut into chunks of `sizes` samples in turn (the last chunk takes what is left), as SampleChunks. */
function chunked(data: SampleArray, size: number, sizes: number[]): { chunks: (visit: (v: SampleArray, first: number) => void) => void; calls: number[] } {
  const calls: number[] = [];
  const n = data.length / size;
  return {
    calls,
    chunks: (visit) => {
      for (let first = 0, c = 0; first < n; c++) {
        const count = Math.min(n - first, sizes[c % sizes.length]!);
        calls.push(count);
        visit(data.subarray(first * size, (first + count) * size), first);
        first += count;
      }
    },
  };
}

describe('statistics fitted in chunks (data left on disk) are those fitted in memory', () => {
  for (const [kind, dtype] of cases) {
    it(`${kind}, ${dtype}: any chunking gives the same float32 statistics, bit for bit (property)`, () => {
      fc.assert(
        fc.property(dataArb(dtype, kind), fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }), ({ shape, data }, sizes) => {
          const size = sizeOf(shape);
          const whole = fitNormalization(kind, data, shape, { labels: ['a'] });
          const { chunks, calls } = chunked(data, size, sizes);
          const parts = fitNormalizationChunks(kind, data.length / size, chunks, shape, { labels: ['a'] });
          expect(parts).toEqual(whole);
          for (const key of ['min', 'max', 'mean', 'std'] as const) {
            if (whole[key]) expect(Buffer.from(parts[key]!.buffer)).toEqual(Buffer.from(whole[key]!.buffer));
          }
          // minmax reads the data once, standard twice; scale and none not at all.
          const passes = kind === 'standard' ? 2 : kind === 'minmax' ? 1 : 0;
          expect(calls.reduce((a, b) => a + b, 0)).toBe(passes * (data.length / size));
        }),
        { seed: 20261207, numRuns: 150 },
      );
    });
  }

  it('the sums run across chunk boundaries in sample order, not chunk by chunk (a case where float64 order shows in float32)', () => {
    // 1 + 1e16 rounds to 1e16 (the spacing there is 2), so in sample order the sum is 1 and the
    // mean 0.25; per-chunk partial sums ([1] and [1e16, -1e16, 1]) would give 2 and 0.5.
    const data = Float64Array.of(1, 1e16, -1e16, 1);
    expect(fitNormalization('standard', data, [1]).mean![0]).toBe(0.25);
    expect(fitNormalizationChunks('standard', 4, chunked(data, 1, [1, 3]).chunks, [1]).mean![0]).toBe(0.25);
  });

  it('a non-finite value is named by its index in the whole split; a short read is a DataError', () => {
    const data = Float64Array.of(1, 2, 3, 4, 5, Number.POSITIVE_INFINITY);
    expect(() => fitNormalizationChunks('minmax', 3, chunked(data, 2, [1]).chunks, [2])).toThrow(/value Infinity at flat index 5 \(sample 2, feature 1\); data must be finite/);
    expect(() => fitNormalizationChunks('standard', 4, chunked(data.subarray(0, 4), 2, [1]).chunks, [2])).toThrow(/expected 4 samples, read 2/);
  });
});
