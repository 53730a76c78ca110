// ONNX export against ONNX Runtime Web (its wasm backend, in Node): every preset and the odd
// shapes of export-fixtures.ts, each part, on random weights and inputs, must give our
// reconstruct / encode / decode within 1e-5; the file must be opset 17, IR 8, NHWC with
// cancelled Transpose pairs and explicit pads.
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnnxGraph, cancelTransposes, exportOnnx } from '../../src/interop/export-onnx.js';
import { fitNormalization } from '../../src/data/normalize.js';
import { presetArchitecture } from '../../src/models/presets.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { maxAbsDiff, wasmKernels } from '../helpers.js';
import { CASES, PARTS, randomModel, reference } from './export-fixtures.js';
import { readOnnx } from './onnx-reader.js';

const TOL = 1e-5;
let kernels: Kernels;
let worst = { diff: 0, where: '' };

beforeAll(async () => {
  kernels = await wasmKernels();
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
});

afterAll(() => {
  // The figure the README quotes.
  console.log(`ONNX Runtime Web vs ae-wasm: max abs difference ${worst.diff.toExponential(2)} (${worst.where})`);
});

async function runOnnx(bytes: Uint8Array, inputName: string, input: Float32Array, inShape: readonly number[]): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const n = input.length / inShape.reduce((a, b) => a * b, 1);
    const result = await session.run({ [inputName]: new ort.Tensor('float32', input, [n, ...inShape]) });
    return Object.fromEntries(Object.entries(result).map(([k, t]) => [k, t.data as Float32Array]));
  } finally {
    await session.release();
  }
}

describe('exportOnnx runs in ONNX Runtime as ae-wasm does', () => {
  CASES.forEach((c, ci) => {
    it.each(PARTS)(`${c.name}: part %s`, async (part) => {
      const model = randomModel(kernels, c.arch, ci + 1);
      try {
        const ref = reference(model, part, 3, 100 + ci);
        const bytes = exportOnnx(model, { part });
        const got = await runOnnx(bytes, part === 'decoder' ? 'code' : 'input', ref.input, ref.inShape);
        expect(Object.keys(got).sort()).toEqual(Object.keys(ref.outputs).sort());
        for (const [name, want] of Object.entries(ref.outputs)) {
          const d = maxAbsDiff(got[name]!, want);
          if (d > worst.diff) worst = { diff: d, where: `${c.name}, ${part}, ${name}` };
          expect(d, `${name}: max abs difference`).toBeLessThanOrEqual(TOL);
        }
      } finally {
        model.dispose();
      }
    });
  });
});

