// Issue 11's examples of model files and checkpoints whose records are hostile: JSON
// nested 100,000 levels deep, names inherited from Object.prototype, and checkpoint
// state of the wrong type or range. Each is rejected with a one-line FormatError
// naming the file and the field, before anything is built.
import { beforeAll, describe, expect, it } from 'vitest';
import { AeError, ArgumentError, FileError, FormatError } from '../../src/errors.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { decodeModel } from '../../src/models/model-file.js';
import { loadModel } from '../../src/models/node.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { jsKernels, wasmKernels } from '../helpers.js';
import { deepJson, editHeaderText, editRecord, modelFile } from './model-fixtures.js';

const SOURCE = 'hostile.safetensors';

function rejection(kernels: Kernels, bytes: Uint8Array): Error {
  try {
    decodeModel(bytes, kernels, SOURCE).model.dispose();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected decodeModel to reject the file');
}

function expectFormatError(kernels: Kernels, bytes: Uint8Array, message: RegExp | string): void {
  const err = rejection(kernels, bytes);
  expect(err).toBeInstanceOf(FormatError);
  if (typeof message === 'string') expect(err.message).toBe(message);
  else expect(err.message).toMatch(message);
  expect(err.message.startsWith(`${SOURCE}: `)).toBe(true);
  expect(err.message).not.toMatch(/\n/);
}

type Layer = { class_name: string; config: Record<string, unknown> };
type Arch = { parts: { encoder: Layer[]; decoder: Layer[] } };

let wasm: Kernels;
let model: Uint8Array;
let checkpoint: Uint8Array;
beforeAll(async () => {
  wasm = await wasmKernels();
  model = modelFile(wasm, 'dense');
  checkpoint = modelFile(wasm, 'dense', true);
  // The unedited files load, so each rejection below comes from its edit.
  decodeModel(model, wasm, SOURCE).model.dispose();
  decodeModel(checkpoint, wasm, SOURCE).model.dispose();
});

describe('JSON nested 100,000 levels deep', () => {
  it('in the training record', () => {
    const bytes = editRecord(model, 'training', (t) => `{"loss":"mse","extra":${deepJson(100_000)},"seed":${JSON.stringify(t['seed'])}}`);
    expectFormatError(wasm, bytes, /^hostile\.safetensors: __metadata__ "training" nests deeper than 64 levels at character \d+ \(in "extra"\)$/);
  });

  it('in a layer config of the architecture', () => {
    const bytes = editRecord(model, 'architecture', (a) => {
      (a as unknown as Arch).parts.encoder[1]!.config['units'] = 0;
      return JSON.stringify(a).replace('"units":0', `"units":${deepJson(100_000)}`);
    });
    expectFormatError(wasm, bytes, /__metadata__ "architecture" nests deeper than 64 levels at character \d+ \(in "parts"\)$/);
  });

  it('in a tensor shape of the safetensors header', () => {
    const bytes = editHeaderText(model, (h) => h.replace('"shape":[784,64]', `"shape":${deepJson(100_000)}`));
    expectFormatError(wasm, bytes, /^hostile\.safetensors: header JSON nests deeper than 64 levels at character \d+ \(in "encoder\.1\.kernel"\)$/);
  });
});

describe('names inherited from Object.prototype are unknown names', () => {
  const activation = (name: string) => editRecord(model, 'architecture', (a) => {
    (a as unknown as Arch).parts.encoder[1]!.config['activation'] = name;
    return a;
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])('activation "%s", on WASM and on JS', (name) => {
    for (const kernels of [wasm, jsKernels()]) {
      expectFormatError(kernels, activation(name), new RegExp(`encoder layer 1 \\(Dense\\): unknown activation "${name}"`));
    }
  });

  it.each(['toString', 'constructor', '__proto__', 'valueOf'])('class_name "%s"', (name) => {
    const bytes = editRecord(model, 'architecture', (a) => {
      (a as unknown as Arch).parts.decoder[0]!.class_name = name;
      return a;
    });
    expectFormatError(wasm, bytes, new RegExp(`decoder layer 0: unknown layer class "${name}"`));
  });

  it('optimizer name "constructor"', () => {
    const bytes = editRecord(checkpoint, 'training', (t) => ({ ...t, optimizer: { name: 'constructor' } }));
    expectFormatError(wasm, bytes, /training record optimizer\.name must be one of "adam", "sgd", got "constructor"$/);
  });

  it('preset "toString"', () => {
    expect(() => presetArchitecture('toString')).toThrow(ArgumentError);
    expect(() => presetArchitecture('toString')).toThrow(/unknown preset "toString"/);
  });
});

describe('checkpoint state is validated where it is decoded', () => {
  const withCheckpoint = (change: (c: Record<string, unknown>) => void) =>
    editRecord(checkpoint, 'training', (t) => {
      change(t['checkpoint'] as Record<string, unknown>);
      return t;
    });
  const withPartial = (step: unknown) => withCheckpoint((c) => ((c['partial'] as Record<string, unknown>)['step_in_epoch'] = step));

  it.each([5, [null], 'history', {}])('history %j', (history) => {
    const field = Array.isArray(history) ? 'checkpoint.history[0]' : 'checkpoint.history';
    expectFormatError(wasm, withCheckpoint((c) => (c['history'] = history)), new RegExp(`training record ${field.replace(/[[\]]/g, '\\$&')} must be`));
  });

  it.each([-1000, 1e9, 2.5, '5'])('partial.step_in_epoch %j', (step) => {
    expectFormatError(
      wasm,
      withPartial(step),
      `${SOURCE}: training record checkpoint.partial.step_in_epoch must be an integer >= 0 < 131, got ${JSON.stringify(step)}`,
    );
  });

  it('learning_rate "0.1" (it used to become 0.001 silently)', () => {
    const bytes = editRecord(checkpoint, 'training', (t) => ({ ...t, optimizer: { ...(t['optimizer'] as object), learning_rate: '0.1' } }));
    expectFormatError(wasm, bytes, `${SOURCE}: training record optimizer.learning_rate must be a finite number > 0, got "0.1"`);
  });

  it('an optimizer key the optimizer does not take', () => {
    const bytes = editRecord(checkpoint, 'training', (t) => ({ ...t, optimizer: { ...(t['optimizer'] as object), momentum: 0.9 } }));
    expectFormatError(wasm, bytes, /optimizer\.momentum must be absent \(adam takes learning_rate, beta_1, beta_2, epsilon, global_clipnorm\), got 0\.9$/);
  });

  it.each([
    ['rng.shuffle.key', (c: Record<string, unknown>) => ((c['rng'] as { shuffle: { key: unknown } }).shuffle.key = 2 ** 32)],
    ['epoch', (c: Record<string, unknown>) => (c['epoch'] = '2')],
    ['partial.seconds', (c: Record<string, unknown>) => ((c['partial'] as Record<string, unknown>)['seconds'] = -1)],
    ['best_epoch', (c: Record<string, unknown>) => (c['best_epoch'] = 1.5)],
  ])('checkpoint.%s out of range', (field, change) => {
    expectFormatError(wasm, withCheckpoint(change), new RegExp(`training record checkpoint\\.${field.replace(/\./g, '\\.')} must be`));
  });

  it('every rejection is an AeError', () => {
    expect(rejection(wasm, withPartial(null))).toBeInstanceOf(AeError);
  });
});

describe('model paths that are not regular files', () => {
  it('--model /dev/zero is a FileError, not an endless read', async () => {
    const err = await loadModel('/dev/zero', { kernels: wasm }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileError);
    expect((err as Error).message).toBe('cannot read /dev/zero: it is a character device, not a regular file');
  });
});
