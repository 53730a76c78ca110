// Other tools can read our files: runs the numpy reader from src/io/README-snippet.md,
// verbatim, on a file from encodeSafetensors. Skipped (visibly) without python3 + numpy.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { encodeSafetensors } from '../../src/io/safetensors.js';

const SNIPPET = fileURLToPath(new URL('../../src/io/README-snippet.md', import.meta.url));
const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

/** Prints what the snippet read, as JSON. */
const DRIVER = `
import sys
tensors, metadata = read_safetensors(sys.argv[1])
print(json.dumps({
    "metadata": metadata,
    "tensors": {k: {"dtype": str(v.dtype), "shape": list(v.shape), "values": v.ravel().tolist()} for k, v in tensors.items()},
}))
`;

const title = 'the README numpy snippet reads a file we wrote';
it.skipIf(!hasNumpy)(hasNumpy ? title : `${title} (SKIPPED: python3 with numpy not found)`, async () => {
  const markdown = await readFile(SNIPPET, 'utf8');
  // The first python block is the reader; later blocks are usage examples.
  const reader = /```python\n([\s\S]*?)```/.exec(markdown)?.[1];
  expect(reader, 'a ```python block in README-snippet.md').toBeDefined();

  const kernel = Float32Array.from({ length: 12 }, (_, i) => (i - 5.5) / 3);
  const architecture = JSON.stringify({ kind: 'autoencoder', input_shape: [28, 28, 1] });
  const bytes = encodeSafetensors(
    [
      { name: 'encoder.1.kernel', dtype: 'F32', shape: [4, 3], data: kernel },
      { name: 'encoder.1.bias', dtype: 'F32', shape: [3], data: new Float32Array([0.5, -1, 2]) },
      { name: 'mask', dtype: 'U8', shape: [5], data: new Uint8Array([0, 1, 2, 254, 255]) },
      { name: 'scale', dtype: 'F32', shape: [], data: new Float32Array([0.1]) },
      { name: 'empty', dtype: 'F32', shape: [0], data: new Float32Array(0) },
      { name: 'decoder.0.bias', dtype: 'F32', shape: [2], data: new Float32Array([3, 4]) },
    ],
    { format: 'ae-wasm/1', architecture },
  );
  const dir = await mkdtemp(join(tmpdir(), 'ae-wasm-numpy-'));
  try {
    const file = join(dir, 'model.safetensors');
    await writeFile(file, bytes);
    const run = spawnSync('python3', ['-c', reader + DRIVER, file], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const got = JSON.parse(run.stdout);
    expect(got.metadata).toEqual({ format: 'ae-wasm/1', architecture });
    // float32 -> Python float is exact, so values compare with toEqual.
    expect(got.tensors).toEqual({
      'encoder.1.kernel': { dtype: 'float32', shape: [4, 3], values: Array.from(kernel) },
      'encoder.1.bias': { dtype: 'float32', shape: [3], values: [0.5, -1, 2] },
      mask: { dtype: 'uint8', shape: [5], values: [0, 1, 2, 254, 255] },
      scale: { dtype: 'float32', shape: [], values: [Math.fround(0.1)] },
      empty: { dtype: 'float32', shape: [0], values: [] },
      'decoder.0.bias': { dtype: 'float32', shape: [2], values: [3, 4] },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const forwardTitle = "the README's numpy forward pass applies the model file's preprocessing as the library does";
it.skipIf(!hasNumpy)(hasNumpy ? forwardTitle : `${forwardTitle} (SKIPPED: python3 with numpy not found)`, async () => {
  const { Autoencoder } = await import('../../src/models/autoencoder.js');
  const { encodeModel } = await import('../../src/models/model-file.js');
  const { presetArchitecture } = await import('../../src/models/presets.js');
  const { fitNormalization } = await import('../../src/data/normalize.js');
  const { jsKernels } = await import('../helpers.js');
  const { trainingRecord } = await import('../models/model-fixtures.js');
  const markdown = await readFile(README, 'utf8');
  const blocks = [...markdown.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1]!);
  // One block: the reader, then the forward pass that uses it.
  const forward = blocks.find((b) => b.includes('def read_safetensors') && b.includes('def preprocess'));
  expect(forward, 'the README python block with the reader and the forward pass').toBeDefined();
  // The block reads runs/dense/model.safetensors and random pixels: point it at our file and pixels.
  const driven = forward!
    .replace('"runs/dense/model.safetensors"', 'sys.argv[1]')
    .replace('np.random.randint(0, 256, (1, 28, 28, 1)).astype(np.float32)', 'np.array(json.loads(sys.argv[2]), dtype=np.float32).reshape(1, 28, 28, 1)');
  expect(driven).toContain('sys.argv[2]');
  const js = jsKernels();
  const model = new Autoencoder(js, presetArchitecture('dense')).initialize(5);
  model.training = trainingRecord('dense');
  const train = Float64Array.from({ length: 30 * 784 }, (_, i) => ((i * 7919) % 256) * (i % 784 === 3 ? 0 : 1));
  model.preprocessing = fitNormalization('standard', train, [28, 28, 1]);
  const pixels = Float32Array.from({ length: 784 }, (_, i) => (i * 31) % 256);
  const expected = model.denormalize(model.reconstruct(model.normalize(pixels)));
  const dir = await mkdtemp(join(tmpdir(), 'ae-wasm-numpy-'));
  try {
    const file = join(dir, 'model.safetensors');
    await writeFile(file, encodeModel(model));
    const script = `import sys\n${driven}\nprint(json.dumps(recon_pixels.ravel().tolist()))\n`;
    const run = spawnSync('python3', ['-c', script, file, JSON.stringify(Array.from(pixels))], { encoding: 'utf8', maxBuffer: 1 << 24 });
    expect(run.stderr).toBe('');
    const got = JSON.parse(run.stdout) as number[];
    expect(got).toHaveLength(784);
    // float32 in both, summed in different orders: agreement to a few units of float32 rounding.
    for (let i = 0; i < 784; i++) expect(Math.abs(got[i]! - expected[i]!), `value ${i}`).toBeLessThan(1e-3 * (1 + Math.abs(expected[i]!)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const graphTitle = "the README's numpy graph runner gives a graph model's reconstruction and its classifier's logits as the library does";
it.skipIf(!hasNumpy)(hasNumpy ? graphTitle : `${graphTitle} (SKIPPED: python3 with numpy not found)`, async () => {
  const { Autoencoder } = await import('../../src/models/autoencoder.js');
  const { encodeModel } = await import('../../src/models/model-file.js');
  const { jsKernels } = await import('../helpers.js');
  const { trainingRecord } = await import('../models/model-fixtures.js');
  const { classifierOnReconstruction, twoBranch } = await import('../models/graph-fixtures.js');
  const { RandomStream } = await import('../../src/random/streams.js');
  const markdown = await readFile(README, 'utf8');
  const blocks = [...markdown.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const reader = blocks.find((b) => b.includes('def read_safetensors') && b.includes('def preprocess'))!;
  const graph = blocks.find((b) => b.includes('def run_graph'));
  expect(graph, 'the README python block with run_graph').toBeDefined();
  // The reader's functions, then our file and input in place of the README's, then the graph block.
  const functions = reader.slice(0, reader.indexOf('w, meta = read_safetensors('));
  const script = `import sys\n${functions}\nw, meta = read_safetensors(sys.argv[1])\nx = np.array(json.loads(sys.argv[2]), dtype=np.float32)\n${graph}\n` +
    'print(json.dumps({k: np.asarray(v).ravel().tolist() for k, v in values.items() if k not in ("input", "label")}))\n';
  const js = jsKernels();
  const dir = await mkdtemp(join(tmpdir(), 'ae-wasm-numpy-'));
  try {
    for (const arch of [twoBranch([6, 6, 1]), classifierOnReconstruction([6, 6, 1])]) {
      const model = new Autoencoder(js, arch).initialize(5);
      const file = join(dir, 'graph.safetensors');
      await writeFile(file, encodeModel(model, trainingRecord('graph')));
      const x = Float32Array.from({ length: 36 }, (_, i) => ((i * 7) % 11) / 10);
      const run = spawnSync('python3', ['-c', script, file, JSON.stringify(Array.from(x))], { encoding: 'utf8', maxBuffer: 1 << 24 });
      expect(run.stderr).toBe('');
      const got = JSON.parse(run.stdout) as Record<string, number[]>;
      const expected = model.reconstruct(x);
      expect(got['decoder']).toHaveLength(36);
      for (let i = 0; i < 36; i++) expect(Math.abs(got['decoder']![i]! - expected[i]!), `value ${i}`).toBeLessThan(1e-5);
      const code = model.encode(x);
      const codePart = arch.graph!.code;
      for (let i = 0; i < code.length; i++) expect(Math.abs(got[codePart]![i]! - code[i]!), `code ${i}`).toBeLessThan(1e-5);
      if (model.chains.has('classifier')) {
        const g = model.compile({ batch: 1, training: false, loss: 'mse' });
        js.heap.write(g.input.offset, x);
        g.forward({ kernels: js, training: false, noise: new RandomStream(0) }, 1);
        const logits = js.heap.read(g.valueOf('classifier').offset, 3);
        expect(got['classifier']).toHaveLength(3);
        for (let i = 0; i < 3; i++) expect(Math.abs(got['classifier']![i]! - logits[i]!), `logit ${i}`).toBeLessThan(1e-5);
        g.release();
      }
      model.dispose();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
