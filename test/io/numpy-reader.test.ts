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
