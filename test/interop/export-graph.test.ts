// Export of models whose record is a graph of parts (export-fixtures.ts GRAPH_CASES:
// ae-classifier, cvae, a classifier on an encoder, a branchy graph imported from TF.js), each
// part, against both runtimes: ONNX Runtime Web (wasm, in Node) and tf.loadLayersModel (cpu)
// must give our reconstruct / encode / decode / predict on random inputs and labels within
// 1e-5; the TF.js export re-imports with ae-wasm import to the same outputs within 1e-6.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, FormatError } from '../../src/errors.js';
import { buildOnnxGraph, exportOnnx } from '../../src/interop/export-onnx.js';
import { exportParts, exportPlan } from '../../src/interop/export-parts.js';
import { exportTfjs } from '../../src/interop/export-tfjs.js';
import { importKerasModel } from '../../src/interop/import-model.js';
import { readTfjsModel } from '../../src/interop/tfjs-import.js';
import { JsKernels } from '../../src/kernels/js.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import type { Autoencoder } from '../../src/models/autoencoder.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { maxAbsDiff, wasmKernels } from '../helpers.js';
import { trainingRecord } from '../models/model-fixtures.js';
import { CASES, GRAPH_CASES, graphReference, randomModel, type Feed } from './export-fixtures.js';
import { readOnnx } from './onnx-reader.js';
import { memoryHandler } from './tfjs-memory.js';

const TOL = 1e-5;
const REIMPORT_TOL = 1e-6;
let kernels: Kernels;
const worst = { onnx: { diff: 0, where: '' }, tfjs: { diff: 0, where: '' }, reimport: { diff: 0, where: '' } };

beforeAll(async () => {
  kernels = await wasmKernels();
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
});

afterAll(() => {
  // The figures the README quotes.
  for (const [k, w] of Object.entries(worst)) console.log(`graph export, ${k} vs ae-wasm: max abs difference ${w.diff.toExponential(2)} (${w.where})`);
});

function compare(which: keyof typeof worst, where: string, got: Record<string, ArrayLike<number>>, want: Record<string, Float32Array>, tol: number): void {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [name, w] of Object.entries(want)) {
    const d = maxAbsDiff(got[name]!, w);
    if (d > worst[which].diff) worst[which] = { diff: d, where: `${where}, ${name}` };
    expect(d, `${where}, ${name}: max abs difference`).toBeLessThanOrEqual(tol);
  }
}

async function runOnnx(bytes: Uint8Array, feeds: Feed[]): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const n = feeds[0]!.data.length / feeds[0]!.shape.reduce((a, b) => a * b, 1);
    const result = await session.run(Object.fromEntries(feeds.map((f) => [f.name, new ort.Tensor('float32', f.data, [n, ...f.shape])])));
    return Object.fromEntries(Object.entries(result).map(([k, t]) => [k, t.data as Float32Array]));
  } finally {
    await session.release();
  }
}

async function runTfjs(model: Autoencoder, part: (typeof GRAPH_CASES)[number]['parts'][number], feeds: Feed[]): Promise<Record<string, Float32Array>> {
  const exported = exportTfjs(model, { part });
  const topo = exported.modelJson.modelTopology as { config: { input_layers: [string, number, number][] } };
  // TF.js takes inputs in input_layers order and returns outputs in output_layers order; the metadata names them.
  expect(topo.config.input_layers.map((i) => i[0])).toEqual(feeds.map((f) => f.name));
  const order = JSON.parse(exported.modelJson.userDefinedMetadata['ae-wasm.outputs']!) as string[];
  const tm = await tfl.loadLayersModel(memoryHandler(exported), { strict: true });
  const n = feeds[0]!.data.length / feeds[0]!.shape.reduce((a, b) => a * b, 1);
  const xs = feeds.map((f) => tf.tensor(f.data, [n, ...f.shape]));
  const y = tm.predict(xs.length === 1 ? xs[0]! : xs);
  const ys = Array.isArray(y) ? y : [y];
  const out = Object.fromEntries(order.map((name, i) => [name, ys[i]!.dataSync() as Float32Array]));
  tf.dispose([...xs, ...ys]);
  tm.dispose();
  return out;
}

