// Node's worker factory for the kernel thread pool (worker_threads).

import { Worker } from 'node:worker_threads';
import { WorkerError } from '../../errors.js';
import type { SpawnWorker, WorkerHandle } from './pool.js';

// Running from TypeScript sources (tests, tsx) the worker is a .ts file, started through a
// small loader shim; from dist/ it is plain JavaScript.
const fromSource = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(fromSource ? './worker-from-source.mjs' : './worker-node.js', import.meta.url);

export const spawnNodeWorker: SpawnWorker = (init) =>
  new Promise<WorkerHandle>((resolve, reject) => {
    const worker = new Worker(WORKER_URL, { workerData: init });
    const fail = (err: Error) => {
      void worker.terminate();
      reject(err);
    };
    worker.once('message', (msg: { ready?: boolean; error?: string }) => {
      if (msg.ready) {
        // A pool never keeps the process alive: it ends with the process.
        worker.unref();
        resolve({ terminate: () => void worker.terminate() });
      } else fail(new WorkerError(`kernel worker ${init.index} failed to start: ${msg.error}`));
    });
    worker.once('error', fail);
    worker.once('exit', (code) => fail(new WorkerError(`kernel worker ${init.index} exited with code ${code} before it was ready`)));
  });
