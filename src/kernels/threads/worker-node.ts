// A kernel worker thread (Node): instantiates the threads build on the shared memory,
// takes its own scratch region, reports ready, then serves jobs until told to exit.

import { parentPort, workerData } from 'node:worker_threads';
import { kernelExports } from '../wasm.js';
import type { WorkerInit } from './pool.js';
import { workerLoop } from './protocol.js';

const init = workerData as WorkerInit;
try {
  const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
  const ex = kernelExports(instance.exports, 'the kernel worker\'s build');
  ex.setScratch(init.scratch);
  parentPort!.postMessage({ ready: true });
  workerLoop(ex, init.control, init.index);
} catch (err) {
  parentPort!.postMessage({ error: (err as Error)?.message ?? String(err) });
}