describe('graph-of-parts exports run in ONNX Runtime and TF.js as ae-wasm does', () => {
  GRAPH_CASES.forEach((c, ci) => {
    it.each(c.parts)(`${c.name}: part %s`, async (part) => {
      const model = await c.build(kernels, ci + 1);
      try {
        expect(exportParts(model)).toEqual(['encoder', 'decoder', 'all', 'classifier'].filter((p) => (c.parts as string[]).includes(p)));
        const ref = graphReference(model, part, 5, 300 + ci);
        compare('onnx', `${c.name}, ${part}`, await runOnnx(exportOnnx(model, { part }), ref.feeds), ref.outputs, TOL);
        compare('tfjs', `${c.name}, ${part}`, await runTfjs(model, part, ref.feeds), ref.outputs, TOL);
      } finally {
        model.dispose();
      }
    });
  });
});

describe('a graph exported to TF.js re-imports with ae-wasm import', () => {
  GRAPH_CASES.forEach((c, ci) => {
    const what = c.reimportRefused ? 'is refused, saying why' : `reconstructs and predicts as the original, split at the layer its metadata names${c.codeLayer ? ` (${c.codeLayer})` : ''}`;
    it(`${c.name}: ${what}`, async () => {
      const model = await c.build(kernels, ci + 1);
      try {
        const { modelJson, weights } = exportTfjs(model);
        const artifacts = await readTfjsModel(new TextEncoder().encode(JSON.stringify(modelJson)), 'export/model.json', async () => weights);
        expect(artifacts.codeLayer).toBeDefined();
        expect(modelJson.userDefinedMetadata['ae-wasm.code']).toBe(artifacts.codeLayer);
        if (c.codeLayer) expect(artifacts.codeLayer).toBe(c.codeLayer);
        if (c.reimportRefused) {
          expect(() => importKerasModel(kernels, artifacts, 'export/model.json')).toThrow(c.reimportRefused);
          return;
        }
        const imported = importKerasModel(kernels, artifacts, 'export/model.json');
        expect(imported.code).toEqual({ layer: artifacts.codeLayer, rule: 'the export\'s "ae-wasm.code" metadata' });
        const back = imported.model;
        try {
          const ref = graphReference(model, 'all', 5, 400 + ci);
          const input = ref.feeds[0]!.data;
          const got: Record<string, Float32Array> = {};
          expect(back.readsLabels).toBe(model.readsLabels);
          if (ref.outputs['reconstruction']) got['reconstruction'] = back.reconstruct(input, ref.labels);
          if (ref.outputs['probabilities']) got['probabilities'] = back.predict(input, ref.labels);
          compare('reimport', c.name, got, ref.outputs, REIMPORT_TOL);
          if (model.decoderReadsLabels) {
            // A conditional decoder comes back as one: decode(codes, labels) of the import is the original's.
            const dec = graphReference(model, 'decoder', 5, 500 + ci);
            expect(back.decoderReadsLabels).toBe(true);
            compare('reimport', `${c.name}, decode`, { reconstruction: back.decode(dec.feeds[0]!.data, dec.labels) }, dec.outputs, REIMPORT_TOL);
          }
        } finally {
          back.dispose();
        }
      } finally {
        model.dispose();
      }
    });
  });
});

