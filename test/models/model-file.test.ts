// Model files (DESIGN.md "Model files"): exact round trips for every kind of preset, the
// fixed tensor-name and metadata scheme as any safetensors reader sees it, checkpoints
// with optimizer slots, rejection of every malformed file with a FormatError naming the
// file and the problem, and saving / loading through the file system.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileError, FormatError } from '../../src/errors.js';
import { decodeSafetensors, encodeSafetensors, type DecodedTensor, type TensorEntry } from '../../src/io/safetensors.js';
import { JsKernels } from '../../src/kernels/js.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { decodeModel, encodeModel, MODEL_FORMAT } from '../../src/models/model-file.js';
import { loadModel, saveModel } from '../../src/models/node.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { Adam, SGD } from '../../src/train/optimizers.js';
import { train } from '../../src/train/trainer.js';
import { expectBitIdentical, normal, wasmKernels } from '../helpers.js';
import { smallSplits } from '../train/fixtures.js';
import { edit, trainingRecord as record } from './model-fixtures.js';

const SOURCE = 'runs/test/model.safetensors';

/**
 * A model of `preset` with glorot kernels and non-zero biases (zeros would round trip
 * trivially); the first bias holds -0 and a float32 subnormal so "bit for bit" is tested
 * beyond value equality.
 */
function buildModel(kernels: Kernels, preset: string, latent?: number, seed = 11): Autoencoder {
  const model = new Autoencoder(kernels, presetArchitecture(preset, latent)).initialize(seed);
  let first = true;
  for (const [i, p] of model.params.list.entries()) {
    if (!p.name.endsWith('.bias')) continue;
    const values = Float32Array.from(normal(p.size, 1000 + i, 0.05));
    if (first && values.length >= 2) {
      values[0] = -0;
      values[1] = 1e-40;
      first = false;
    }
    model.params.write(p, values);
  }
  model.training = record(preset);
  return model;
}

function paramsByName(model: Autoencoder): Map<string, Float32Array> {
  return new Map(model.params.list.map((p) => [p.name, model.params.read(p)]));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

let testImages: Float32Array;
beforeAll(async () => {
  const splits = await smallSplits(64, 8);
  testImages = splits.test.images.slice(0, 5 * 784);
});

describe('model file round trip', () => {
  it.each([
    ['dense', undefined],
    ['conv', undefined],
    ['deep-conv', undefined],
    ['vae', 3],
  ] as const)('preset %s: parameters bit for bit, metadata, reconstructions and re-encoded bytes', async (preset, latent) => {
    const kernels = await wasmKernels();
    const model = buildModel(kernels, preset, latent);
    const bytes = encodeModel(model);

    const k2 = await wasmKernels();
    expect(k2).not.toBe(kernels);
    const decoded = decodeModel(bytes, k2, SOURCE);
    expect(decoded.model.kernels).toBe(k2);
    expect(decoded.optimizerSlots).toEqual([]);
    expect(decoded.model.kind).toBe(preset === 'vae' ? 'vae' : 'autoencoder');
    expect(decoded.model.architecture).toEqual(model.architecture);
    expect(decoded.training).toEqual(model.training);
    expect(decoded.model.training).toEqual(model.training);
    expect(decoded.model.codeShape).toEqual(model.codeShape);

    const before = paramsByName(model);
    const after = paramsByName(decoded.model);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [name, values] of before) expectBitIdentical(after.get(name)!, values, name);

    // Same backend kind, same weights: the same reconstructions, bit for bit.
    expectBitIdentical(decoded.model.reconstruct(testImages), model.reconstruct(testImages), `${preset} reconstruct`);
    expectBitIdentical(decoded.model.encode(testImages), model.encode(testImages), `${preset} encode`);

    // Decode -> encode reproduces the file byte for byte.
    expect(sameBytes(encodeModel(decoded.model), bytes)).toBe(true);

    // The bytes are backend-independent: the JS baseline reads the same parameters.
    const onJs = decodeModel(bytes, new JsKernels(), SOURCE).model;
    for (const [name, values] of before) expectBitIdentical(paramsByName(onJs).get(name)!, values, `js ${name}`);
    expect(sameBytes(encodeModel(onJs), bytes)).toBe(true);
  });

  it('different weights give different files and a changed weight changes the decoded value', async () => {
    const kernels = await wasmKernels();
    const a = encodeModel(buildModel(kernels, 'dense', undefined, 1));
    const b = encodeModel(buildModel(kernels, 'dense', undefined, 2));
    expect(a.length).toBe(b.length);
    expect(sameBytes(a, b)).toBe(false);
    const m = decodeModel(b, kernels, SOURCE).model;
    const ref = buildModel(kernels, 'dense', undefined, 1);
    expect(paramsByName(m).get('encoder.1.kernel')![0]).not.toBe(paramsByName(ref).get('encoder.1.kernel')![0]);
  });

  it('encodeModel refuses a model without a training record', async () => {
    const kernels = await wasmKernels();
    const model = buildModel(kernels, 'dense');
    model.training = null;
    expect(() => encodeModel(model)).toThrow(FormatError);
    expect(() => encodeModel(model)).toThrow(/training record/);
    // An explicit record is used instead of the model's.
    const r = record('dense', { seed: 99 });
    expect(decodeModel(encodeModel(model, r), kernels, SOURCE).training).toEqual(r);
  });
});

