// Every public function that takes an options object refuses a key it does not read, with
// an ArgumentError naming the function, the key, the likely intended key and the valid
// ones, before it does any work: a misspelt option never silently becomes a default.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Adam,
  ArgumentError,
  compressCodes,
  compressImages,
  createOptimizer,
  decompressCodes,
  createKernels,
  createModel,
  decompressImages,
  encodeModel,
  evaluate,
  evaluateWithConfusion,
  exportOnnx,
  exportTfjs,
  loadBundledSplits,
  loadData,
  loadModel,
  loadSplits,
  presets,
  pretrainGreedy,
  SGD,
  saveModel,
  subset,
  train,
  trainClassifier,
  type Autoencoder,
  type Splits,
  type TrainOptions,
} from '../../src/index.js';
import { loadBundledDigits } from '../../src/data/bundled.js';
import { quantizeModel } from '../../src/models/quantize.js';
import { checkOptionKeys, nearestKey, optionKeys } from '../../src/options.js';
import { loadBrowserModel } from '../../src/browser/load.js';

let dir: string;
let model: Autoencoder;
let splits: Splits;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ae-options-'));
  model = await createModel('dense', { latent: 4, seed: 1, backend: 'js' });
  const all = await loadBundledSplits();
  splits = { train: subset(all.train, 0, 64), test: subset(all.test, 0, 32), source: all.source };
  await train(model, splits, { epochs: 1, batchSize: 32 });
  model.training = { preset: 'dense', loss: 'bce', optimizer: { name: 'adam' }, noise: 0, l1: 0, beta: 1, seed: 0, epochs: 1, batch_size: 32, data: splits.source };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The error a call with one unknown key must throw. */
const unknown = (call: string, key: string, near: string | null, valid: string) =>
  new ArgumentError(`${call}: unknown option ${JSON.stringify(key)}${near ? `; did you mean "${near}"?` : '.'} Valid options: ${valid}`);

const BACKEND = 'backend, dtype, build, deterministic, threads, calibrate';
const TRAIN = 'epochs, batchSize, optimizer, loss, seed, noise, noiseKind, l1, beta, validationSplit, patience, clipNorm, evaluateTest, callbacks, progressIntervalMs, resume, resumeSource, signal, maxMemory, dataInHeap';

describe('nearestKey', () => {
  const valid = ['epochs', 'batchSize', 'seed', 'validationSplit'];
  it('matches case, _ and - aside', () => {
    expect(nearestKey('batch_size', valid)).toBe('batchSize');
    expect(nearestKey('BATCH-SIZE', valid)).toBe('batchSize');
    expect(nearestKey('validation_split', valid)).toBe('validationSplit');
  });
  it('matches a key that begins another, or that another begins', () => {
    expect(nearestKey('epoch', valid)).toBe('epochs');
    expect(nearestKey('seeds', valid)).toBe('seed');
  });
  it('does not take a key one character longer than another for it when the key is longer still', () => {
    expect(nearestKey('noiseType', ['noise', 'noiseKind'])).toBeNull();
    expect(nearestKey('batchSize', ['batch'])).toBeNull();
    expect(nearestKey('parts', ['part'])).toBe('part');
  });
  it('suggests nothing for unrelated or very short keys', () => {
    expect(nearestKey('learningRate', valid)).toBeNull();
    expect(nearestKey('e', valid)).toBeNull();
    expect(nearestKey('', valid)).toBeNull();
  });
});

