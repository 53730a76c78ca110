// Our runtime in the model suites: which WASM builds to time, and a training step and a
// forward pass on a model's compiled graph.
//
// A training step is the trainer's own (trainStep, src/train/step.ts): gather the batch
// from the data set uploaded into the heap, add input noise when the preset denoises,
// forward, loss, backward, Adam. The trainer's per-epoch work (the permutation, test
// evaluation, progress callbacks) is left out: one permutation is drawn up front and
// cycled over in full batches.

import { readFile } from 'node:fs/promises';
import type { Dataset } from '../src/data/dataset.js';
import { shuffledIndices } from '../src/data/shuffle.js';
import type { Kernels } from '../src/kernels/kernels.js';
import { BUILD_DIR, createKernels } from '../src/kernels/node.js';
import { RandomPurpose, RandomStream, streamKey } from '../src/random/streams.js';
import { Autoencoder } from '../src/models/autoencoder.js';
import type { RunContext } from '../src/nn/layer.js';
import { Adam } from '../src/train/optimizers.js';
import { planStep, releaseStep, trainStep } from '../src/train/step.js';
import { ADAM, SEED, type ModelCase } from './model-cases.js';

/** The single-threaded builds we time, when build/ has them. */
export const WASM_BUILDS = ['kernels.wasm', 'kernels-relaxed.wasm'] as const;

export interface Build {
  build: string;
  kernels: Kernels;
}

/** A training step to time. */
export interface TrainSubject {
  step(): void;
  /** The objective of the last step (NaN before the first). */
  readonly loss: number;
  /** The objective of the very first step: both our backends must agree on it. */
  readonly firstLoss: number;
  /** Our runtimes: the heap the kernels use (elements). */
  heap?(): { used: number; capacity: number };
  dispose(): void;
}

/** A forward pass over a batch already in place. */
export interface InferSubject {
  run(): void;
  dispose(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Instantiates every build in WASM_BUILDS that exists and that this engine validates.
 * build/ may be rewritten by a rebuild while we read it, so a build that fails to
 * compile or instantiate is read again a few times before it is given up on.
 */
export async function loadBuilds(notes: string[]): Promise<Build[]> {
  const builds: Build[] = [];
  for (const build of WASM_BUILDS) {
    const path = BUILD_DIR + build;
    let lastError = '';
    for (let attempt = 0; attempt < 5; attempt++) {
      if (attempt > 0) await sleep(3000);
      let bytes: Uint8Array<ArrayBuffer>;
      try {
        bytes = new Uint8Array(await readFile(path));
      } catch {
        lastError = 'absent';
        if (build === 'kernels.wasm') continue; // the baseline build must be there: wait for it
        break;
      }
      if (!WebAssembly.validate(bytes)) {
        lastError = `WebAssembly.validate rejected it (${bytes.length} bytes)`;
        // Read once more in case a rebuild was writing it; an engine that lacks a
        // feature rejects it every time.
        if (attempt >= 1 && build !== 'kernels.wasm') break;
        continue;
      }
      try {
        builds.push({ build, kernels: await createKernels({ backend: 'wasm', build }) });
        lastError = '';
        break;
      } catch (err) {
        lastError = `instantiation failed: ${(err as Error).message}`;
      }
    }
    if (lastError === 'absent') {
      if (build === 'kernels.wasm') throw new Error(`${path} is missing: run \`npm run build:wasm\``);
      notes.push(`${build}: not in build/, not timed.`);
    } else if (lastError) {
      if (build === 'kernels.wasm') throw new Error(`${path}: ${lastError}`);
      notes.push(`${build}: skipped, ${lastError}${lastError.startsWith('WebAssembly.validate') ? ' (Node 20 accepts relaxed SIMD only with --experimental-wasm-relaxed-simd, which `npm run bench` passes)' : ''}.`);
    }
  }
  return builds;
}

function newModel(kernels: Kernels, mc: ModelCase): Autoencoder {
  return new Autoencoder(kernels, mc.arch).initialize(SEED);
}

/** One training step on the trainer's path; see the file comment. */
export function ourTrainSubject(kernels: Kernels, mc: ModelCase, batch: number, train: Dataset): TrainSubject {
  const model = newModel(kernels, mc);
  const noiseStream = new RandomStream(streamKey(SEED, RandomPurpose.noise));
  const plan = planStep(model, train, { batch, loss: mc.loss, beta: mc.beta, noise: mc.noise, optimizer: new Adam(ADAM), noiseStream });
  const order = shuffledIndices(train.n, new RandomStream(streamKey(SEED, RandomPurpose.shuffle)));
  const steps = Math.floor(train.n / batch);
  let s = 0;
  // [last, first] objective: a double in a closure variable would be boxed, one
  // allocation per step that is the benchmark's and not the runtime's.
  const losses = new Float64Array([NaN, NaN]);
  return {
    step() {
      losses[0] = trainStep(plan, order, (s++ % steps) * batch, batch);
      if (s === 1) losses[1] = losses[0]!;
    },
    get loss() {
      return losses[0]!;
    },
    get firstLoss() {
      return losses[1]!;
    },
    heap: () => ({ used: kernels.heap.used, capacity: kernels.heap.capacity }),
    dispose() {
      releaseStep(plan);
      model.dispose();
    },
  };
}

/**
 * reconstruct()'s forward pass (encoder, decoder; a VAE decodes z = z_mean) on a graph
 * compiled with training: false, over test images written into its input once.
 */
export function ourInferSubject(kernels: Kernels, mc: ModelCase, batch: number, images: Dataset): InferSubject {
  const model = newModel(kernels, mc);
  const graph = model.compile({ batch, training: false, loss: mc.loss });
  const size = model.inputSize;
  kernels.heap.write(graph.input.offset, images.images.subarray(0, batch * size));
  const ctx: RunContext = { kernels, training: false, noise: new RandomStream(0) };
  return {
    run: () => graph.forward(ctx, batch, false),
    dispose() {
      graph.release();
      model.dispose();
    },
  };
}