// ---------------------------------------------------------------- the scheme, read generically

const DENSE_CONFIG = (units: number, activation: string) => ({ class_name: 'Dense', config: expect.objectContaining({ units, activation }) });

describe('the file scheme as any safetensors reader sees it', () => {
  const shapesOf = (tensors: Map<string, DecodedTensor>) => Object.fromEntries([...tensors].map(([n, t]) => [n, t.shape]));

  it('dense: tensor names, shapes, dtype, values and metadata keys', async () => {
    const kernels = await wasmKernels();
    const model = buildModel(kernels, 'dense');
    const { tensors, metadata } = decodeSafetensors(encodeModel(model), SOURCE);
    expect(shapesOf(tensors)).toEqual({
      'encoder.1.kernel': [784, 64],
      'encoder.1.bias': [64],
      'decoder.0.kernel': [64, 784],
      'decoder.0.bias': [784],
    });
    const params = paramsByName(model);
    for (const [name, t] of tensors) {
      expect(t.dtype, name).toBe('F32');
      expectBitIdentical(t.data as Float32Array, params.get(name)!, name);
    }
    expect(Object.keys(metadata).sort()).toEqual(['architecture', 'format', 'training']);
    expect(metadata['format']).toBe('ae-wasm/1');
    expect(MODEL_FORMAT).toBe('ae-wasm/1');
    const arch = JSON.parse(metadata['architecture']!);
    expect(arch.kind).toBe('autoencoder');
    expect(arch.input_shape).toEqual([28, 28, 1]);
    expect(Object.keys(arch.parts).sort()).toEqual(['decoder', 'encoder']);
    expect(arch.parts.encoder).toEqual([{ class_name: 'Flatten', config: expect.any(Object) }, DENSE_CONFIG(64, 'relu')]);
    expect(arch.parts.decoder).toEqual([
      DENSE_CONFIG(784, 'sigmoid'),
      { class_name: 'Reshape', config: expect.objectContaining({ target_shape: [28, 28, 1] }) },
    ]);
    expect(JSON.parse(metadata['training']!)).toEqual(record('dense'));
  });

  it('dense: the tensors are in Keras layout (a hand-written forward pass from the file reproduces reconstruct)', async () => {
    const kernels = await wasmKernels();
    const model = buildModel(kernels, 'dense');
    const { tensors } = decodeSafetensors(encodeModel(model), SOURCE);
    const K1 = tensors.get('encoder.1.kernel')!.data as Float32Array; // [784, 64]
    const b1 = tensors.get('encoder.1.bias')!.data as Float32Array;
    const K2 = tensors.get('decoder.0.kernel')!.data as Float32Array; // [64, 784]
    const b2 = tensors.get('decoder.0.bias')!.data as Float32Array;
    const x = testImages.subarray(0, 2 * 784);
    const expected = new Float64Array(2 * 784);
    for (let s = 0; s < 2; s++) {
      const h = new Float64Array(64);
      for (let j = 0; j < 64; j++) {
        let acc = b1[j]!;
        for (let i = 0; i < 784; i++) acc += x[s * 784 + i]! * K1[i * 64 + j]!;
        h[j] = Math.max(0, acc);
      }
      for (let j = 0; j < 784; j++) {
        let acc = b2[j]!;
        for (let i = 0; i < 64; i++) acc += h[i]! * K2[i * 784 + j]!;
        expected[s * 784 + j] = 1 / (1 + Math.exp(-acc));
      }
    }
    const got = model.reconstruct(x);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!));
    expect(worst).toBeLessThan(1e-5);
  });

  it('conv and deep-conv: Conv2D [kh, kw, in, out] and Conv2DTranspose [kh, kw, out, in], indexed over every layer', async () => {
    const kernels = await wasmKernels();
    const conv = decodeSafetensors(encodeModel(buildModel(kernels, 'conv')), SOURCE);
    expect(shapesOf(conv.tensors)).toEqual({
      'encoder.0.kernel': [3, 3, 1, 16],
      'encoder.0.bias': [16],
      'encoder.1.kernel': [3, 3, 16, 8],
      'encoder.1.bias': [8],
      'decoder.0.kernel': [3, 3, 8, 8],
      'decoder.0.bias': [8],
      'decoder.1.kernel': [3, 3, 16, 8],
      'decoder.1.bias': [16],
      'decoder.2.kernel': [3, 3, 16, 1],
      'decoder.2.bias': [1],
    });
    const arch = JSON.parse(conv.metadata['architecture']!);
    expect(arch.parts.encoder[0]).toEqual({
      class_name: 'Conv2D',
      config: expect.objectContaining({ filters: 16, kernel_size: [3, 3], strides: [2, 2], padding: 'same', activation: 'relu' }),
    });
    expect(arch.parts.decoder.map((l: { class_name: string }) => l.class_name)).toEqual(['Conv2DTranspose', 'Conv2DTranspose', 'Conv2D']);
    expect(arch.parts.decoder[1].config).toEqual(expect.objectContaining({ filters: 16, strides: [2, 2], padding: 'same' }));

    const deep = decodeSafetensors(encodeModel(buildModel(kernels, 'deep-conv')), SOURCE);
    expect(shapesOf(deep.tensors)).toEqual({
      'encoder.0.kernel': [3, 3, 1, 16],
      'encoder.0.bias': [16],
      'encoder.2.kernel': [3, 3, 16, 8],
      'encoder.2.bias': [8],
      'encoder.4.kernel': [3, 3, 8, 8],
      'encoder.4.bias': [8],
      'decoder.0.kernel': [3, 3, 8, 8],
      'decoder.0.bias': [8],
      'decoder.2.kernel': [3, 3, 8, 8],
      'decoder.2.bias': [8],
      'decoder.4.kernel': [3, 3, 8, 16],
      'decoder.4.bias': [16],
      'decoder.6.kernel': [3, 3, 16, 1],
      'decoder.6.bias': [1],
    });
    const parts = JSON.parse(deep.metadata['architecture']!).parts;
    expect(parts.encoder.map((l: { class_name: string }) => l.class_name)).toEqual([
      'Conv2D', 'MaxPooling2D', 'Conv2D', 'MaxPooling2D', 'Conv2D', 'MaxPooling2D',
    ]);
    expect(parts.encoder[1].config).toEqual(expect.objectContaining({ pool_size: [2, 2], padding: 'same' }));
    expect(parts.decoder[1]).toEqual({ class_name: 'UpSampling2D', config: expect.objectContaining({ size: [2, 2] }) });
    expect(parts.decoder[4].config).toEqual(expect.objectContaining({ filters: 16, padding: 'valid' }));
  });

  it('vae: encoder, z_mean, z_log_var and decoder parts with kind "vae"', async () => {
    const kernels = await wasmKernels();
    const { tensors, metadata } = decodeSafetensors(encodeModel(buildModel(kernels, 'vae', 3)), SOURCE);
    expect(shapesOf(tensors)).toEqual({
      'encoder.1.kernel': [784, 512],
      'encoder.1.bias': [512],
      'z_mean.0.kernel': [512, 3],
      'z_mean.0.bias': [3],
      'z_log_var.0.kernel': [512, 3],
      'z_log_var.0.bias': [3],
      'decoder.0.kernel': [3, 512],
      'decoder.0.bias': [512],
      'decoder.1.kernel': [512, 784],
      'decoder.1.bias': [784],
    });
    const arch = JSON.parse(metadata['architecture']!);
    expect(arch.kind).toBe('vae');
    expect(Object.keys(arch.parts).sort()).toEqual(['decoder', 'encoder', 'z_log_var', 'z_mean']);
    expect(arch.parts.z_mean).toEqual([DENSE_CONFIG(3, 'linear')]);
    expect(arch.parts.z_log_var).toEqual([DENSE_CONFIG(3, 'linear')]);
    expect(JSON.parse(metadata['training']!).loss).toBe('bce');
  });

  it('the header is padded with spaces so the data section starts 8-aligned', async () => {
    const kernels = await wasmKernels();
    const bytes = encodeModel(buildModel(kernels, 'dense'));
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(header.trimEnd().endsWith('}')).toBe(true);
    expect(/^[ ]*$/.test(header.slice(header.trimEnd().length))).toBe(true);
    expect(bytes.length).toBe(8 + n + 4 * (784 * 64 + 64 + 64 * 784 + 784));
  });
});

