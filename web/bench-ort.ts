// ONNX Runtime Web 1.30 on the benchmark page: its wasm backend (SIMD build) running the
// preset's ONNX export (exportOnnx, part "all": the very weights ae-wasm runs). Loaded at
// run time from the copy the demo serves, not bundled: its threads start workers from its
// own script's URL. ort.env is fixed when its wasm starts (the first session), so the page
// times one thread count: 1, beside ae-wasm's one thread. Inference only (its training API
// is a separate build).

import type * as OrtModule from 'onnxruntime-web';
import { modelUrl, PEERS_URL, reasonOf, type Engine, type InferCase, type Probe } from './bench-engine.js';

type Ort = typeof OrtModule;

export const ORT_THREADS = 1;

export async function ortEngine(): Promise<Probe> {
  const id = 'ort-wasm';
  const label = 'ONNX Runtime Web wasm';
  let ort: Ort;
  try {
    // A variable specifier: esbuild must leave this import to the browser.
    const url = PEERS_URL() + 'ort.wasm.min.mjs';
    ort = (await import(/* @vite-ignore */ url)) as Ort;
    ort.env.wasm.wasmPaths = PEERS_URL();
    ort.env.wasm.numThreads = ORT_THREADS;
  } catch (err) {
    return { id, label, reason: `onnxruntime-web did not load: ${reasonOf(err)}` };
  }
  const engine: Engine = {
    id,
    label,
    facts: `onnxruntime-web ${ort.env.versions.web ?? ort.env.versions.common}, ort-wasm-simd-threaded.wasm, ${ORT_THREADS} thread`,
    async infer(preset, batch, x): Promise<InferCase> {
      const session = await ort.InferenceSession.create(modelUrl(preset, 'onnx'), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
      const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', x.slice(0, batch * 784), [batch, 28, 28, 1]) };
      const run = async () => (await session.run(feeds))[session.outputNames[0]!]!.data as Float32Array;
      return { output: await run(), run, dispose: () => session.release() };
    },
    train: () => 'ONNX Runtime Web runs inference only (its training API is a separate build)',
  };
  return engine;
}
