// The one async boundary between the browser API and the compute. A model's every
// encode/decode/reconstruct/sample goes through Executor.run as a plain-data task, so
// the kernel thread pool can replace LocalExecutor (posting tasks to workers that share the
// weights) without touching BrowserModel or the page code.

import type { Autoencoder } from '../models/autoencoder.js';

export type Task =
  | { op: 'encode'; images: Float32Array }
  | { op: 'decode'; codes: Float32Array }
  | { op: 'reconstruct'; images: Float32Array }
  | { op: 'sample'; n: number; seed: number };

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
    switch (task.op) {
      case 'encode':
        return this.model.encode(task.images);
      case 'decode':
        return this.model.decode(task.codes);
      case 'reconstruct':
        return this.model.reconstruct(task.images);
      case 'sample':
        return this.model.sample(task.n, task.seed);
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}
