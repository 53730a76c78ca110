// A model file records its preprocessing (issue 12): `__metadata__.preprocessing` plus
// the statistics tensors, read back exactly; files without it load as before; every
// inconsistent record is a FormatError naming the field; the model applies and undoes it.
import { describe, expect, it } from 'vitest';
import { applyNormalization, fitNormalization, invertNormalization, type Normalization } from '../../src/data/normalize.js';
import { DataError, FormatError } from '../../src/errors.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { decodeModel, encodeModel } from '../../src/models/model-file.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { expectBitIdentical, jsKernels, uniform } from '../helpers.js';
import { edit, modelFile, trainingRecord } from './model-fixtures.js';

const SHAPE = [6, 5, 2];
const SIZE = 60;
const js = jsKernels();

/** Training data in its own units: 20 samples of SHAPE, one feature constant (std 0). */
function data(): Float64Array {
  const d = Float64Array.from(uniform(20 * SIZE, 3, -40, 90));
  for (let i = 0; i < 20; i++) d[i * SIZE + 7] = 12.5;
  return d;
}

function model(norm: Normalization | null, output: 'sigmoid' | 'linear' = 'linear'): Autoencoder {
  const m = new Autoencoder(js, presetArchitecture('dense', { inputShape: SHAPE, latent: 4, output })).initialize(3);
  m.training = trainingRecord('dense');
  m.preprocessing = norm;
  return m;
}

const KINDS: Normalization[] = [
  fitNormalization('standard', data(), SHAPE, { labels: ['cat', 'dog'] }),
  fitNormalization('minmax', data(), SHAPE),
  { kind: 'scale', scale: 255, sampleShape: SHAPE, labels: ['a'] },
  { kind: 'none', sampleShape: SHAPE },
];

describe('model files with preprocessing', () => {
  it.each(KINDS.map((k) => [k.kind, k] as const))('%s round-trips exactly, statistics as F32 tensors shaped like a sample', (_, norm) => {
    const bytes = encodeModel(model(norm));
    const { tensors, metadata } = decodeSafetensors(bytes);
    const stats = [...tensors.keys()].filter((n) => n.startsWith('preprocessing.')).sort();
    expect(stats).toEqual({ standard: ['preprocessing.mean', 'preprocessing.std'], minmax: ['preprocessing.max', 'preprocessing.min'], scale: [], none: [] }[norm.kind]);
    for (const name of stats) expect([tensors.get(name)!.dtype, tensors.get(name)!.shape]).toEqual(['F32', SHAPE]);
    expect(JSON.parse(metadata['preprocessing']!).kind).toBe(norm.kind);
    const back = decodeModel(bytes, js, 'm.safetensors').model;
    expect(back.preprocessing).toEqual(norm);
    const raw = data();
    expectBitIdentical(back.normalize(raw), applyNormalization(norm, raw));
    const y = back.normalize(raw);
    expectBitIdentical(back.denormalize(y), invertNormalization(norm, y));
  });

  it('the constant feature is stored with std 1, so it normalises to 0 without NaN', () => {
    const back = decodeModel(encodeModel(model(KINDS[0]!)), js, 'm').model;
    expect(back.preprocessing!.std![7]).toBe(1);
    const y = back.normalize(data());
    expect(y[7]).toBe(0);
    expect(y.every(Number.isFinite)).toBe(true);
  });

  it('a file without preprocessing loads as before: none recorded, values passed through', () => {
    const back = decodeModel(modelFile(js, 'dense'), js, 'old.safetensors').model;
    expect(back.preprocessing).toBeNull();
    const x = Float32Array.from(uniform(784, 1, 0, 1));
    expectBitIdentical(back.normalize(x), x);
  });

  it('refuses inconsistent records with a FormatError naming the field or tensor', () => {
    const good = encodeModel(model(KINDS[0]!));
    const cases: [string, Uint8Array, RegExp][] = [
      ['missing statistic', edit(good, (t) => t.delete('preprocessing.std')), /missing tensor "preprocessing\.std" \[6, 5, 2\] for preprocessing kind "standard"/],
      ['statistics without metadata', edit(good, (_t, md) => delete md['preprocessing']), /tensor "preprocessing\.(mean|std)" belongs to no parameter/],
      ['stray statistic', edit(good, (t) => t.set('preprocessing.min', t.get('preprocessing.mean')!)), /tensor "preprocessing\.min" does not belong to preprocessing kind "standard"/],
      ['wrong shape', edit(good, (t) => t.set('preprocessing.mean', { ...t.get('preprocessing.mean')!, shape: [60] })), /"preprocessing\.mean" has shape \[60\], the input shape is \[6, 5, 2\]/],
      ['zero std', edit(good, (t) => t.set('preprocessing.std', { ...t.get('preprocessing.std')!, data: new Float32Array(SIZE) })), /a std must be positive/],
      ['NaN mean', edit(good, (t) => t.set('preprocessing.mean', { ...t.get('preprocessing.mean')!, data: new Float32Array(SIZE).fill(NaN) })), /non-finite value at index 0/],
      ['unknown kind', edit(good, (_t, md) => (md['preprocessing'] = '{"kind":"zscore"}')), /kind must be one of "none", "scale", "minmax", "standard", got "zscore"/],
      ['prototype key', edit(good, (_t, md) => (md['preprocessing'] = '{"kind":"none","__proto__":{"kind":"scale"}}')), /unknown key "__proto__"/],
      ['not JSON', edit(good, (_t, md) => (md['preprocessing'] = '{kind')), /"preprocessing" is not valid JSON/],
      ['scale without a scale', edit(good, (_t, md) => (md['preprocessing'] = '{"kind":"scale"}')), /scale must be a positive finite number/],
      ['repeated label', edit(good, (_t, md) => (md['preprocessing'] = '{"kind":"standard","labels":["a","a"]}')), /labels\[1\] "a" repeats/],
    ];
    for (const [what, bytes, message] of cases) {
      expect(() => decodeModel(bytes, js, 'bad.safetensors'), what).toThrow(FormatError);
      expect(() => decodeModel(bytes, js, 'bad.safetensors'), what).toThrow(message);
    }
  });

  it('will not write preprocessing for another sample shape', () => {
    const m = model({ kind: 'standard', sampleShape: [60], mean: new Float32Array(60), std: new Float32Array(60).fill(1) });
    expect(() => encodeModel(m)).toThrow(/preprocessing is for samples \[60\] but its input is \[6, 5, 2\]/);
  });
});

describe('input range of the inference API', () => {
  const outside = Float32Array.from(uniform(SIZE, 9, -3, 3));

  it('a sigmoid model without preprocessing refuses values outside [0, 1] (unscaled pixels)', () => {
    expect(() => model(null, 'sigmoid').reconstruct(outside)).toThrow(DataError);
    expect(() => model(null, 'sigmoid').encode(outside)).toThrow(/outside \[0, 1\]/);
  });

  it('a model of standardised or min-max data takes any finite value, not NaN', () => {
    for (const m of [model(KINDS[0]!), model(KINDS[1]!, 'sigmoid'), model(null, 'linear')]) {
      expect(m.reconstruct(outside).length).toBe(SIZE);
      expect(m.encode(outside).length).toBe(4);
      const nan = outside.slice();
      nan[3] = NaN;
      expect(() => m.encode(nan)).toThrow(/value NaN at sample 0, element 3 is not finite/);
    }
  });

  it('normalize refuses a partial sample', () => {
    expect(() => model(KINDS[0]!).normalize(new Float32Array(SIZE + 1))).toThrow(/61 values is not a whole number of samples of shape \[6, 5, 2\]/);
  });
});