describe('checkOptionKeys', () => {
  const valid = ['a1', 'b2'];
  it('passes undefined, {} and known keys', () => {
    expect(() => checkOptionKeys(undefined, valid, 'f()')).not.toThrow();
    expect(() => checkOptionKeys({}, valid, 'f()')).not.toThrow();
    expect(() => checkOptionKeys({ a1: 1, b2: undefined }, valid, 'f()')).not.toThrow();
  });
  it('refuses what is not an options object', () => {
    for (const [bad, got] of [[null, 'null'], [[], 'an array'], [3, 'number'], ['x', 'string']] as const) {
      expect(() => checkOptionKeys(bad, valid, 'f()')).toThrow(new ArgumentError(`f(): options must be an object with keys from a1, b2; got ${got}`));
    }
  });
  it('refuses prototype names as the keys they are, and cuts a long key short', () => {
    expect(() => checkOptionKeys(JSON.parse('{"__proto__": {"a1": 1}}'), valid, 'f()')).toThrow(unknown('f()', '__proto__', null, 'a1, b2'));
    expect(() => checkOptionKeys({ constructor: 1 }, valid, 'f()')).toThrow(unknown('f()', 'constructor', null, 'a1, b2'));
    expect(() => checkOptionKeys({ ['k'.repeat(500)]: 1 }, valid, 'f()')).toThrow(unknown('f()', `${'k'.repeat(64)}…`, null, 'a1, b2'));
  });
  it('optionKeys lists must hold every key of their type (checked by the compiler)', () => {
    const keys = optionKeys<{ a?: number; b?: string }>()('a', 'b');
    expect(keys).toEqual(['a', 'b']);
    // @ts-expect-error: 'b' is missing
    optionKeys<{ a?: number; b?: string }>()('a');
    // @ts-expect-error: 'c' is no key of the type
    optionKeys<{ a?: number }>()('a', 'c');
  });
});

