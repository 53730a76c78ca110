// Export then import: every model of the export oracle tests (export-fixtures.ts: every
// preset, odd shapes, BatchNormalization, the identity layers, each activation TF.js has)
// written as a TF.js Layers model by exportTfjs and read back by the import reconstructs as
// the original does (max abs difference <= 1e-6: the same kernels on the same weights; a
// leaky_relu activation comes back as a linear layer and a LeakyReLU layer), with every
// weight bit for bit where it was.
import { describe, expect, it } from 'vitest';
import { exportTfjs } from '../../src/interop/export-tfjs.js';
import { importKerasModel } from '../../src/interop/import-model.js';
import { readTfjsModel } from '../../src/interop/tfjs-import.js';
import { maxAbsDiff, jsKernels } from '../helpers.js';
import { CASES, randomModel, reference } from './export-fixtures.js';

/** Cases TF.js Layers cannot express (export refuses them, naming the layer). */
const TFJS_MISSING = new Set(['activation exponential', 'activation gelu_approximate', 'ELU layer with alpha 0.7']);

describe('exportTfjs then import gives the model back', () => {
  const kernels = jsKernels();
  CASES.forEach((c, ci) => {
    it.skipIf(TFJS_MISSING.has(c.name))(c.name, async () => {
      const model = randomModel(kernels, c.arch, ci + 1);
      try {
        const { modelJson, weights } = exportTfjs(model);
        const artifacts = await readTfjsModel(new TextEncoder().encode(JSON.stringify(modelJson)), 'export/model.json', async () => weights);
        const back = importKerasModel(kernels, artifacts, 'export/model.json').model;
        try {
          const ref = reference(model, 'all', 3, 200 + ci);
          expect(maxAbsDiff(back.reconstruct(ref.input), ref.outputs['reconstruction']!)).toBeLessThanOrEqual(1e-6);
          // Every weight of the original is somewhere in the import, unchanged (names differ where parts were re-split).
          const mine = model.params.list.filter((p) => !(model.kind === 'vae' && p.name.startsWith('z_log_var.'))).map((p) => Array.from(model.params.read(p)).join(','));
          const theirs = new Set(back.params.list.map((p) => Array.from(back.params.read(p)).join(',')));
          for (const values of mine) expect(theirs.has(values)).toBe(true);
        } finally {
          back.dispose();
        }
      } finally {
        model.dispose();
      }
    });
  });
});
