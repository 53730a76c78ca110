// Issue 11's over-allocation examples: a 1 KB model file asking for Dense(units = 10^6)
// with no tensors, an UpSampling2D(100) architecture. Both are refused from a dry-run
// plan, naming the layer and the value, before the heap grows; the limits are configurable.
import { beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, FormatError, ShapeError } from '../../src/errors.js';
import { encodeSafetensors } from '../../src/io/safetensors.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import type { Architecture } from '../../src/models/architecture.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { DEFAULT_MODEL_LIMITS, resolveLimits } from '../../src/models/limits.js';
import { decodeModel, MAX_MODEL_HEADER_BYTES, MODEL_FORMAT } from '../../src/models/model-file.js';
import { planArchitecture } from '../../src/models/plan.js';
import { presetArchitecture, PRESET_NAMES } from '../../src/models/presets.js';
import { wasmKernels } from '../helpers.js';
import { trainingRecord } from './model-fixtures.js';

const dense = (units: number, activation = 'relu') => ({ class_name: 'Dense', config: { units, activation } });

function denseArch(units: number): Architecture {
  return {
    kind: 'autoencoder',
    input_shape: [784],
    parts: { encoder: [dense(units)], decoder: [dense(784, 'sigmoid')] },
  };
}

function upsampleArch(size: number): Architecture {
  return {
    kind: 'autoencoder',
    input_shape: [28, 28, 1],
    parts: {
      encoder: [{ class_name: 'MaxPooling2D', config: { pool_size: 2 } }],
      decoder: [{ class_name: 'UpSampling2D', config: { size } }],
    },
  };
}

/** A model file with this architecture and no tensors at all. */
function tensorlessFile(arch: Architecture): Uint8Array {
  return encodeSafetensors([], { format: MODEL_FORMAT, architecture: JSON.stringify(arch), training: JSON.stringify(trainingRecord('dense')) });
}

let kernels: Kernels;
beforeAll(async () => {
  kernels = await wasmKernels();
});

function decodeError(bytes: Uint8Array): Error {
  const before = kernels.heap.capacity;
  try {
    decodeModel(bytes, kernels, 'tiny.safetensors');
  } catch (err) {
    // Nothing was allocated for the rejected model.
    expect(kernels.heap.capacity).toBe(before);
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('model limits', () => {
  it('a 1 KB file with Dense(units = 10^6) and no tensors is refused without allocating', () => {
    const bytes = tensorlessFile(denseArch(1_000_000));
    expect(bytes.length).toBeLessThan(1024);
    const err = decodeError(bytes);
    expect(err).toBeInstanceOf(FormatError);
    expect(err.message).toBe('tiny.safetensors: invalid architecture: encoder layer 0 (Dense): units 1000000 is over the limit of 65536 (maxUnits)');
  });

  it('a file within the limits but missing its tensors says so before allocating', () => {
    const err = decodeError(tensorlessFile(denseArch(30_000)));
    expect(err).toBeInstanceOf(FormatError);
    expect(err.message).toBe('tiny.safetensors: missing tensor "encoder.0.kernel" [784, 30000]');
  });

  it('UpSampling2D(100) is refused, naming the layer and the value', () => {
    expect(() => new Autoencoder(kernels, upsampleArch(100))).toThrow(ShapeError);
    expect(() => new Autoencoder(kernels, upsampleArch(100))).toThrow('decoder layer 0 (UpSampling2D): size 100 is over the limit of 16 (maxUpsample)');
    expect(decodeError(tensorlessFile(upsampleArch(100))).message).toMatch(/decoder layer 0 \(UpSampling2D\): size 100 is over the limit of 16/);
  });

  it('bounds the totals: parameters and per-sample values', () => {
    expect(() => planArchitecture(denseArch(60_000), { maxParams: 1_000_000 })).toThrow(/parameter encoder\.0\.kernel \[784, 60000\] brings the model to 47040000 parameter values, over the limit of 1000000 \(maxParams\)/);
    expect(() => planArchitecture({ ...denseArch(64), input_shape: [5000, 1000] })).toThrow(/input_shape \[5000, 1000\] has 5000000 values per sample, over the limit of 4194304/);
    expect(() => planArchitecture(denseArch(64), { maxActivationValues: 800 })).toThrow(/decoder layer 0 \(Dense\) brings the plan to 848 values per sample, over the limit of 800 \(maxActivationValues\)/);
  });

  it('limits are configurable, and checked themselves', () => {
    expect(planArchitecture(upsampleArch(100), { maxUpsample: 100 }).activationValues).toBe(14 * 14 + 1400 * 1400);
    expect(() => resolveLimits({ maxUnits: -1 })).toThrow(ArgumentError);
    expect(() => resolveLimits({ maxUnitz: 5 } as never)).toThrow(/unknown model limit "maxUnitz"/);
    expect(resolveLimits()).toEqual(DEFAULT_MODEL_LIMITS);
  });

  it.each(PRESET_NAMES)('preset %s fits the default limits, and the plan matches the built model', (name) => {
    const arch = presetArchitecture(name);
    const plan = planArchitecture(arch);
    const model = new Autoencoder(kernels, arch);
    try {
      expect(plan.params).toEqual(model.params.list.map((p) => ({ name: p.name, shape: p.shape, trainable: p.trainable })));
      expect(plan.paramCount).toBe(model.params.count);
    } finally {
      model.dispose();
    }
  });
});

describe('model file header size', () => {
  it('a header over 16 MiB is refused before it is parsed', () => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(MAX_MODEL_HEADER_BYTES + 1), true);
    expect(() => decodeModel(bytes, kernels, 'big.safetensors')).toThrow(
      `big.safetensors: header length ${MAX_MODEL_HEADER_BYTES + 1} is over the ${MAX_MODEL_HEADER_BYTES}-byte limit; not a safetensors file?`,
    );
  });
});
