// The one async boundary between the browser API and the compute. A model's every
// encode/decode/reconstruct/sample goes through Executor.run as a plain-data task, so
// the kernel thread pool can replace LocalExecutor (posting tasks to workers that share the
// weights) without touching BrowserModel or the page code.

import type { Autoencoder } from '../models/autoencoder.js';

/** `labels`: one class per sample, for a model whose graph reads the label (a conditional VAE). */
export type Task =
  | { op: 'encode'; images: Float32Array; labels?: number[] }
  | { op: 'decode'; codes: Float32Array; labels?: number[] }
  | { op: 'reconstruct'; images: Float32Array; labels?: number[] }
  | { op: 'sample'; n: number; seed: number; labels?: number[] }
  | { op: 'predict'; images: Float32Array };

/** Runs a task on a model (on the page, or in the compute worker). */
export function runTask(model: Autoencoder, task: Task): Float32Array {
  switch (task.op) {
    case 'encode':
      return model.encode(task.images, task.labels);
    case 'decode':
      return model.decode(task.codes, task.labels);
    case 'reconstruct':
      return model.reconstruct(task.images, task.labels);
    case 'sample':
      return model.sample(task.n, task.seed, task.labels);
    case 'predict':
      return model.predict(task.images);
  }
}

export interface Executor {
  /** Threads the tasks run on. */
  readonly threads: number;
  run(task: Task): Promise<Float32Array>;
  dispose(): void;
}

/** Runs tasks on this thread, on the model's own WASM instance. */
export class LocalExecutor implements Executor {
  readonly threads = 1;

  constructor(private readonly model: Autoencoder) {}

  async run(task: Task): Promise<Float32Array> {
    return runTask(this.model, task);
  }

  dispose(): void {
    this.model.dispose();
  }
}
