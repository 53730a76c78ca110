// Probes of what this shared 2-vCPU host gives two threads at the moment they run: a
// scalar and a SIMD two-core factor (two workers at once against one) and a cache line's
// round trip between two cores. Thread speed-ups taken beside them can be read against
// the host's state (PERF-NOTES.md: the second vCPU comes and goes). Used by
// scripts/small-batch-threads.mts and scripts/thread-scaling-probe.mts.
import { Worker } from 'node:worker_threads';

/** Wall time of a fixed busy loop in `n` workers at once, over one worker's (2.00: two real cores). */
export async function twoCoreFactor(): Promise<number> {
  const src = 'const { parentPort } = require("node:worker_threads"); parentPort.on("message", () => { let x = 0; for (let i = 0; i < 3e7; i++) x = (x + i * 7) % 1000003; parentPort.postMessage(x); });';
  const workers = [0, 1].map(() => new Worker(src, { eval: true }));
  const run = (ws: Worker[]) => {
    const t0 = performance.now();
    return Promise.all(ws.map((w) => new Promise((r) => { w.once('message', r); w.postMessage(0); }))).then(() => performance.now() - t0);
  };
  await run(workers);
  const one = await run([workers[0]!]);
  const two = await run(workers);
  await Promise.all(workers.map((w) => w.terminate()));
  return (2 * one) / two;
}

/**
 * The same factor for SIMD work: two workers each running sgemm 256x64x784 on a private
 * (unshared) instance of kernels-relaxed.wasm, for 300 ms, against one (2.00: two cores'
 * worth of vector units). The scalar loop above cannot see two vCPUs that share one
 * core's vector units; this can.
 */
export async function simdFactor(): Promise<number> {
  const wasm = new URL('../../build/kernels-relaxed.wasm', import.meta.url).pathname;
  const src = `const { parentPort, workerData } = require('node:worker_threads');
    const e = new WebAssembly.Instance(new WebAssembly.Module(require('node:fs').readFileSync(workerData))).exports;
    e.memory.grow(100);
    const f = new Float32Array(e.memory.buffer), a = 65536, b = a + 256 * 784, c = b + 784 * 64;
    for (let i = 0; i < 256 * 784 + 784 * 64; i++) f[a + i] = Math.sin(i);
    e.setScratch(c + 256 * 64 + 64);
    parentPort.on('message', (ms) => {
      const t = [], end = performance.now() + ms;
      while (performance.now() < end) { const t0 = performance.now(); e.sgemm(0, 0, 256, 64, 784, 1, a, 784, b, 64, 0, c, 64); t.push(performance.now() - t0); }
      parentPort.postMessage(t.sort((x, y) => x - y)[t.length >> 1]);
    });`;
  const workers = [0, 1].map(() => new Worker(src, { eval: true, workerData: wasm }));
  const run = (ws: Worker[]) => Promise.all(ws.map((w) => new Promise<number>((r) => { w.once('message', r); w.postMessage(300); })));
  await run(workers);
  const [one] = await run([workers[0]!]);
  const two = await run(workers);
  await Promise.all(workers.map((w) => w.terminate()));
  return (2 * one!) / Math.max(...two);
}

/**
 * A cache line's round trip between this thread and a worker's core, in ns: the two bounce
 * a counter through shared memory (each waits, spinning, for the other's increment).
 */
export async function pingPongNs(): Promise<number> {
  const sab = new SharedArrayBuffer(64);
  const a = new Int32Array(sab);
  const N = 200_000;
  const src = `const { workerData: { sab, N } } = require("node:worker_threads"); const a = new Int32Array(sab);
    for (let i = 1; i <= N; i++) { while (Atomics.load(a, 0) !== 2 * i - 1); Atomics.store(a, 0, 2 * i); }`;
  const w = new Worker(src, { eval: true, workerData: { sab, N } });
  await new Promise((r) => w.once('online', r));
  const t0 = performance.now();
  for (let i = 1; i <= N; i++) {
    Atomics.store(a, 0, 2 * i - 1);
    while (Atomics.load(a, 0) !== 2 * i);
  }
  const ns = ((performance.now() - t0) * 1e6) / N;
  await w.terminate();
  return ns;
}
