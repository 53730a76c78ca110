// The browser's compute worker (bundled as ae-wasm.worker.js). A page's main thread may
// not block, so with threads a model runs in here: the "model" worker decodes the model
// onto a kernel thread pool whose helpers are more copies of this script in the "kernel"
// role, all instantiating the threads build on one shared WebAssembly.Memory. Blocking
// waits (Atomics.wait) are allowed in workers.

import { WorkerError } from '../errors.js';
import { decodeModel } from '../models/model-file.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { createSharedMemory, THREADS_MAXIMUM_PAGES } from '../kernels/threads/memory.js';
import { ThreadedKernels, type SpawnWorker, type WorkerInit } from '../kernels/threads/pool.js';
import { workerLoop } from '../kernels/threads/protocol.js';
import { serializeError, type ErrorRecord } from '../kernels/threads/error-transport.js';
import { createWasmKernels, kernelExports, type KernelExports } from '../kernels/wasm.js';
import { runTask, type Task } from './executor.js';
import { describeModel, type ModelDescription } from './describe.js';

export type WorkerRequest =
  | { role: 'kernel'; init: WorkerInit }
  | { role: 'model'; model: Uint8Array; source: string; build: Uint8Array; buildName: string; threads: number }
  | { id: number; task: Task }
  | { dispose: true };

export type WorkerReply =
  | { ready: true; description?: ModelDescription }
  | { id: number; result: Float32Array }
  | { id: number | null; error: ErrorRecord };

interface Scope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent) => void) | null;
  close(): void;
}

const scope = globalThis as unknown as Scope;
let model: Autoencoder | null = null;
let pool: ThreadedKernels | null = null;

/** Helpers are more copies of this very script. */
const spawnHelper: SpawnWorker = (init) =>
  new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { type: 'module' });
    w.onmessage = (e: MessageEvent<WorkerReply>) => {
      if ('ready' in e.data) resolve({ terminate: () => w.terminate() });
      else if ('error' in e.data) reject(new WorkerError(`kernel worker ${init.index} failed to start: ${e.data.error.message}`));
    };
    w.onerror = (e) => reject(new WorkerError(`kernel worker ${init.index} failed to start: ${e.message || 'its script did not load'}`));
    w.postMessage({ role: 'kernel', init } satisfies WorkerRequest);
  });

function reply(message: WorkerReply, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}


scope.onmessage = async (e: MessageEvent<WorkerRequest>) => {
  const msg = e.data;
  if ('role' in msg && msg.role === 'kernel') {
    let ex: KernelExports;
    try {
      ex = kernelExports(new WebAssembly.Instance(msg.init.module, { env: { memory: msg.init.memory } }).exports, 'the kernel worker\'s build');
      ex.setScratch(msg.init.scratch);
    } catch (err) {
      reply({ id: null, error: serializeError(err) });
      return;
    }
    reply({ ready: true });
    // Serves jobs until the pool is disposed; this worker's event loop is not needed again.
    workerLoop(ex, msg.init.control, msg.init.index);
    scope.close();
    return;
  }
  if ('role' in msg && msg.role === 'model') {
    try {
      const main = await createWasmKernels(msg.build as BufferSource, msg.buildName, { memory: createSharedMemory(), maximumPages: THREADS_MAXIMUM_PAGES });
      pool = await ThreadedKernels.create(main, msg.threads, spawnHelper);
      const decoded = decodeModel(msg.model, pool as unknown as Parameters<typeof decodeModel>[1], msg.source);
      model = decoded.model;
      reply({ ready: true, description: describeModel(decoded.model, decoded.training) });
    } catch (err) {
      reply({ id: null, error: serializeError(err) });
    }
    return;
  }
  if ('dispose' in msg) {
    model?.dispose();
    pool?.dispose();
    scope.close();
    return;
  }
  try {
    const result = runTask(model!, msg.task);
    reply({ id: msg.id, result }, [result.buffer]);
  } catch (err) {
    reply({ id: msg.id, error: serializeError(err) });
  }
};
