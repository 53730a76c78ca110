// Runs a model on a kernel thread pool inside a compute worker (ae-wasm.worker.js, next
// to the bundle): the page's main thread never blocks; tasks and results travel as
// messages (inputs copied, results transferred).

import { ArgumentError, ShapeError, WorkerError } from '../errors.js';
import { rebuildError } from '../kernels/threads/error-transport.js';
import type { WorkerReply, WorkerRequest } from './compute-worker.js';
import type { Executor, Task } from './executor.js';
import type { ModelDescription } from './describe.js';

/** The class thrown in the worker, with its message and fields (a WorkerError for an unknown name). */
const rebuild = (record: unknown) => rebuildError(record, 'the compute worker');

/** The compute worker's script: next to this bundle. */
export function computeWorkerUrl(): URL {
  return new URL('./ae-wasm.worker.js', import.meta.url);
}

export class ThreadedExecutor implements Executor {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: Float32Array) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly threads: number,
  ) {
    worker.onmessage = (e: MessageEvent<WorkerReply>) => {
      const msg = e.data;
      if ('ready' in msg || msg.id === null) return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if ('error' in msg) p.reject(rebuild(msg.error));
      else p.resolve(msg.result);
    };
    worker.onerror = (e) => this.fail(new WorkerError(`the compute worker failed: ${e.message}`));
  }

  /** Starts the compute worker and its pool, and decodes the model there. */
  static start(
    model: Uint8Array, source: string, build: Uint8Array, buildName: string, threads: number,
  ): Promise<{ executor: ThreadedExecutor; description: ModelDescription }> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(computeWorkerUrl(), { type: 'module' });
      worker.onmessage = (e: MessageEvent<WorkerReply>) => {
        if ('ready' in e.data) resolve({ executor: new ThreadedExecutor(worker, threads), description: e.data.description! });
        else if ('error' in e.data) {
          worker.terminate();
          reject(rebuild(e.data.error));
        }
      };
      worker.onerror = (e) => {
        worker.terminate();
        reject(new WorkerError(`could not start the compute worker ${computeWorkerUrl().href}: ${e.message || 'failed to load'}`));
      };
      worker.postMessage({ role: 'model', model, source, build, buildName, threads } satisfies WorkerRequest);
    });
  }

  run(task: Task): Promise<Float32Array> {
    if (this.failure) return Promise.reject(this.failure);
    if (task.op === 'sample' && (!Number.isInteger(task.n) || task.n < 1)) return Promise.reject(new ArgumentError(`sample: n must be a positive integer, found ${task.n}`));
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, task } satisfies WorkerRequest);
    });
  }

  dispose(): void {
    this.worker.postMessage({ dispose: true } satisfies WorkerRequest);
    this.fail(new ShapeError('this model was disposed'));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
