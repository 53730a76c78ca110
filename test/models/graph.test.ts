// The graph of parts: gradients against finite differences in float64 on the JS spec
// (concatenations, a tensor read by two consumers, a classifier, a conditional VAE), loss
// weights scaling the gradient linearly, WASM vs JS parity, 1 vs 2 threads and resume bit
// for bit, model files round-tripping the graph, and every validation error typed.
import { describe, expect, it } from 'vitest';
import { DataError, FormatError, ShapeError } from '../../src/errors.js';
import { JsKernels } from '../../src/kernels/js.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { createKernels } from '../../src/kernels/node.js';
import type { ThreadedKernels } from '../../src/kernels/threads/pool.js';
import type { Architecture } from '../../src/models/architecture.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { architectureFromJson } from '../../src/models/custom-architecture.js';
import { decodeModel, encodeModel, type TrainingRecord } from '../../src/models/model-file.js';
import { RandomStream } from '../../src/random/streams.js';
import { checkpointFromState, optimizerFromRecord, stateFromCheckpoint } from '../../src/train/checkpoint.js';
import { Adam } from '../../src/train/optimizers.js';
import { train, type TrainOptions } from '../../src/train/trainer.js';
import { expectClose, uniform } from '../helpers.js';
import { checkModelGradients } from '../nn/model-gradients.js';
import { edit } from './model-fixtures.js';
import { CLASSES, classifierOnReconstruction, conditionalVae, GRAPHS, headOnCode, labelled, oneHotRows, twoBranch, vaeWithClassifier } from './graph-fixtures.js';

const withLabels = (g: { label: { offset: number } | null }, kernels: JsKernels) => {
  if (g.label) kernels.heap.write(g.label.offset, oneHotRows(3));
};

describe('graph gradients match central differences (JS spec, float64)', () => {
  it.each(GRAPHS)('%s', (_name, make) => {
    expect(checkModelGradients(make(), { loss: 'mse' }, 7, withLabels)).toBeGreaterThan(20);
  });
  it.each(GRAPHS)('%s, other loss weights', (_name, make) => {
    expect(checkModelGradients(make([0.3, 2.5]), { loss: 'mse' }, 5, withLabels)).toBeGreaterThan(20);
  });
});

/** Every trainable gradient after one forward / backward on fixed inputs, float64. */
function gradients(arch: Architecture): Float64Array {
  const kernels = new JsKernels('f64');
  const model = new Autoencoder(kernels, arch).initialize(4);
  model.params.ensureTraining([]);
  const g = model.compile({ batch: 3, training: true, loss: 'mse' });
  kernels.heap.write(g.target.offset, uniform(3 * model.inputSize, 5, 0.05, 0.95));
  withLabels(g, kernels);
  const ctx = { kernels, training: true, noise: new RandomStream(9) };
  g.forward(ctx, 3);
  g.loss(3);
  g.backward(ctx, 3);
  const out = model.params.trainable.flatMap((p) => Array.from(kernels.heap.data.subarray(p.grad, p.grad + p.size)));
  model.dispose();
  return Float64Array.from(out);
}

describe('loss weights', () => {
  // Graphs whose every term's weight is w1 or w2 (the last one keeps two terms at fixed weights).
  it.each(GRAPHS.slice(0, 6))('%s: the gradient for weights (w1, w2) is w1 g1 + w2 g2', (_name, make) => {
    const g1 = gradients(make([1, 0]));
    const g2 = gradients(make([0, 1]));
    const both = gradients(make([0.75, 3]));
    expect(g1.some((v) => v !== 0) && g2.some((v) => v !== 0)).toBe(true);
    expectClose(both, g1.map((v, i) => 0.75 * v + 3 * g2[i]!), 1e-12, 1e-9, 'weighted sum');
    // Weight 0 on the second term drops it: not the gradient with both at 1.
    expect(Array.from(g1)).not.toEqual(Array.from(gradients(make([1, 1]))));
  });
});

