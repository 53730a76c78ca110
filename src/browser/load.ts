// loadModel: model bytes + the chosen WASM build -> a BrowserModel. Nothing here touches
// the DOM, so it runs the same on a page and inside a Web Worker.

import { createWasmKernels } from '../kernels/wasm.js';
import { decodeModel } from '../models/model-file.js';
import { summaryRows } from '../models/summary.js';
import { chooseBuild, type WasmOption } from './builds.js';
import { LocalExecutor } from './executor.js';
import { BrowserModel } from './model.js';
import { readModelSource, type ModelSource } from './source.js';
import { resolveThreads } from './threads.js';

export interface LoadOptions {
  /**
   * Threads to run on (default 1). More need a cross-origin isolated page; for now every
   * model runs on one thread, with one console warning where isolation is missing.
   */
  threads?: number;
  /**
   * Where the .wasm builds are: a base URL (default: the bundle's own directory), a map
   * from build file name to URL or bytes, or "inline" (ae-wasm.inline.js, the default there).
   */
  wasm?: WasmOption | 'inline';
  /** Use the baseline SIMD build: results bit-identical everywhere (relaxed SIMD's FMA may round differently). */
  deterministic?: boolean;
}

export async function loadModel(source: ModelSource, options: LoadOptions = {}): Promise<BrowserModel> {
  const threads = resolveThreads(options.threads);
  // Fetch the model and the build together: both are network round trips.
  const [{ bytes, name }, build] = await Promise.all([
    readModelSource(source),
    chooseBuild({ wasm: options.wasm, deterministic: options.deterministic }),
  ]);
  const kernels = await createWasmKernels(build.bytes as BufferSource, build.name);
  const { model, training } = decodeModel(bytes, kernels, name);
  // A thread pool's executor goes here when threads > 1; it reports the threads it has.
  const executor = new LocalExecutor(model);
  const info = {
    kind: model.kind,
    inputShape: [...model.inputShape],
    codeShape: [...model.codeShape],
    outputShape: [...model.outputShape],
    codeSize: model.codeSize,
    params: model.params.count,
    training,
    summary: summaryRows(model),
    architecture: model.architecture,
    build: build.name,
    threads: Math.min(threads, executor.threads),
    source: name,
  };
  return new BrowserModel(Object.freeze(info), executor);
}
