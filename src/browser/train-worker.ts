// Training in a Web Worker, for the demo page only: a separate entry that the inference
// bundle never imports (DESIGN.md lets this one use train/). The page posts a preset and
// digits; the worker streams progress and finally posts the model file's bytes, which
// the page loads with loadModel like any other model.

import { createWasmKernels } from '../kernels/wasm.js';
import { Autoencoder } from '../models/autoencoder.js';
import { encodeModel, type TrainingRecord } from '../models/model-file.js';
import { ArgumentError } from '../errors.js';
import { PRESET_NAMES, PRESETS, presetArchitecture } from '../models/presets.js';
import { createOptimizer } from '../train/optimizers.js';
import { train } from '../train/trainer.js';
import { serializeError } from '../kernels/threads/error-transport.js';
import { chooseBrowserBuild } from './builds.js';
import type { DigitsMessage, TrainEvent, TrainRequest } from './train-protocol.js';

const post = (event: TrainEvent, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(event, transfer);

let stopper: AbortController | null = null;

function dataset({ images, labels }: DigitsMessage) {
  return { images, labels, n: labels.length, shape: [28, 28, 1] };
}

async function run(req: Extract<TrainRequest, { type: 'train' }>): Promise<void> {
  const info = PRESETS[req.preset];
  if (!info) throw new ArgumentError(`train worker: unknown preset ${JSON.stringify(req.preset)}; expected one of ${PRESET_NAMES.join(', ')}`);
  const build = await chooseBrowserBuild({ wasm: req.wasm });
  const kernels = await createWasmKernels(build.bytes as BufferSource, build.name);
  const model = new Autoencoder(kernels, presetArchitecture(req.preset, info.defaultLatent === null ? undefined : req.latent)).initialize(req.seed);
  const optimizer = createOptimizer('adam', {});
  const splits = { train: dataset(req.train), test: dataset(req.test), source: `${req.train.labels.length} bundled MNIST digits, trained in the browser` };
  const record: TrainingRecord = {
    preset: req.preset,
    loss: info.defaults.loss,
    optimizer: optimizer.config(),
    noise: info.defaults.noise,
    l1: 0,
    beta: 1,
    seed: req.seed,
    batch_size: req.batchSize,
    epochs: req.epochs,
    data: splits.source,
  };
  stopper = new AbortController();
  const history = await train(model, splits, {
    epochs: req.epochs,
    batchSize: req.batchSize,
    optimizer,
    loss: record.loss,
    noise: record.noise,
    seed: req.seed,
    signal: stopper.signal,
    progressIntervalMs: 20, // a smooth live chart
    callbacks: {
      onTrainBegin: (i) => post({ type: 'begin', ...i, params: model.params.count, build: build.name }),
      onBatchEnd: (b) => post({ type: 'batch', epoch: b.epoch, step: b.step, steps: b.steps, loss: b.loss, samplesPerSec: b.samplesPerSec }),
      onEpochEnd: async (rec) => {
        post({ type: 'epoch', record: rec });
        // Let a pending 'stop' message in between epochs.
        await new Promise((r) => setTimeout(r, 0));
      },
    },
  });
  const bytes = encodeModel(model, record);
  model.dispose();
  post({ type: 'done', bytes, stopped: history.stopped === 'interrupted' }, [bytes.buffer]);
}

self.onmessage = (e: MessageEvent<TrainRequest>) => {
  const req = e.data;
  if (req.type === 'stop') return stopper?.abort();
  run(req).catch((err: unknown) => {
    const error = serializeError(err);
    post({ type: 'error', message: `${error.name}: ${error.message}`, error });
  });
};