describe('the ONNX file', () => {
  it('is opset 17, IR version 8, NHWC with a symbolic batch, named by ae-wasm', () => {
    const model = randomModel(kernels, presetArchitecture('vae'), 1);
    const m = readOnnx(exportOnnx(model, { part: 'encoder' }));
    expect(m.irVersion).toBe(8);
    expect(m.opsets).toEqual([{ domain: '', version: 17 }]);
    expect(m.producer).toBe('ae-wasm');
    expect(m.inputs).toEqual([{ name: 'input', dims: ['N', 28, 28, 1] }]);
    expect(m.outputs).toEqual([{ name: 'z_mean', dims: ['N', 2] }, { name: 'z_log_var', dims: ['N', 2] }]);
    expect(m.metadata.get('ae-wasm.part')).toBe('encoder');
    expect(JSON.parse(m.metadata.get('ae-wasm.architecture')!)).toEqual(model.architecture);
    // Dense on a 2-D input is one Gemm; the kernel stays [in, out].
    expect(m.nodes.filter((n) => n.op === 'Gemm')).toHaveLength(3);
    expect(m.initializers.find((t) => t.name === 'encoder.1.kernel')!.dims).toEqual([784, 512]);
    model.dispose();
  });

  it('cancels adjacent NHWC <-> NCHW Transpose pairs: a run of conv-family ops transposes once each way', () => {
    const counts = (preset: string, part: 'all' | 'encoder' | 'decoder'): { transposes: number; cancelled: number } => {
      const model = randomModel(kernels, presetArchitecture(preset), 1);
      const g = buildOnnxGraph(model, { part });
      model.dispose();
      return { transposes: g.model.nodes.filter((n) => n.op === 'Transpose').length, cancelled: g.cancelledTransposes };
    };
    // conv: 5 wrapped convs (10 Transposes) across encoder and decoder -> 2; 4 pairs cancelled.
    expect(counts('conv', 'all')).toEqual({ transposes: 2, cancelled: 4 });
    expect(counts('conv', 'encoder')).toEqual({ transposes: 2, cancelled: 1 });
    // deep-conv: 13 conv / pool / upsample ops (26 Transposes) -> 2; 12 pairs cancelled.
    expect(counts('deep-conv', 'all')).toEqual({ transposes: 2, cancelled: 12 });
    expect(counts('dense', 'all')).toEqual({ transposes: 0, cancelled: 0 });
  });

  it('pushes a Transpose through elementwise steps before cancelling, and keeps non-inverse pairs', () => {
    const t = (perm: number[]) => ({ kind: 'transpose' as const, perm, prefix: 'p' });
    const e = { kind: 'elementwise' as const, emit: (_g: unknown, x: string) => x };
    const op = { kind: 'op' as const, emit: (_g: unknown, x: string) => x };
    expect(cancelTransposes([op, t([0, 3, 1, 2]), e, e, t([0, 2, 3, 1]), op]).cancelled).toBe(1);
    expect(cancelTransposes([op, t([0, 3, 1, 2]), e, e, t([0, 2, 3, 1]), op]).steps).toEqual([op, e, e, op]);
    // [0, 3, 1, 2] twice is not the identity.
    expect(cancelTransposes([t([0, 3, 1, 2]), t([0, 3, 1, 2])]).cancelled).toBe(0);
    // An op between them blocks cancellation.
    expect(cancelTransposes([t([0, 3, 1, 2]), op, t([0, 2, 3, 1])]).steps).toHaveLength(3);
  });

  it("writes Keras 'same' as explicit asymmetric pads, never auto_pad, and ConvTranspose output_padding for k < stride", () => {
    const c = CASES.find((x) => x.name.startsWith('conv-family'))!;
    const model = randomModel(kernels, c.arch, 1);
    const m = readOnnx(exportOnnx(model));
    model.dispose();
    for (const n of m.nodes) expect(n.attrs.has('auto_pad'), n.op).toBe(false);
    const convs = m.nodes.filter((n) => n.op === 'Conv');
    // 4x4 stride 2 'same' on 12x20: total padding 2 each way -> [1, 1, 1, 1]; the 'valid' conv has none.
    expect(convs[0]!.attrs.get('pads')!.ints).toEqual([1, 1, 1, 1]);
    expect(convs[1]!.attrs.get('pads')!.ints).toEqual([0, 0, 0, 0]);
    // 3x3 stride 2 'same' pool on 4x5: total padding 1 in height (after), 2 in width (1 + 1).
    expect(m.nodes.find((n) => n.op === 'MaxPool')!.attrs.get('pads')!.ints).toEqual([0, 1, 1, 1]);
    const t = CASES.find((x) => x.name.startsWith('Conv2DTranspose'))!;
    const tm = randomModel(kernels, t.arch, 1);
    const deconvs = readOnnx(exportOnnx(tm)).nodes.filter((n) => n.op === 'ConvTranspose');
    tm.dispose();
    // k 1 < s 3, 'same': no padding, 2 extra rows / columns at the end.
    expect(deconvs[0]!.attrs.get('output_padding')!.ints).toEqual([2, 2]);
    // k 3 > s 2, 'same': crop 1 in total per axis, the smaller half (0) first.
    expect(deconvs[2]!.attrs.get('pads')!.ints).toEqual([0, 0, 1, 1]);
  });

  it("records the model's preprocessing in metadata_props (inputs and outputs stay in the model's space)", () => {
    const model = randomModel(kernels, presetArchitecture('dense', { inputShape: [2, 2, 1], latent: 1 }), 1);
    const data = Float32Array.of(0, 1, 2, 3, 4, 1, 2, 5, 8, 1, 2, 7);
    model.preprocessing = fitNormalization('minmax', data, [2, 2, 1]);
    const meta = JSON.parse(readOnnx(exportOnnx(model)).metadata.get('ae-wasm.preprocessing')!);
    expect(meta).toMatchObject({ kind: 'minmax', offset: [0, 1, 2, 3], divisor: [8, 1, 1, 4] });
    model.dispose();
    const plain = randomModel(kernels, presetArchitecture('dense'), 1);
    expect(readOnnx(exportOnnx(plain)).metadata.has('ae-wasm.preprocessing')).toBe(false);
    plain.dispose();
  });

  it('refuses an unknown part, and a layer class without an ONNX form names its part, index and class', () => {
    const model = randomModel(kernels, presetArchitecture('dense'), 1);
    expect(() => exportOnnx(model, { part: 'middle' as 'all' })).toThrow(/part must be one of encoder, decoder, all, got "middle"/);
    // A record edited after loading: the export reads the record, so it meets the stranger.
    (model.architecture.parts.decoder as unknown[]).push({ class_name: 'Softmax', config: {} });
    expect(() => exportOnnx(model)).toThrow(/decoder layer 2: unknown layer class "Softmax"/);
    model.dispose();
  });
});
