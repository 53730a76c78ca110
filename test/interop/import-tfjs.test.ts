// TF.js Layers import against tfjs-layers 4.22 itself: each model of import-fixtures.ts is
// built in TF.js with random weights, saved to model.json + three shards in a temp dir,
// imported, and our reconstruction on random inputs compared with TF.js' predict on the
// WASM and JS backends: max abs difference <= 1e-5 (outputs are O(1); float32 sums in
// another order differ by a few ulps).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importKerasModel } from '../../src/interop/import-model.js';
import { readTfjsModel } from '../../src/interop/tfjs-import.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { decodeModel, encodeModel } from '../../src/models/model-file.js';
import { jsKernels, maxAbsDiff, uniform, wasmKernels } from '../helpers.js';
import { dirReader, randomizeWeights, saveTfjs, TFJS_CASES } from './import-fixtures.js';

const TOL = 1e-5;
const N = 4;
let tmp: string;
let backends: { name: string; kernels: Kernels }[];
let worst = { diff: 0, where: '' };

beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = mkdtempSync(path.join(tmpdir(), 'ae-import-'));
  backends = [
    { name: 'wasm', kernels: await wasmKernels() },
    { name: 'js', kernels: jsKernels() },
  ];
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  console.log(`TF.js (tfjs-layers 4.22, cpu) predict vs imported ae-wasm: max abs difference ${worst.diff.toExponential(2)} (${worst.where})`);
});

describe('a model saved by TF.js model.save imports and reconstructs as TF.js predicts', () => {
  TFJS_CASES.forEach((c, ci) => {
    it(c.name, async () => {
      const tm = c.build();
      randomizeWeights(tm, ci + 1);
      const saved = await saveTfjs(tm, path.join(tmp, `case${ci}`));
      const size = c.shape.reduce((a, b) => a * b, 1);
      const input = Float32Array.from(uniform(N * size, 50 + ci, 0, 1));
      const x = tf.tensor(input, [N, ...c.shape]);
      const want = (tm.predict(x) as tf.Tensor).dataSync() as Float32Array;
      const bytes = new TextEncoder().encode(JSON.stringify(saved.json));
      for (const b of backends) {
        const artifacts = await readTfjsModel(bytes, saved.modelJson, dirReader(saved.dir));
        expect(artifacts.dialect).toBe('tfjs');
        const { model } = importKerasModel(b.kernels, artifacts, saved.modelJson);
        try {
          const d = maxAbsDiff(model.reconstruct(input), want);
          if (d > worst.diff) worst = { diff: d, where: `${c.name}, ${b.name}` };
          expect(d, `${b.name}: max abs difference`).toBeLessThanOrEqual(TOL);
          // The written file loads back to the same model (every command reads it so).
          const again = decodeModel(encodeModel(model), b.kernels, 'imported.safetensors').model;
          try {
            expect(maxAbsDiff(again.reconstruct(input), want)).toBeLessThanOrEqual(TOL);
          } finally {
            again.dispose();
          }
        } finally {
          model.dispose();
        }
      }
      tf.dispose(x);
      tm.dispose();
    });
  });
});
