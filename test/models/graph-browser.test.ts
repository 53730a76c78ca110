// The browser loader runs graph models: a classifier on the reconstruction and two branches
// concatenated load from bytes (one thread, baseline build) and reconstruct exactly as the
// Node library does on the same build.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel as loadInBrowser } from '../../src/browser/index.js';
import { createKernels } from '../../src/kernels/node.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { encodeModel } from '../../src/models/model-file.js';
import { classifierOnReconstruction, labelled, twoBranch } from './graph-fixtures.js';
import { trainingRecord } from './model-fixtures.js';

const BUILD = path.join(import.meta.dirname, '../../build');

describe('browser loadModel on graph models', () => {
  it.each([
    ['classifier on the reconstruction', classifierOnReconstruction([28, 28, 1])],
    ['two branches', twoBranch([28, 28, 1])],
  ] as const)('%s: same outputs as Node, the graph in its info', async (_name, arch) => {
    const baseline = new Uint8Array(await readFile(path.join(BUILD, 'kernels.wasm')));
    const node = new Autoencoder(await createKernels({ backend: 'wasm', build: 'kernels.wasm' }), arch).initialize(8);
    const bytes = encodeModel(node, trainingRecord('graph'));
    const model = await loadInBrowser(bytes, { wasm: { 'kernels.wasm': baseline }, deterministic: true });
    try {
      expect(model.info.architecture.graph).toEqual(arch.graph);
      expect(model.info.summary.map((r) => r.name.split('.')[0])).toEqual(Object.entries(arch.parts).flatMap(([part, layers]) => layers!.map(() => part)));
      const x = labelled(3, [28, 28, 1], 4).images;
      expect(Array.from(await model.reconstruct(x))).toEqual(Array.from(node.reconstruct(x)));
      expect(Array.from(await model.encode(x))).toEqual(Array.from(node.encode(x)));
    } finally {
      model.dispose();
      node.dispose();
    }
  });
});