describe('the public API refuses unknown option keys', () => {
  it('createKernels, createModel, loadModel', async () => {
    await expect(createKernels({ thread: 2 } as never)).rejects.toThrow(unknown('createKernels(options)', 'thread', 'threads', BACKEND));
    await expect(createModel('dense', { latnet: 8 } as never)).rejects.toThrow(
      unknown('createModel(spec, options)', 'latnet', null, `latent, inputShape, output, labels, loss, beta, seed, kernels, ${BACKEND}`),
    );
    await expect(createModel('dense', { Seed: 3 } as never)).rejects.toThrow(
      unknown('createModel(spec, options)', 'Seed', 'seed', `latent, inputShape, output, labels, loss, beta, seed, kernels, ${BACKEND}`),
    );
    expect(() => presets.architecture('dense', { latnt: 4 } as never)).toThrow(unknown('presets.architecture(name, options)', 'latnt', null, 'latent, inputShape, output, labels, loss, beta'));
    const bytes = encodeModel(model);
    await expect(loadModel(bytes, { thread: 1 } as never)).rejects.toThrow(unknown('loadModel(source, options)', 'thread', 'threads', `kernels, ${BACKEND}`));
    // Before any work: a file that does not exist is not even looked for.
    await expect(loadModel(path.join(dir, 'no-such.safetensors'), { thread: 1 } as never)).rejects.toThrow(unknown('loadModel(source, options)', 'thread', 'threads', `kernels, ${BACKEND}`));
    await expect(loadBrowserModel(bytes, { thread: 1 } as never)).rejects.toThrow(unknown('loadModel(source, options)', 'thread', 'threads', 'threads, wasm, deterministic, build'));
  });

  it('train refuses before any step, so the model is untouched', async () => {
    const before = encodeModel(model);
    await expect(train(model, splits, { batch_size: 16 } as TrainOptions)).rejects.toThrow(unknown('train(model, splits, options)', 'batch_size', 'batchSize', TRAIN));
    await expect(train(model, splits, { epoch: 1 } as TrainOptions)).rejects.toThrow(unknown('train(model, splits, options)', 'epoch', 'epochs', TRAIN));
    expect(encodeModel(model)).toEqual(before);
  });

  it('train points optimizer settings to the optimizer, and checks a plain callbacks object', async () => {
    const toOptimizer = 'optimizer settings go in the optimizer: optimizer: new Adam({ learningRate, beta1, beta2, epsilon }) or new SGD({ learningRate, momentum }).';
    for (const key of ['lr', 'learning_rate', 'beta_1', 'momentum']) {
      await expect(train(model, splits, { [key]: 0.5 } as TrainOptions)).rejects.toThrow(
        new ArgumentError(`train(model, splits, options): unknown option "${key}"; ${toOptimizer} Valid options: ${TRAIN}`),
      );
    }
    await expect(train(model, splits, { callbacks: { onEpochend: () => {} } } as never)).rejects.toThrow(
      unknown('train(model, splits, options): callbacks', 'onEpochend', 'onEpochEnd', 'onTrainBegin, onBatchEnd, onEpochEnd'),
    );
    // A class instance may hold state of its own beside its callbacks.
    class Counter {
      epochs = 0;
      onEpochEnd(): void {
        this.epochs++;
      }
    }
    const counter = new Counter();
    await train(model, splits, { epochs: 1, batchSize: 32, callbacks: counter });
    expect(counter.epochs).toBe(1);
  });

  it('train refuses an optimizer that is none (a string, an options object) before touching it', async () => {
    const bad = (got: string) =>
      new ArgumentError(`train(model, splits, options): optimizer must be an optimizer such as new Adam({ learningRate: 1e-3 }) or new SGD({ learningRate: 0.01, momentum: 0.9 }); got ${got}`);
    await expect(train(model, splits, { optimizer: 'adam' } as never)).rejects.toThrow(bad('the string "adam" (Keras\' optimizer="adam" is new Adam() here)'));
    const literal = { learningRate: 0.01 };
    await expect(train(model, splits, { optimizer: literal } as never)).rejects.toThrow(bad('an object with keys learningRate'));
    expect(literal).toEqual({ learningRate: 0.01 });
    await expect(train(model, splits, { optimizer: () => new Adam() } as never)).rejects.toThrow(bad('a function (pretrainGreedy takes a factory; train takes the optimizer itself)'));
    await expect(pretrainGreedy(model, splits, { optimizer: new Adam() } as never)).rejects.toThrow(
      new ArgumentError('pretrainGreedy(model, splits, options): optimizer must be a function returning a fresh optimizer for each layer, such as () => new Adam(); got an object'),
    );
  });

  it('the optimizers', () => {
    expect(() => new Adam({ lr: 0.01 } as never)).toThrow(new ArgumentError('new Adam(options): unknown option "lr"; did you mean "learningRate"? Valid options: learningRate, beta1, beta2, epsilon'));
    expect(() => new Adam({ beta_1: 0.8 } as never)).toThrow(unknown('new Adam(options)', 'beta_1', 'beta1', 'learningRate, beta1, beta2, epsilon'));
    expect(() => new SGD({ momentun: 0.9 } as never)).toThrow(unknown('new SGD(options)', 'momentun', null, 'learningRate, momentum'));
    expect(() => createOptimizer('sgd', { learning_rate: 0.1 } as never)).toThrow(unknown('createOptimizer(name, options)', 'learning_rate', 'learningRate', 'learningRate, momentum'));
  });

  it('pretrainGreedy, trainClassifier, evaluate', async () => {
    await expect(pretrainGreedy(model, splits, { epoch: 1 } as never)).rejects.toThrow(
      unknown('pretrainGreedy(model, splits, options)', 'epoch', 'epochs', 'epochs, batchSize, seed, loss, noise, noiseKind, optimizer, onLayer'),
    );
    await expect(trainClassifier(model.kernels, splits, { encoder: model, labels: 10 } as never)).rejects.toThrow(
      unknown('trainClassifier(kernels, splits, options)', 'labels', 'labelsPerClass', 'encoder, architecture, labelsPerClass, freeze, hidden, epochs, batchSize, learningRate, seed, preprocessing, labelNames, callbacks, signal'),
    );
    expect(() => evaluate(model, splits.test, { batchSize: 8 } as never)).toThrow(unknown('evaluate(model, dataset, options)', 'batchSize', null, 'noise, noiseKind, seed, batch'));
    expect(() => evaluateWithConfusion(model, splits.test, { Seed: 1 } as never)).toThrow(unknown('evaluateWithConfusion(model, dataset, options)', 'Seed', 'seed', 'noise, noiseKind, seed, batch'));
  });

  it('saving, exporting, quantizing, compressing', async () => {
    const file = path.join(dir, 'm.safetensors');
    writeFileSync(file, 'a good model');
    await expect(saveModel(model, file, { optimizer: true } as never)).rejects.toThrow(
      unknown('saveModel(model, path, options)', 'optimizer', 'optimizerState', 'optimizerState, training'),
    );
    expect(readFileSync(file, 'utf8')).toBe('a good model');
    expect(() => encodeModel(model, null, { optimizer_state: true } as never)).toThrow(unknown('encodeModel(model, training, options)', 'optimizer_state', 'optimizerState', 'optimizerState'));
    expect(() => exportOnnx(model, { parts: 'encoder' } as never)).toThrow(unknown('exportOnnx(model, options)', 'parts', 'part', 'part'));
    expect(() => exportTfjs(model, { prat: 'encoder' } as never)).toThrow(unknown('exportTfjs(model, options)', 'prat', null, 'part'));
    expect(() => quantizeModel(model, { keep: ['x'] } as never)).toThrow(unknown('quantizeModel(model, options)', 'keep', 'keepFloat', 'keepFloat'));
    const images = splits.test.images.subarray(0, 2 * 784) as Float32Array;
    expect(() => compressImages(model, images, { bit: 8 } as never)).toThrow(unknown('compressImages(model, images, options)', 'bit', 'bits', 'bits, labels'));
    // Before any work: images of the wrong size still get the option's error, not the shape's.
    expect(() => compressImages(model, images.subarray(0, 5), { bit: 8 } as never)).toThrow(unknown('compressImages(model, images, options)', 'bit', 'bits', 'bits, labels'));
    const codes = model.encode(images);
    expect(() => compressCodes(model, codes, { label: null } as never)).toThrow(unknown('compressCodes(model, codes, options)', 'label', 'labels', 'bits, labels'));
    const aec = compressImages(model, images, { bits: 8 });
    expect(() => decompressImages(model, aec, { model: 'm' } as never)).toThrow(unknown('decompressImages(model, bytes, options)', 'model', 'modelName', 'source, modelName, limits'));
    expect(() => decompressCodes(model, aec, { limit: {} } as never)).toThrow(unknown('decompressCodes(model, bytes, options)', 'limit', 'limits', 'source, modelName, limits'));
  });

  it('loadData, loadSplits, loadBundledSplits', async () => {
    const csv = path.join(dir, 'd.csv');
    writeFileSync(csv, 'a,b\n1,2\n3,4\n5,6\n7,8\n');
    await expect(loadData(csv, { test_split: 0.5 } as never)).rejects.toThrow(ArgumentError);
    await expect(loadData(csv, { test_split: 0.5 } as never)).rejects.toThrow(/loadData\(source, options\): unknown option "test_split"; did you mean "testSplit"\?/);
    await expect(loadSplits({ data: csv, Normalize: 'none' } as never)).rejects.toThrow(/loadSplits\(options\): unknown option "Normalize"; did you mean "normalize"\?/);
    await expect(loadSplits({ normalise: 'none' } as never)).rejects.toThrow(/loadSplits\(options\): unknown option "normalise"/);
    // Without data, loadData's keys would do nothing to the bundled digits: refused, not ignored.
    for (const [key, value] of [['testSplit', 0.3], ['seed', 4], ['imageSize', [14, 14]], ['format', 'csv']] as const) {
      await expect(loadSplits({ [key]: value })).rejects.toThrow(
        new ArgumentError(`loadSplits(options): ${key} goes with data (the bundled digits have their own test split, shape and labels); give data, or leave ${key} out`),
      );
    }
    expect((await loadSplits({ normalize: 'scale', testSplit: undefined })).test.n).toBeGreaterThan(0);
    // loadSplits hands loadData only loadData's keys: its own (data, normalize) are no unknown options there.
    const ok = await loadSplits({ data: csv, normalize: 'none', testSplit: 0.5, seed: 1 });
    expect(ok.train.n + ok.test.n).toBe(4);
    await expect(loadBundledSplits({ cacheDir: dir } as never)).rejects.toThrow(unknown('loadBundledSplits(options)', 'cacheDir', 'cacheDirs', 'cacheDirs'));
    await expect(loadBundledDigits({ cacheDir: dir } as never)).rejects.toThrow(unknown('loadBundledDigits(options)', 'cacheDir', 'cacheDirs', 'cacheDirs'));
  });
});