describe('the "ae-wasm.code" metadata of a TF.js export', () => {
  const withCode = async (code: unknown) => {
    const model = randomModel(kernels, presetArchitecture('ae-classifier', { inputShape: [4, 4, 1], labels: 3 }), 1);
    try {
      const { modelJson, weights } = exportTfjs(model);
      const json = { ...modelJson, userDefinedMetadata: { ...modelJson.userDefinedMetadata, 'ae-wasm.code': code } };
      return { bytes: new TextEncoder().encode(JSON.stringify(json)), weights };
    } finally {
      model.dispose();
    }
  };
  it('--encoder-output wins over it', async () => {
    const { bytes, weights } = await withCode('encoder_2');
    const artifacts = await readTfjsModel(bytes, 'm/model.json', async () => weights);
    const imported = importKerasModel(kernels, artifacts, 'm/model.json', { encoderOutput: 'encoder_1' });
    try {
      expect(imported.code).toEqual({ layer: 'encoder_1', rule: '--encoder-output' });
    } finally {
      imported.model.dispose();
    }
  });
  it('errors that are not about the split are not blamed on it (--kind of another model)', async () => {
    const { bytes, weights } = await withCode('encoder_2');
    const artifacts = await readTfjsModel(bytes, 'm/model.json', async () => weights);
    expect(() => importKerasModel(kernels, artifacts, 'm/model.json', { kind: 'vae' })).toThrow(ArgumentError);
    expect(() => importKerasModel(kernels, artifacts, 'm/model.json', { kind: 'vae' })).toThrow(/^--kind vae: /);
  });
  it('must be a layer name: another type, an empty or an overlong string is a FormatError naming the key', async () => {
    for (const [bad, what] of [[3, 'number'], [null, 'object'], ['', '0 characters'], ['x'.repeat(257), '257 characters']] as const) {
      const { bytes, weights } = await withCode(bad);
      await expect(readTfjsModel(bytes, 'm/model.json', async () => weights)).rejects.toThrow(
        new FormatError(`m/model.json: userDefinedMetadata["ae-wasm.code"] must be a layer name (1 to 256 characters), got ${what}`),
      );
    }
  });
  it('naming a layer that is not there (or the input) is a FormatError naming the metadata', async () => {
    for (const [name, why] of [['nope', /which cannot be: no such layer in m\/model.json; its layers are encoder_0, /], ['input', /which cannot be: no such layer/]] as const) {
      const { bytes, weights } = await withCode(name);
      const artifacts = await readTfjsModel(bytes, 'm/model.json', async () => weights);
      expect(() => importKerasModel(kernels, artifacts, 'm/model.json')).toThrow(FormatError);
      expect(() => importKerasModel(kernels, artifacts, 'm/model.json')).toThrow(new RegExp(`m/model.json: its metadata "ae-wasm.code" names the code layer "${name}", which cannot be: `));
      expect(() => importKerasModel(kernels, artifacts, 'm/model.json')).toThrow(why);
    }
  });
});

describe('ae-wasm import of a second input', () => {
  it('reads it as the label, a one-hot row; any other second input is refused naming the layer', async () => {
    const model = randomModel(kernels, presetArchitecture('cvae', { inputShape: [4, 4, 1], labels: 3 }), 1);
    try {
      const { modelJson, weights } = exportTfjs(model);
      const json = JSON.parse(JSON.stringify(modelJson)) as { modelTopology: { config: { layers: { name: string; config: Record<string, unknown> }[] } } };
      json.modelTopology.config.layers.find((l) => l.name === 'label')!.config['batch_input_shape'] = [null, 3, 1];
      const artifacts = await readTfjsModel(new TextEncoder().encode(JSON.stringify(json)), 'two/model.json', async () => weights);
      expect(() => importKerasModel(kernels, artifacts, 'two/model.json')).toThrow(/layer 1 \(label, InputLayer\): the second input is read as the label, a one-hot row \[classes\]; it is \[3, 1\]/);
    } finally {
      model.dispose();
    }
  });
});