const SHAPE = [8, 8, 1];
const splits = () => ({ train: labelled(40, SHAPE, 1), test: labelled(12, SHAPE, 2), source: 'labelled' });
const base: TrainOptions = { epochs: 2, batchSize: 16, seed: 3, validationSplit: 0.2 };
const bits = (m: Autoencoder) => m.params.list.map((p) => Buffer.from(m.params.read(p).buffer).toString('base64'));
const TRAINED: [string, () => Architecture][] = [
  ['two branches', () => twoBranch(SHAPE)],
  ['classifier on the reconstruction', () => classifierOnReconstruction(SHAPE)],
  ['head beside the decoder', () => headOnCode(SHAPE)],
  ['conditional VAE', () => conditionalVae(64)],
];
const flatSplits = () => ({ train: labelled(40, [64], 1), test: labelled(12, [64], 2), source: 'flat' });
const dataFor = (a: Architecture) => (a.input_shape.length === 1 ? flatSplits() : splits());

async function trained(kernels: Kernels, arch: Architecture, options: TrainOptions = base) {
  const model = new Autoencoder(kernels, arch).initialize(21);
  const history = await train(model, dataFor(arch), options);
  return { model, history };
}

describe('training a graph', () => {
  it.each(TRAINED)('%s: WASM and the JS spec agree', async (_name, make) => {
    const a = await trained(await createKernels({ backend: 'wasm', build: 'kernels.wasm' }), make());
    const b = await trained(new JsKernels('f32'), make());
    for (const [i, p] of a.model.params.list.entries()) {
      expectClose(a.model.params.read(p), b.model.params.read(b.model.params.list[i]!), 1e-4, 1e-3, p.name);
    }
    expectClose(a.history.epochs.map((e) => e.loss), b.history.epochs.map((e) => e.loss), 1e-5, 1e-4, 'loss');
    // The weights moved: the loss terms reached every part.
    const fresh = new Autoencoder(new JsKernels('f32'), make()).initialize(21);
    for (const [i, p] of fresh.params.list.entries()) expect(Array.from(fresh.params.read(p)), p.name).not.toEqual(Array.from(b.model.params.read(b.model.params.list[i]!)));
  });

  it('1 and 2 threads train to identical weights (classifier on the reconstruction, 28 x 28)', async () => {
    const arch = classifierOnReconstruction([28, 28, 1]);
    const data = { train: labelled(128, [28, 28, 1], 4), test: labelled(16, [28, 28, 1], 5), source: 't' };
    const weights: string[][] = [];
    for (const threads of [1, 2]) {
      const kernels = await createKernels({ threads });
      const model = new Autoencoder(kernels, arch).initialize(3);
      await train(model, data, { epochs: 1, batchSize: 64, seed: 3 });
      weights.push(bits(model));
      if (threads > 1) {
        expect((kernels as unknown as ThreadedKernels).jobs).toBeGreaterThan(0);
        (kernels as unknown as ThreadedKernels).dispose();
      }
    }
    expect(weights[1]).toEqual(weights[0]);
  });

  it.each(TRAINED)('%s: 2 epochs = 1 epoch, checkpoint file, load, resume 1 (bit for bit)', async (_name, make) => {
    const wasm = () => createKernels({ backend: 'wasm', build: 'kernels.wasm' });
    const straight = await trained(await wasm(), make(), { ...base, optimizer: new Adam() });
    const first = await trained(await wasm(), make(), { ...base, epochs: 1, optimizer: new Adam() });
    const record: TrainingRecord = { loss: 'mse', optimizer: new Adam().config(), noise: 0, l1: 0, beta: 1, seed: 3 };
    const bytes = encodeModel(first.model, { ...record, checkpoint: checkpointFromState(first.history.state, first.history.epochs) }, { optimizerState: true });
    const loaded = decodeModel(bytes, await wasm(), 'graph checkpoint');
    expect(loaded.model.architecture.graph).toEqual(make().graph);
    const resumed = await train(loaded.model, dataFor(make()), { ...base, optimizer: optimizerFromRecord(loaded.training), resume: stateFromCheckpoint(loaded.training.checkpoint!) });
    expect(bits(loaded.model)).toEqual(bits(straight.model));
    expect(resumed.epochs.map((e) => [e.loss, e.val_loss, e.test_mse])).toEqual(straight.history.epochs.slice(1).map((e) => [e.loss, e.val_loss, e.test_mse]));
  });

  it('a model file keeps the graph: the decoded model gives the same outputs', async () => {
    const kernels = new JsKernels('f32');
    const { model } = await trained(kernels, classifierOnReconstruction(SHAPE), { ...base, epochs: 1 });
    const bytes = encodeModel(model, { loss: 'mse', optimizer: new Adam().config(), noise: 0, l1: 0, beta: 1, seed: 3 });
    const again = decodeModel(bytes, kernels, 'graph.safetensors').model;
    const x = labelled(3, SHAPE, 8).images;
    expect(Array.from(again.reconstruct(x))).toEqual(Array.from(model.reconstruct(x)));
    expect(Array.from(again.encode(x))).toEqual(Array.from(model.encode(x)));
    expect(again.params.list.map((p) => p.name)).toEqual(['encoder.1.kernel', 'encoder.1.bias', 'decoder.0.kernel', 'decoder.0.bias', 'classifier.1.kernel', 'classifier.1.bias']);
  });

  it('labels outside the graph\'s classes, or none, are DataErrors before training', async () => {
    const kernels = new JsKernels('f32');
    const model = new Autoencoder(kernels, classifierOnReconstruction(SHAPE)).initialize(1);
    const bad = splits();
    bad.train.labels[5] = CLASSES;
    await expect(train(model, bad, base)).rejects.toThrow(DataError);
    await expect(train(model, bad, base)).rejects.toThrow(/training data: label 3 of sample 5 is outside 0\.\.2 \(the model's graph has 3 label classes\)/);
    const none = splits();
    none.train.labels = new Uint8Array(0);
    await expect(train(model, none, base)).rejects.toThrow(/training data: expected 40 labels, found 0/);
  });

  it('decode of a decoder reading [z, label] (a conditional VAE) needs one label per code', () => {
    const model = new Autoencoder(new JsKernels('f32'), conditionalVae(4)).initialize(1);
    expect(() => model.decode(new Float32Array(2))).toThrow(ShapeError);
    expect(() => model.decode(new Float32Array(2))).toThrow(/this model's decoder reads the label: pass one label per code \(1 in 0\.\.2\)/);
    expect(model.decode(new Float32Array(2), [1])).toHaveLength(4);
  });
});

describe('graph validation: typed errors naming the problem', () => {
  const good = () => structuredClone(classifierOnReconstruction());
  const check = (change: (a: Architecture & { graph: Record<string, unknown> }) => void, error: typeof FormatError | typeof ShapeError, message: RegExp) => {
    const a = good() as Architecture & { graph: Record<string, unknown> };
    change(a);
    const text = JSON.stringify(a);
    expect(() => architectureFromJson(text, 'g.json')).toThrow(error);
    expect(() => architectureFromJson(text, 'g.json')).toThrow(message);
    // The same record inside a model file: refused by the loader, naming the file.
    const kernels = new JsKernels('f32');
    const file = encodeModel(new Autoencoder(kernels, good()), { loss: 'mse', optimizer: { name: 'adam' }, noise: 0, l1: 0, beta: 1, seed: 1 });
    const edited = edit(file, (_t, md) => (md['architecture'] = text));
    expect(() => decodeModel(edited, kernels, 'm.safetensors')).toThrow(FormatError);
    expect(() => decodeModel(edited, kernels, 'm.safetensors')).toThrow(/^m\.safetensors: /);
  };

  it('the good record passes', () => {
    expect(architectureFromJson(JSON.stringify(good()), 'g.json').graph).toEqual(good().graph);
  });
  it('an unknown part name in inputs, a source, code, output or a loss', () => {
    check((a) => ((a.graph['inputs'] as Record<string, unknown>)['nope'] = 'input'), FormatError, /g\.json: architecture graph inputs names unknown part "nope"; parts are encoder, decoder, classifier/);
    check((a) => ((a.graph['inputs'] as Record<string, unknown>)['classifier'] = 'decodr'), FormatError, /inputs\.classifier names unknown part "decodr"/);
    check((a) => (a.graph['code'] = 'z'), FormatError, /code names unknown part "z"/);
    check((a) => (a.graph['output'] = 'z'), FormatError, /output names unknown part "z"/);
  });
  it('a part with no source, or reading a missing output', () => {
    check((a) => delete (a.graph['inputs'] as Record<string, unknown>)['classifier'], FormatError, /inputs has no source for part classifier/);
    check((a) => ((a.graph['inputs'] as Record<string, unknown>)['decoder'] = { concat: ['encoder', 'gone'] }), FormatError, /inputs\.decoder\.concat\[1\] names unknown part "gone"/);
  });
  it('a cycle', () => {
    check((a) => ((a.graph['inputs'] as Record<string, unknown>)['encoder'] = 'classifier'), FormatError, /has a cycle: encoder reads classifier reads decoder reads encoder/);
    check((a) => ((a.graph['inputs'] as Record<string, unknown>)['encoder'] = 'encoder'), FormatError, /has a cycle: encoder reads encoder/);
  });
  it('a shape mismatch at an edge: a concatenation, a layer on the wrong input, a loss on the wrong output', () => {
    check((a) => ((a.graph['inputs'] as Record<string, unknown>)['classifier'] = { concat: ['decoder', 'label'] }), ShapeError, /graph edge concat\(decoder,label\): label is \[3\] but decoder is \[2, 2, 1\]; a concatenation along the last axis needs every other dimension equal/);
    check((a) => {
      (a.graph['inputs'] as Record<string, unknown>)['classifier'] = 'encoder';
      a.parts['classifier'] = [{ class_name: 'Reshape', config: { target_shape: [2, 2, 1] } }];
    }, ShapeError, /classifier layer 0 \(Reshape\) on input \[3\]/);
    check((a) => ((a.graph['losses'] as unknown as Record<string, unknown>[])[0]!['output'] = 'classifier'), ShapeError, /graph loss 0 \(mse\): classifier outputs \[3\] but its target input is \[2, 2, 1\]/);
    check((a) => (a.graph['labels'] = 4), ShapeError, /graph loss 1 \(sparse_categorical_crossentropy\): classifier outputs \[3\] but the labels need logits \[4\]/);
  });
  it('duplicate and reserved names', () => {
    check((a) => ((a.graph['inputs'] as Record<string, unknown>)['classifier'] = { concat: ['decoder', 'decoder'] }), FormatError, /inputs\.classifier\.concat lists decoder twice/);
    check((a) => ((a.graph['losses'] as unknown as Record<string, unknown>[])[1]!['name'] = 'reconstruction'), FormatError, /losses\[1\]\.name "reconstruction" is a duplicate loss name/);
    check((a) => {
      a.parts['label'] = a.parts['classifier'];
      delete a.parts['classifier'];
    }, FormatError, /part name "label" is reserved/);
    check((a) => {
      a.parts['Bad.Name'] = a.parts['classifier'];
    }, FormatError, /part name "Bad\.Name" must be lower-case/);
  });
  it('a loss on a missing output, an unknown kind or key, a part no loss reaches', () => {
    check((a) => ((a.graph['losses'] as unknown as Record<string, unknown>[])[0]!['output'] = 'nowhere'), FormatError, /losses\[0\]\.output names unknown part "nowhere"/);
    check((a) => ((a.graph['losses'] as unknown as Record<string, unknown>[])[0]!['kind'] = 'huber'), FormatError, /losses\[0\]\.kind must be one of mse, bce, kl, l1, sparse_categorical_crossentropy, got "huber"/);
    check((a) => ((a.graph['losses'] as unknown as Record<string, unknown>[])[0]!['from_logits'] = true), FormatError, /losses\[0\] \(mse\) has unknown key "from_logits"/);
    check((a) => (a.graph['losses'] as unknown[]).pop(), FormatError, /part classifier feeds no loss term/);
    check((a) => (a.graph['losses'] = []), FormatError, /losses must list 1\.\.64 terms/);
    check((a) => delete a.graph['labels'], FormatError, /losses\[1\]\.target reads "label" but the graph sets no "labels"/);
  });
  it('negative, NaN or missing weights', () => {
    check((a) => ((a.graph['losses'] as unknown as Record<string, unknown>[])[0]!['weight'] = -1), FormatError, /losses\[0\]\.weight must be a finite number >= 0, got -1/);
    check((a) => ((a.graph['losses'] as unknown as Record<string, unknown>[])[1]!['weight'] = NaN), FormatError, /losses\[1\]\.weight must be a finite number >= 0, got null/);
    check((a) => delete (a.graph['losses'] as unknown as Record<string, unknown>[])[0]!['weight'], FormatError, /losses\[0\]\.weight must be a finite number >= 0, got undefined/);
    // Through the library, NaN itself.
    const a = good();
    a.graph!.losses[0]!.weight = NaN;
    expect(() => new Autoencoder(new JsKernels('f32'), a)).toThrow(/losses\[0\]\.weight must be a finite number >= 0, got null/);
  });
  it('a sampling edge needs kind "vae", and kind "vae" needs one', () => {
    const cvae = conditionalVae();
    expect(() => new Autoencoder(new JsKernels('f32'), { ...cvae, kind: 'autoencoder' })).toThrow(/has a sample edge; use kind "vae"/);
    expect(() => new Autoencoder(new JsKernels('f32'), { ...good(), kind: 'vae' })).toThrow(/of kind "vae" has no \{"sample": \[\.\.\.\]\} edge/);
  });
  it('unknown graph keys', () => {
    check((a) => (a.graph['edges'] = []), FormatError, /architecture graph has unknown key "edges"; expected inputs, labels, code, decoder, output, losses/);
  });
});


describe('inference on a graph that reads the label', () => {
  it('a conditional VAE encodes and reconstructs with one label per sample, and the label matters', () => {
    const model = new Autoencoder(new JsKernels('f32'), conditionalVae(4)).initialize(2);
    const x = Float32Array.from({ length: 8 }, (_, i) => i / 8);
    expect(() => model.reconstruct(x)).toThrow(ShapeError);
    expect(() => model.reconstruct(x)).toThrow(/this model's graph reads the label: pass one label per image \(2 in 0\.\.2\)/);
    expect(() => model.reconstruct(x, [0])).toThrow(/labels: 1 labels for 2 images/);
    expect(() => model.reconstruct(x, [0, 3])).toThrow(DataError);
    const a = model.reconstruct(x, [0, 1]);
    const b = model.reconstruct(x, [2, 1]);
    expect(Array.from(a.subarray(4))).toEqual(Array.from(b.subarray(4)));
    expect(Array.from(a.subarray(0, 4))).not.toEqual(Array.from(b.subarray(0, 4)));
    expect(Array.from(model.encode(x, [0, 1]))).not.toEqual(Array.from(model.encode(x, [1, 1])));
    // A model whose graph reads labels only in a loss term infers without them.
    const clf = new Autoencoder(new JsKernels('f32'), classifierOnReconstruction()).initialize(2);
    expect(clf.reconstruct(x.subarray(0, 4))).toHaveLength(4);
    expect(() => clf.reconstruct(x.subarray(0, 4), [1])).toThrow(/labels given, but this model's graph does not read them/);
  });
});

describe('summary of a graph', () => {
  it('lists every part with its layers, then what each part reads and the weighted loss terms', async () => {
    const { architectureSummaryText, summaryText } = await import('../../src/models/summary.js');
    const text = architectureSummaryText(conditionalVae(4), 'cvae');
    expect(text).toContain('encoder.0 (Dense)');
    expect(text).toContain('z_log_var.0 (Dense)');
    expect(text.split('\n').slice(-8)).toEqual([
      'Graph (labels: 3; code z_mean, output decoder):',
      '  encoder <- concat(input, label)',
      '  z_mean <- encoder',
      '  z_log_var <- encoder',
      '  decoder <- concat(sample(z_mean, z_log_var), label)',
      'Loss terms:',
      '  1 x bce(decoder vs input)',
      '  1 x kl(z_mean, z_log_var)',
    ]);
    const model = new Autoencoder(new JsKernels('f32'), classifierOnReconstruction());
    expect(summaryText(model)).toContain('  1 x sparse_categorical_crossentropy(classifier vs label) "classification"');
  });
});

it('a loss name is plain text (summaries print it)', () => {
  const a = classifierOnReconstruction();
  a.graph!.losses[0]!.name = 'evil\u001b[2J';
  expect(() => new Autoencoder(new JsKernels('f32'), a)).toThrow(/losses\[0\]\.name must be 1\.\.64 letters, digits, spaces or _ \. -, got "evil\\u001b\[2J"/);
});

describe('duplicate keys in the JSON text', () => {
  it('a part, an edge or a key named twice is refused (JSON.parse would keep the last silently)', async () => {
    const { duplicateJsonKey } = await import('../../src/models/json-duplicates.js');
    expect(duplicateJsonKey('{"a": 1, "b": {"a": 2}, "c": [{"a": 1}, {"a": 2}]}')).toBeUndefined();
    expect(duplicateJsonKey('{"a": 1, "b": 2, "a": 3}')).toBe('a');
    expect(duplicateJsonKey('{"x": {"k": "\\"a\\"", "\\u006b": 1}}')).toBe('k');
    expect(duplicateJsonKey('{"s": "{\\"a\\": 1, \\"a\\": 2}"}')).toBeUndefined();
    const text = JSON.stringify(classifierOnReconstruction());
    const twicePart = text.replace('"classifier":[', '"classifier":[{"class_name":"Flatten","config":{}}],"classifier":[');
    expect(() => architectureFromJson(twicePart, 'g.json')).toThrow(FormatError);
    expect(() => architectureFromJson(twicePart, 'g.json')).toThrow(/g\.json: the architecture names "classifier" twice in one object/);
    const kernels = new JsKernels('f32');
    const file = encodeModel(new Autoencoder(kernels, classifierOnReconstruction()), { loss: 'mse', optimizer: { name: 'adam' }, noise: 0, l1: 0, beta: 1, seed: 1 });
    const twiceEdge = text.replace('"classifier":"decoder"', '"classifier":"decoder","classifier":"encoder"');
    expect(twiceEdge).not.toBe(text);
    expect(() => decodeModel(edit(file, (_t, md) => (md['architecture'] = twiceEdge)), kernels, 'm.safetensors')).toThrow(/m\.safetensors: __metadata__ "architecture" names "classifier" twice in one object/);
  });
});

describe('the backward schedule', () => {
  it('the default VAE wiring runs as the fixed chain did; other graphs order their writers as documented', async () => {
    const { topology } = await import('../../src/models/graph-topology.js');
    const { defaultGraph } = await import('../../src/models/graph-record.js');
    const g = defaultGraph('vae', { loss: 'bce', l1: 0.1, beta: 2 });
    const t = topology(['encoder', 'z_mean', 'z_log_var', 'decoder'], g);
    expect(t.forward).toEqual(['encoder', 'z_mean', 'z_log_var', 'sample(z_mean,z_log_var)', 'decoder']);
    expect(t.backward).toEqual([{ loss: 0 }, { run: 'decoder' }, { run: 'sample(z_mean,z_log_var)' }, { loss: 1 }, { loss: 2 }, { run: 'z_mean' }, { run: 'z_log_var' }, { run: 'encoder' }]);
    expect(t.writers.get('z_mean')).toEqual(['sample(z_mean,z_log_var)', 'loss 1', 'loss 2']);
    expect(t.writers.get('encoder')).toEqual(['z_mean', 'z_log_var']);
    const v = vaeWithClassifier().graph!;
    const tv = topology(['encoder', 'z_mean', 'z_log_var', 'classifier', 'decoder'], v);
    // The classifier writes z_mean's gradient first: the sampling adds after it.
    expect(tv.writers.get('z_mean')).toEqual(['classifier', 'sample(z_mean,z_log_var)', 'loss 1']);
    expect(tv.writers.get('classifier')).toEqual(['loss 2', 'loss 3']);
  });
});

it('a concatenation counts against the limits before anything reads it', () => {
  const a = <Architecture>(<unknown>{
    kind: 'autoencoder',
    input_shape: [1000],
    parts: { encoder: [{ class_name: 'Dense', config: { units: 2, activation: 'relu' } }], decoder: [{ class_name: 'Dense', config: { units: 1000, activation: 'sigmoid' } }] },
    graph: {
      inputs: { encoder: 'input', decoder: { concat: ['input', 'encoder', 'label'] } },
      labels: 998,
      code: 'encoder',
      output: 'decoder',
      losses: [{ kind: 'mse', output: 'decoder', target: 'input', weight: 1 }],
    },
  });
  const text = JSON.stringify(a);
  expect(architectureFromJson(text, 'big.json').graph).toEqual(a.graph);
  expect(() => architectureFromJson(text, 'big.json', { maxValuesPerLayer: 1999 })).toThrow(ShapeError);
  expect(() => architectureFromJson(text, 'big.json', { maxValuesPerLayer: 1999 })).toThrow(/^big\.json: graph edge concat\(input,encoder,label\) outputs \[2000\], 2000 values per sample, over the limit of 1999 \(maxValuesPerLayer\)$/);
  expect(() => architectureFromJson(text, 'big.json', { maxActivationValues: 2001 })).toThrow(/^big\.json: graph edge concat\(input,encoder,label\) brings the plan to 2002 values per sample, over the limit of 2001 \(maxActivationValues\)$/);
});

it('the number of parts has a limit (maxParts)', () => {
  const text = JSON.stringify(twoBranch());
  expect(architectureFromJson(text, 'g.json', { maxParts: 3 }).parts).toHaveProperty('b');
  expect(() => architectureFromJson(text, 'g.json', { maxParts: 2 })).toThrow(/^g\.json: the graph has 3 parts, over the limit of 2 \(maxParts\)$/);
});
