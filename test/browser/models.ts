// Test models for the browser tests, made by a short training run on a slice of the
// bundled digits (never committed binaries): a dense autoencoder and a 2-D VAE.

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createKernels, createModel, saveModel, train, type TrainingRecord } from '../../src/index.js';
import { smallSplits } from '../train/fixtures.js';

export interface TestModels {
  runsDir: string;
  dense: string;
  vae: string;
}

const SPECS = [
  { name: 'dense', preset: 'dense', latent: 32, loss: 'mse', epochs: 2 },
  { name: 'vae', preset: 'vae', latent: 2, loss: 'bce', epochs: 2 },
] as const;

export async function trainTestModels(runsDir: string): Promise<TestModels> {
  const splits = await smallSplits(2000, 200);
  const files: Record<string, string> = {};
  for (const s of SPECS) {
    // One thread: the test needs a model, not speed, and stays independent of the pool.
    const model = await createModel(s.preset, { latent: s.latent, seed: 1, kernels: await createKernels({ backend: 'wasm' }) });
    await train(model, splits, { epochs: s.epochs, batchSize: 32, loss: s.loss, seed: 1, evaluateTest: false });
    const record: TrainingRecord = { preset: s.preset, loss: s.loss, optimizer: { name: 'adam', learning_rate: 0.001 }, noise: 0, l1: 0, beta: 1, seed: 1, epochs: s.epochs, batch_size: 32 };
    const file = path.join(runsDir, s.name, 'model.safetensors');
    await mkdir(path.dirname(file), { recursive: true });
    await saveModel(model, file, { training: record });
    model.dispose();
    files[s.name] = file;
  }
  return { runsDir, dense: files['dense']!, vae: files['vae']! };
}