// ---------------------------------------------------------------- checkpoints

describe('checkpoints carry the optimizer state', () => {
  async function trainedTwoSteps(optimizer: Adam | SGD) {
    const splits = await smallSplits(64, 8);
    const kernels = await wasmKernels();
    const model = buildModel(kernels, 'dense');
    const history = await train(model, splits, { epochs: 1, batchSize: 32, optimizer, seed: 3, evaluateTest: false });
    expect(history.epochs.length).toBe(1);
    expect(optimizer.iterations).toBe(2);
    const r = record('dense', {
      optimizer: optimizer.config(),
      checkpoint: { epoch: 1, step: 2, rng: { shuffle: { key: 123, counter: 64 }, noise: { key: 456, counter: 0 } } },
    });
    return { model, k: kernels, r };
  }

  const slotValues = (model: Autoencoder, slot: string) =>
    new Map(model.params.list.map((p) => [p.name, model.kernels.heap.read(p.slots.get(slot)!, p.size)]));

  it('Adam: optimizer.{name}.m and .v tensors, shaped like their parameters, round trip bit for bit', async () => {
    const { model, r } = await trainedTwoSteps(new Adam());
    const bytes = encodeModel(model, r, { optimizerState: true });

    const { tensors } = decodeSafetensors(bytes, SOURCE);
    const names = model.params.list.map((p) => p.name);
    expect([...tensors.keys()].sort()).toEqual(
      [...names, ...names.map((n) => `optimizer.${n}.m`), ...names.map((n) => `optimizer.${n}.v`)].sort(),
    );
    const m = slotValues(model, 'm');
    const v = slotValues(model, 'v');
    for (const p of model.params.list) {
      for (const [slot, values] of [['m', m], ['v', v]] as const) {
        const t = tensors.get(`optimizer.${p.name}.${slot}`)!;
        expect(t.dtype).toBe('F32');
        expect(t.shape).toEqual(p.shape);
        expectBitIdentical(t.data as Float32Array, values.get(p.name)!, `${p.name}.${slot}`);
      }
    }
    // After two steps the moments are not all zero (a zero slot would round trip trivially).
    expect(m.get('encoder.1.kernel')!.some((x) => x !== 0)).toBe(true);
    expect(v.get('decoder.0.bias')!.some((x) => x > 0)).toBe(true);

    const k2 = await wasmKernels();
    const decoded = decodeModel(bytes, k2, SOURCE);
    expect(decoded.optimizerSlots).toEqual(['m', 'v']);
    expect(decoded.training).toEqual(r);
    const m2 = slotValues(decoded.model, 'm');
    const v2 = slotValues(decoded.model, 'v');
    for (const name of names) {
      expectBitIdentical(m2.get(name)!, m.get(name)!, `decoded ${name}.m`);
      expectBitIdentical(v2.get(name)!, v.get(name)!, `decoded ${name}.v`);
    }
    expect(sameBytes(encodeModel(decoded.model, decoded.training, { optimizerState: true }), bytes)).toBe(true);

    // A plain model file from the same model has no optimizer tensors.
    const plain = decodeSafetensors(encodeModel(model, r), SOURCE);
    expect([...plain.tensors.keys()].some((n) => n.startsWith('optimizer.'))).toBe(false);
  });

  it('SGD with momentum: optimizer.{name}.velocity', async () => {
    const { model, r } = await trainedTwoSteps(new SGD({ momentum: 0.9 }));
    const bytes = encodeModel(model, r, { optimizerState: true });
    const { tensors } = decodeSafetensors(bytes, SOURCE);
    const slotNames = [...tensors.keys()].filter((n) => n.startsWith('optimizer.')).sort();
    expect(slotNames).toEqual(model.params.list.map((p) => `optimizer.${p.name}.velocity`).sort());
    const decoded = decodeModel(bytes, await wasmKernels(), SOURCE);
    expect(decoded.optimizerSlots).toEqual(['velocity']);
    const vel = slotValues(model, 'velocity');
    const vel2 = slotValues(decoded.model, 'velocity');
    expect(vel.get('encoder.1.kernel')!.some((x) => x !== 0)).toBe(true);
    for (const [name, values] of vel) expectBitIdentical(vel2.get(name)!, values, `${name}.velocity`);
  });

  it('rejects a checkpoint missing one slot tensor or with a mis-shaped slot', async () => {
    const { model, r, k: kernels } = await trainedTwoSteps(new Adam());
    const good = encodeModel(model, r, { optimizerState: true });
    expectRejected(kernels, edit(good, (t) => t.delete('optimizer.decoder.0.bias.v')), /optimizer\.decoder\.0\.bias\.v/);
    expectRejected(
      kernels,
      edit(good, (t) => {
        const e = t.get('optimizer.encoder.1.kernel.m')!;
        t.set('optimizer.encoder.1.kernel.m', { ...e, shape: [64, 784] });
      }),
      /"optimizer\.encoder\.1\.kernel\.m" has shape \[64, 784\].*\[784, 64\]/,
    );
    expectRejected(kernels, edit(good, (t) => t.set('optimizer.encoder.7.kernel.m', t.get('optimizer.encoder.1.bias.m')!)), /"optimizer\.encoder\.7\.kernel\.m"/);
  });
});