describe('the graph export files', () => {
  it('cvae: two graph inputs (input, label one-hot), Concat on the last axis, z = z_mean; its decoder reads code and label', () => {
    const model = randomModel(kernels, presetArchitecture('cvae'), 1);
    try {
      const all = readOnnx(exportOnnx(model));
      expect(all.inputs).toEqual([{ name: 'input', dims: ['N', 28, 28, 1] }, { name: 'label', dims: ['N', 10] }]);
      expect(all.outputs).toEqual([{ name: 'reconstruction', dims: ['N', 28, 28, 1] }]);
      const concats = all.nodes.filter((n) => n.op === 'Concat');
      expect(concats.map((n) => [n.inputs, n.attrs.get('axis')!.i])).toEqual([[['flatten_output', 'label'], 1], [['z_mean_output', 'label'], 1]]);
      // No z_log_var in the reconstruction: z is the mean, as reconstruct decodes it.
      expect(all.initializers.some((t) => t.name.startsWith('z_log_var.'))).toBe(false);
      const enc = readOnnx(exportOnnx(model, { part: 'encoder' }));
      expect(enc.inputs.map((i) => i.name)).toEqual(['input', 'label']);
      expect(enc.outputs).toEqual([{ name: 'z_mean', dims: ['N', 2] }, { name: 'z_log_var', dims: ['N', 2] }]);
      const dec = readOnnx(exportOnnx(model, { part: 'decoder' }));
      expect(dec.inputs).toEqual([{ name: 'code', dims: ['N', 2] }, { name: 'label', dims: ['N', 10] }]);
      expect(dec.initializers.some((t) => /^(encoder|z_mean|z_log_var)\./.test(t.name))).toBe(false);
      expect(buildOnnxGraph(model, { part: 'decoder' }).model.docString).toMatch(/input label: the class as a one-hot float32 row \[N, 10\]/);
      const topo = exportTfjs(model).modelJson.modelTopology as { class_name: string; config: { input_layers: unknown[]; layers: { class_name: string; name: string; inbound_nodes: unknown }[] } };
      expect(topo.class_name).toBe('Model');
      expect(topo.config.input_layers).toEqual([['input', 0, 0], ['label', 0, 0]]);
      const concat = topo.config.layers.filter((l) => l.class_name === 'Concatenate');
      expect(concat.map((l) => [l.name, l.inbound_nodes])).toEqual([
        ['encoder_input', [[['flatten_0', 0, 0, {}], ['label', 0, 0, {}]]]],
        ['decoder_input', [[['z_mean_0', 0, 0, {}], ['label', 0, 0, {}]]]],
      ]);
    } finally {
      model.dispose();
    }
  });

  it('ae-classifier all: reconstruction and probabilities (a Softmax node on the classifier logits), the reconstruction feeding the classifier', () => {
    const model = randomModel(kernels, presetArchitecture('ae-classifier'), 1);
    try {
      const m = readOnnx(exportOnnx(model));
      expect(m.inputs.map((i) => i.name)).toEqual(['input']);
      expect(m.outputs).toEqual([{ name: 'reconstruction', dims: ['N', 28, 28, 1] }, { name: 'probabilities', dims: ['N', 10] }]);
      const softmax = m.nodes.filter((n) => n.op === 'Softmax');
      expect(softmax.map((n) => [n.inputs, n.outputs, n.attrs.get('axis')!.i])).toEqual([[['classifier_output'], ['probabilities'], 1]]);
      // The graph output named reconstruction is also what the classifier's Flatten reads.
      expect(buildOnnxGraph(model).model.nodes.find((n) => n.op === 'Flatten' && n.name.startsWith('classifier.0'))!.inputs).toEqual(['reconstruction']);
      const cls = exportPlan(model, { part: 'classifier' });
      expect(cls.outputs).toEqual([{ name: 'probabilities', shape: [10] }]);
      expect(cls.nodes.map((n) => (n.kind === 'chain' ? n.part : n.kind))).toEqual(['encoder', 'decoder', 'classifier', 'softmax']);
      const topo = exportTfjs(model).modelJson.modelTopology as { config: { output_layers: unknown[]; layers: { class_name: string; config: Record<string, unknown> }[] } };
      expect(topo.config.output_layers).toEqual([['decoder_1', 0, 0], ['probabilities', 0, 0]]);
      expect(topo.config.layers.at(-1)).toMatchObject({ class_name: 'Activation', config: { activation: 'softmax', name: 'probabilities' } });
    } finally {
      model.dispose();
    }
  });

  it('chain exports are byte for byte what they were before graphs (SHA-256 of files written by main at fee0724)', () => {
    // Same seeds as export-onnx.test.ts / export-tfjs.test.ts (case index + 1), on the JS baseline.
    const js = new JsKernels();
    const digest = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
    const of = (name: string) => randomModel(js, CASES.find((c) => c.name === name)!.arch, CASES.findIndex((c) => c.name === name) + 1);
    const conv = of('conv');
    const vae = of('vae');
    try {
      expect(digest(exportOnnx(conv))).toBe('4b9c838dcb22ba987ea81e1ab2dd2c3a63d856f1f3f895212aec354253623f16');
      expect(digest(exportOnnx(vae, { part: 'encoder' }))).toBe('a8c5748b626c4b24c21195c3b1a9fdf1b9cf233f13ef1976c2fb12b313802d7d');
      const t = exportTfjs(vae, { part: 'encoder' });
      // Since then the TF.js metadata names the code layer too (read back by ae-wasm import); all else is unchanged.
      const { ['ae-wasm.code']: code, ...metadata } = t.modelJson.userDefinedMetadata;
      expect(code).toBe('z_mean_0');
      expect([digest(JSON.stringify({ ...t.modelJson, userDefinedMetadata: metadata })), digest(t.weights)]).toEqual([
        '1433b1f21f33b7c3b0ca96f82749fffd6b9794bbf9fb07c6d919fe21e6de6129',
        'f3b250360293143fe39f584c5f0735352650fe40c66da26072a7f18741e6937a',
      ]);
    } finally {
      conv.dispose();
      vae.dispose();
    }
  });

  it('a graph record of the default wiring exports the chain it always did', () => {
    const arch = presetArchitecture('dense', { latent: 4 });
    const plain = randomModel(kernels, arch, 2);
    const graphed = randomModel(kernels, {
      ...arch,
      graph: { inputs: { encoder: 'input', decoder: 'encoder' }, code: 'encoder', output: 'decoder', losses: [{ kind: 'mse', output: 'decoder', target: 'input', weight: 2 }] },
    }, 2);
    try {
      for (const part of ['all', 'encoder', 'decoder'] as const) {
        const a = buildOnnxGraph(plain, { part }).model;
        const b = buildOnnxGraph(graphed, { part }).model;
        expect(b.nodes).toEqual(a.nodes);
        expect(b.initializers).toEqual(a.initializers);
        expect([b.inputs, b.outputs]).toEqual([a.inputs, a.outputs]);
      }
    } finally {
      plain.dispose();
      graphed.dispose();
    }
  });
});

