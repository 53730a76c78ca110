// ae-wasm on the benchmark page. Inference goes through the shipped browser bundle, as a
// user's page would: one thread on the page, or more through its compute worker and kernel
// thread pool (cross-origin isolated pages only). Training has no place in that bundle, so
// the page carries the trainer's own step (src/train/step.ts, as the Node bench and the
// demo's training worker run it) on the build the bundle's chooser picks, on the page's
// thread, where TF.js trains too.

import { ADAM, modelCase, SEED, type ModelPreset } from '../bench/model-cases.js';
import { canShareMemory, loadModel } from '../src/browser/index.js';
import { chooseBrowserBuild } from '../src/browser/builds.js';
import { shuffledIndices } from '../src/data/shuffle.js';
import { createWasmKernels, type WasmKernels } from '../src/kernels/wasm.js';
import { Autoencoder } from '../src/models/autoencoder.js';
import { RandomPurpose, RandomStream, streamKey } from '../src/random/streams.js';
import { Adam } from '../src/train/optimizers.js';
import { planStep, releaseStep, trainStep } from '../src/train/step.js';
import { modelUrl, type Case, type Engine, type InferCase, type Probe } from './bench-engine.js';
import type { DigitPack } from './digit-pack.js';

/** The single-threaded kernels the training step runs on, instantiated once per page. */
let trainKernels: Promise<WasmKernels> | null = null;

function kernelsForTraining(): Promise<WasmKernels> {
  trainKernels ??= chooseBrowserBuild({ wasm: new URL('browser/', location.href).href }).then((b) => createWasmKernels(b.bytes as BufferSource, b.name));
  return trainKernels;
}

/** One Adam step of the preset's objective on consecutive batches of a fixed permutation. */
async function trainCase(preset: ModelPreset, batch: number, data: DigitPack): Promise<Case> {
  const kernels = await kernelsForTraining();
  const mc = modelCase(preset);
  const model = new Autoencoder(kernels, mc.arch).initialize(SEED);
  const train = { images: data.images, labels: data.labels, n: data.n, shape: [28, 28, 1] };
  const plan = planStep(model, train, { batch, loss: mc.loss, beta: mc.beta, noise: mc.noise, optimizer: new Adam(ADAM), noiseStream: new RandomStream(streamKey(SEED, RandomPurpose.noise)) });
  const order = shuffledIndices(train.n, new RandomStream(streamKey(SEED, RandomPurpose.shuffle)));
  const steps = Math.floor(train.n / batch);
  let s = 0;
  return {
    run: async () => {
      const loss = trainStep(plan, order, (s++ % steps) * batch, batch);
      if (!Number.isFinite(loss)) throw new Error(`ae-wasm ${preset} training: the loss became ${loss} at step ${s}`);
    },
    dispose() {
      releaseStep(plan);
      model.dispose();
    },
  };
}

/** ae-wasm at `threads` threads, or why not (threads need cross-origin isolation). */
export async function aeWasmEngine(threads: number): Promise<Probe> {
  const id = `ae-wasm-${threads}`;
  const label = `ae-wasm, ${threads} thread${threads > 1 ? 's' : ''}`;
  if (threads > 1 && !canShareMemory()) return { id, label, reason: 'this page is not cross-origin isolated (no SharedArrayBuffer): the kernel thread pool cannot start' };
  // The build the bundle picks here, read from a loaded model.
  const probe = await loadModel(modelUrl('dense', 'safetensors'), { threads });
  const facts = `${probe.info.build}, ${probe.info.threads} thread${probe.info.threads > 1 ? 's (compute worker + kernel thread pool)' : ' (on the page)'}`;
  probe.dispose();
  return {
    id,
    label,
    facts,
    async infer(preset, batch, x): Promise<InferCase> {
      const model = await loadModel(modelUrl(preset, 'safetensors'), { threads });
      const input = x.subarray(0, batch * 784);
      return { output: await model.reconstruct(input), run: () => model.reconstruct(input), dispose: () => model.dispose() };
    },
    train: (preset, batch, data) => (threads === 1 ? trainCase(preset, batch, data) : 'the browser bundle\'s thread pool runs inference only; training is timed on one thread'),
  };
}