// ---------------------------------------------------------------- rejection

function expectRejected(kernels: Kernels, bytes: Uint8Array, problem: RegExp): FormatError {
  let caught: unknown;
  try {
    decodeModel(bytes, kernels, SOURCE);
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected a FormatError matching ${problem}`).toBeInstanceOf(FormatError);
  const message = (caught as Error).message;
  expect(message.startsWith(`${SOURCE}: `), message).toBe(true);
  expect(message).toMatch(problem);
  expect(message).not.toMatch(/\n/);
  return caught as FormatError;
}

describe('decodeModel rejects a malformed model file with a FormatError naming the file and the problem', () => {
  let kernels: Kernels;
  let good: Uint8Array;
  beforeAll(async () => {
    kernels = await wasmKernels();
    good = encodeModel(buildModel(kernels, 'dense'));
    // The unedited file is accepted, so every rejection below is caused by its edit.
    expect(decodeModel(good, kernels, SOURCE).model.params.count).toBe(101_200);
    expect(decodeModel(edit(good, () => {}), kernels, SOURCE).model.params.count).toBe(101_200);
  });

  it('truncated file (inside the data, inside the header, before the header length)', () => {
    expectRejected(kernels, good.subarray(0, good.length - 100), /past the data section|truncated/);
    expectRejected(kernels, good.subarray(0, 40), /runs past the end of the file.*truncated/);
    expectRejected(kernels, good.subarray(0, 5), /5 bytes is too short/);
    expectRejected(kernels, new Uint8Array(0), /0 bytes is too short/);
  });

  it('bytes that are not safetensors', () => {
    expectRejected(kernels, new TextEncoder().encode('this is a text file and certainly not a model, sorry'), /not a safetensors file/);
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82]);
    expectRejected(kernels, png, /safetensors|header/);
    const zeroLength = new Uint8Array(16);
    expectRejected(kernels, zeroLength, /header length is 0/);
  });

  it('a valid safetensors file without our metadata', () => {
    const noMetadata = edit(good, (_t, md) => {
      for (const key of Object.keys(md)) delete md[key];
    });
    expect(decodeSafetensors(noMetadata).metadata).toEqual({});
    expectRejected(kernels, noMetadata, /format.*"ae-wasm\/1"/);
    const other = encodeSafetensors([{ name: 'weight', dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) }], { format: 'pt' });
    expectRejected(kernels, other, /format is "pt", expected "ae-wasm\/1"/);
  });

  it('wrong format string', () => {
    expectRejected(kernels, edit(good, (_t, md) => (md['format'] = 'ae-wasm/2')), /format is "ae-wasm\/2", expected "ae-wasm\/1"/);
    expectRejected(kernels, edit(good, (_t, md) => (md['format'] = 'AE-WASM/1')), /"AE-WASM\/1"/);
  });

  it('architecture missing, not JSON, or structurally wrong', () => {
    expectRejected(kernels, edit(good, (_t, md) => delete md['architecture']), /missing __metadata__ key "architecture"/);
    expectRejected(kernels, edit(good, (_t, md) => (md['architecture'] = '{"kind": "autoencoder", ')), /"architecture" is not valid JSON/);
    const arch = JSON.parse(decodeSafetensors(good).metadata['architecture']!);
    const withArch = (a: unknown) => edit(good, (_t, md) => (md['architecture'] = JSON.stringify(a)));
    expectRejected(kernels, withArch([1, 2]), /architecture must be a JSON object/);
    expectRejected(kernels, withArch({ ...arch, kind: 'gan' }), /kind must be "autoencoder" or "vae", got "gan"/);
    expectRejected(kernels, withArch({ ...arch, input_shape: [28, -28, 1] }), /input_shape/);
    expectRejected(kernels, withArch({ ...arch, parts: { encoder: arch.parts.encoder } }), /part decoder/);
  });

  it('architecture with an unknown layer class', () => {
    const arch = JSON.parse(decodeSafetensors(good).metadata['architecture']!);
    arch.parts.encoder[1] = { class_name: 'LSTM', config: { units: 64 } };
    const err = expectRejected(kernels, edit(good, (_t, md) => (md['architecture'] = JSON.stringify(arch))), /architecture/);
    expect(err.message).toContain('"LSTM"');
    expect(err.message).toMatch(/unknown layer class/);
    // Where: the part and the layer index.
    expect(err.message).toMatch(/encoder layer 1\b/);
  });

  it('architecture with an invalid layer config', () => {
    const arch = JSON.parse(decodeSafetensors(good).metadata['architecture']!);
    arch.parts.encoder[1].config.activation = 'swishy';
    expectRejected(kernels, edit(good, (_t, md) => (md['architecture'] = JSON.stringify(arch))), /encoder layer 1 \(Dense\).*"swishy"/);
    const reshape = JSON.parse(decodeSafetensors(good).metadata['architecture']!);
    reshape.parts.decoder[1].config.target_shape = [28, 28, 2];
    expectRejected(kernels, edit(good, (_t, md) => (md['architecture'] = JSON.stringify(reshape))), /decoder layer 1 \(Reshape\).*\[28, 28, 2\]/);
  });

  it('architecture whose layers disagree with the tensors (latent 32 in the architecture, 64 in the file)', () => {
    const arch = JSON.parse(decodeSafetensors(good).metadata['architecture']!);
    arch.parts.encoder[1].config.units = 32;
    expectRejected(kernels, edit(good, (_t, md) => (md['architecture'] = JSON.stringify(arch))), /"encoder\.1\.kernel" has shape \[784, 64\].*needs \[784, 32\]/);
  });

  it('a tensor with the wrong shape (same element count, transposed)', () => {
    const bad = edit(good, (t) => {
      const e = t.get('encoder.1.kernel')!;
      t.set('encoder.1.kernel', { ...e, shape: [64, 784] });
    });
    expectRejected(kernels, bad, /tensor "encoder\.1\.kernel" has shape \[64, 784\], the architecture needs \[784, 64\]/);
    const bias = edit(good, (t) => {
      t.set('decoder.0.bias', { dtype: 'F32', shape: [783], data: new Float32Array(783) });
    });
    expectRejected(kernels, bias, /"decoder\.0\.bias" has shape \[783\].*\[784\]/);
  });

  it('a missing tensor', () => {
    expectRejected(kernels, edit(good, (t) => t.delete('decoder.0.bias')), /missing tensor "decoder\.0\.bias" \[784\]/);
    expectRejected(kernels, edit(good, (t) => t.delete('encoder.1.kernel')), /missing tensor "encoder\.1\.kernel" \[784, 64\]/);
  });

  it('an extra unknown tensor', () => {
    const extra = (name: string) => edit(good, (t) => t.set(name, { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) }));
    expectRejected(kernels, extra('encoder.0.kernel'), /tensor "encoder\.0\.kernel" belongs to no parameter/);
    expectRejected(kernels, extra('decoder.0.gamma'), /"decoder\.0\.gamma" belongs to no parameter/);
    expectRejected(kernels, extra('optimizer.encoder.9.kernel.m'), /"optimizer\.encoder\.9\.kernel\.m" belongs to no parameter/);
  });

  it('F64 (or another dtype) instead of F32', () => {
    const f64 = edit(good, (t) => {
      const e = t.get('encoder.1.bias')!;
      t.set('encoder.1.bias', { dtype: 'F64', shape: e.shape, data: Float64Array.from(e.data as Float32Array) });
    });
    expectRejected(kernels, f64, /tensor "encoder\.1\.bias" has dtype F64, expected F32/);
    const i32 = edit(good, (t) => t.set('decoder.0.bias', { dtype: 'I32', shape: [784], data: new Int32Array(784) }));
    expectRejected(kernels, i32, /"decoder\.0\.bias" has dtype I32, expected F32/);
  });

  it('a NaN or infinite weight', () => {
    const withValue = (name: string, index: number, value: number) =>
      edit(good, (t) => {
        const e = t.get(name)!;
        const data = Float32Array.from(e.data as Float32Array);
        data[index] = value;
        t.set(name, { ...e, data });
      });
    expectRejected(kernels, withValue('encoder.1.kernel', 1234, NaN), /tensor "encoder\.1\.kernel" holds a non-finite value at index 1234/);
    expectRejected(kernels, withValue('decoder.0.bias', 783, Infinity), /"decoder\.0\.bias" holds a non-finite value at index 783/);
    expectRejected(kernels, withValue('decoder.0.kernel', 0, -Infinity), /"decoder\.0\.kernel" holds a non-finite value at index 0/);
  });

  it('a missing or malformed training record', () => {
    const withTraining = (text: string | undefined) =>
      edit(good, (_t, md) => {
        if (text === undefined) delete md['training'];
        else md['training'] = text;
      });
    const base = record('dense');
    expectRejected(kernels, withTraining(undefined), /missing __metadata__ key "training"/);
    expectRejected(kernels, withTraining('{"loss": "mse",'), /"training" is not valid JSON/);
    expectRejected(kernels, withTraining('[]'), /training record must be a JSON object/);
    expectRejected(kernels, withTraining('null'), /training record must be a JSON object/);
    expectRejected(kernels, withTraining(JSON.stringify({ ...base, loss: 'hinge' })), /training record loss must be "mse" or "bce", got "hinge"/);
    expectRejected(kernels, withTraining(JSON.stringify({ ...base, seed: -1 })), /training record seed must be a non-negative number, got -1/);
    expectRejected(kernels, withTraining(JSON.stringify({ ...base, noise: '0.2' })), /training record noise/);
    const { beta: _beta, ...noBeta } = base;
    expectRejected(kernels, withTraining(JSON.stringify(noBeta)), /training record beta/);
    expectRejected(kernels, withTraining(JSON.stringify({ ...base, optimizer: null })), /training record optimizer must be an object/);
    expectRejected(
      kernels,
      withTraining(JSON.stringify({ ...base, checkpoint: { epoch: 1, step: 2.5, rng: { shuffle: { key: 1, counter: 0 }, noise: { key: 2, counter: 0 } } } })),
      /training record checkpoint/,
    );
    expectRejected(kernels, withTraining(JSON.stringify({ ...base, checkpoint: { epoch: 1, step: 2 } })), /training record checkpoint/);
  });
});

// ---------------------------------------------------------------- the file system

describe('saveModel / loadModel', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ae-wasm-model-file-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads from a path, a file: URL (object and string), a Uint8Array and an ArrayBuffer', async () => {
    const kernels = await wasmKernels();
    const model = buildModel(kernels, 'dense');
    const file = join(dir, 'nested', 'dense.safetensors');
    await saveModel(model, file);
    const onDisk = new Uint8Array(await readFile(file));
    expect(sameBytes(onDisk, encodeModel(model))).toBe(true);

    const expected = paramsByName(model);
    const u8 = onDisk.slice();
    const sources = [file, pathToFileURL(file), pathToFileURL(file).href, u8, u8.buffer.slice(0)] as const;
    for (const source of sources) {
      const loaded = await loadModel(source, { kernels: await wasmKernels() });
      const label = typeof source === 'string' ? source : source.constructor.name;
      expect(loaded.training, label).toEqual(model.training);
      for (const [name, values] of expected) expectBitIdentical(paramsByName(loaded).get(name)!, values, `${label} ${name}`);
    }
    // Without a backend given, loadModel makes its own (WASM by default).
    const own = await loadModel(file);
    expect(own.kernels.backend).toBe('wasm');
    expectBitIdentical(own.reconstruct(testImages), model.reconstruct(testImages), 'own backend reconstruct');
  });

  it('saves a checkpoint with the optimizer state', async () => {
    const kernels = await wasmKernels();
    const model = buildModel(kernels, 'dense');
    model.params.ensureTraining(['m', 'v']);
    const file = join(dir, 'ckpt.safetensors');
    await saveModel(model, file, { optimizerState: true });
    const { tensors } = decodeSafetensors(new Uint8Array(await readFile(file)));
    expect(tensors.has('optimizer.encoder.1.kernel.m')).toBe(true);
    expect(tensors.has('optimizer.decoder.0.bias.v')).toBe(true);
  });

  it('a missing path is a FileError naming the path', async () => {
    const missing = join(dir, 'no-such-model.safetensors');
    const err = await loadModel(missing, { kernels: new JsKernels() }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FileError);
    expect((err as FileError).path).toBe(missing);
    expect((err as Error).message).toContain(missing);
    expect((err as Error).message).toMatch(/no such file/);
    const viaUrl = await loadModel(pathToFileURL(missing), { kernels: new JsKernels() }).catch((e: unknown) => e);
    expect(viaUrl).toBeInstanceOf(FileError);
    expect((viaUrl as Error).message).toContain(missing);
  });

  it('a corrupt file on disk is a FormatError naming its path', async () => {
    const kernels = await wasmKernels();
    const file = join(dir, 'truncated.safetensors');
    const bytes = encodeModel(buildModel(kernels, 'dense'));
    await writeFile(file, bytes.subarray(0, 1000));
    const err = await loadModel(file, { kernels: kernels }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as Error).message.startsWith(`${file}: `)).toBe(true);
  });

  it('saving a model whose encoding fails leaves the existing file intact (and no temp file)', async () => {
    const kernels = await wasmKernels();
    const file = join(dir, 'keep', 'model.safetensors');
    const good = buildModel(kernels, 'dense', undefined, 5);
    await saveModel(good, file);
    const before = new Uint8Array(await readFile(file));

    const bad = buildModel(kernels, 'dense', undefined, 6);
    bad.training = null;
    await expect(saveModel(bad, file)).rejects.toThrow(FormatError);
    const after = new Uint8Array(await readFile(file));
    expect(sameBytes(after, before)).toBe(true);
    expect(await readdir(join(dir, 'keep'))).toEqual(['model.safetensors']);
    const reloaded = await loadModel(file, { kernels: kernels });
    for (const [name, values] of paramsByName(good)) expectBitIdentical(paramsByName(reloaded).get(name)!, values, name);
  });
});
