// Model files written before the graph of parts (test/fixtures/preset-fixtures.ts, one per
// preset and trainer-side variant) still load and give byte-identical outputs, and every
// preset still trains to byte-identical weights and losses, on the baseline WASM build and
// on the float32 JS spec.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { JsKernels } from '../../src/kernels/js.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { createKernels } from '../../src/kernels/node.js';
import { decodeModel } from '../../src/models/model-file.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { defaultGraph } from '../../src/models/graph-record.js';
import { PRESETS } from '../../src/models/presets.js';
import { FIXTURE_CASES, FIXTURE_DIR, fixtureModel, inferenceOutputs, trainingOutputs } from '../fixtures/preset-fixtures.js';

const expected = JSON.parse(await readFile(new URL('expected.json', FIXTURE_DIR), 'utf8')) as Record<string, Record<string, { training: unknown; inference: unknown }>>;
const backends: [string, () => Promise<Kernels>][] = [
  ['wasm', () => createKernels({ backend: 'wasm', build: 'kernels.wasm' })],
  ['js', async () => new JsKernels('f32')],
];

it.each(FIXTURE_CASES.map((c) => [c.name, c] as const))('%s: the old model file loads and gives the same bytes (baseline WASM)', async (name) => {
  const kernels = await backends[0]![1]();
  const bytes = new Uint8Array(await readFile(new URL(`${name}.safetensors`, FIXTURE_DIR)));
  const { model } = decodeModel(bytes, kernels, `${name}.safetensors`);
  // 'wasm-file': what the old file gives with today's kernels (its weights came from the activations of its day).
  expect(inferenceOutputs(model)).toEqual(expected[name]!['wasm-file']!.inference);
  model.dispose();
});

describe.each(backends)('presets train as before the graph, on %s', (backend, make) => {
  it.each(FIXTURE_CASES.map((c) => [c.name, c] as const))('%s: same losses, weights and outputs', async (name, c) => {
    const kernels = await make();
    const model = fixtureModel(kernels, c);
    expect(await trainingOutputs(model, c)).toEqual(expected[name]![backend]!.training);
    expect(inferenceOutputs(model)).toEqual(expected[name]![backend]!.inference);
    model.dispose();
  });
});

// Every preset is a graph: written out explicitly (the default wiring with the trainer's
// loss terms as the record's own), it trains to the same bytes as the record without it.
// (ae-classifier's record carries its graph already.)
describe.each(backends)('presets written as explicit graphs train as before, on %s', (backend, make) => {
  // A labelled preset's record carries its graph already.
  it.each(FIXTURE_CASES.filter((c) => !PRESETS[c.preset]!.labelled).map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const kernels = await make();
    const arch = fixtureModel(kernels, c).architecture;
    const graph = defaultGraph(arch.kind, { loss: c.train.loss!, l1: c.train.l1, beta: c.train.beta });
    const model = new Autoencoder(kernels, { ...arch, graph }).initialize(9);
    // Training and the validation loss run the same kernels. Test MSE and inference may not:
    // the default wiring fuses a sigmoid with BCE only when the caller's loss says bce, a
    // graph whenever its own term is bce (the same values, rounded through the logits).
    const got = (await trainingOutputs(model, c)) as { weights: string; history: { loss: number; val_loss: number }[] };
    const want = expected[name]![backend]!.training as typeof got;
    expect(got.weights).toBe(want.weights);
    expect(got.history.map((e) => [e.loss, e.val_loss])).toEqual(want.history.map((e) => [e.loss, e.val_loss]));
    model.dispose();
  });
});