describe('a part the model does not have', () => {
  it.each([
    ['cvae', 'classifier', /the model \(preset cvae, kind vae, a graph of parts flatten, encoder, z_mean, z_log_var, decoder\) has no part classifier: it has no classifier \(no part read by a sparse_categorical_crossentropy loss term\); its parts are encoder, decoder, all$/],
    ['dense', 'classifier', /the model \(preset dense, kind autoencoder\) has no part classifier: it has no classifier .*; its parts are encoder, decoder, all$/],
  ])('%s --part %s fails naming the kind and the valid parts', (preset, part, message) => {
    const model = randomModel(kernels, presetArchitecture(preset), 1);
    model.training = trainingRecord(preset);
    try {
      for (const run of [() => exportOnnx(model, { part: part as 'classifier' }), () => exportTfjs(model, { part: part as 'classifier' })]) {
        expect(run).toThrow(ArgumentError);
        expect(run).toThrow(message);
      }
    } finally {
      model.dispose();
    }
  });

  it.each([
    ['classifier on a conv encoder', /has no part decoder: its graph names no decoder part; its parts are encoder, all, classifier$/],
    ['imported branchy conv graph', /has no part decoder: its graph names no decoder part; its parts are encoder, all, classifier$/],
    ['vae graph, decoder reading', /has no part decoder: its decoder part decoder reads \[19\], not the code z_mean \[3\]; its parts are encoder, all$/],
  ])('%s: no decoder part (decode could not run either)', async (name, message) => {
    const model = await GRAPH_CASES.find((c) => c.name.startsWith(name))!.build(kernels, 1);
    try {
      for (const run of [() => exportOnnx(model, { part: 'decoder' }), () => exportTfjs(model, { part: 'decoder' })]) expect(run).toThrow(message);
      if (model.chains.has('decoder')) expect(() => model.decode(new Float32Array(model.codeSize))).toThrow(/decode needs a decoder part reading the code/);
    } finally {
      model.dispose();
    }
  });
});
