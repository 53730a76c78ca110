// loadBrowserModel (the browser entry exports it as loadModel): model bytes + the chosen
// WASM build -> a BrowserModel. Nothing here touches the DOM, so it runs the same on a
// page and inside a Web Worker.

import { createWasmKernels } from '../kernels/wasm.js';
import { decodeModel } from '../models/model-file.js';
import { chooseBrowserBuild, type WasmOption } from './builds.js';
import type { BuildName } from '../kernels/builds.js';
import { LocalExecutor, type Executor } from './executor.js';
import { BrowserModel } from './model.js';
import { ThreadedExecutor } from './threaded-executor.js';
import { describeModel, type ModelDescription } from './describe.js';
import type { ModelSource } from '../io/source.js';
import { fetchModelSource } from './source.js';
import { resolveThreads } from './threads.js';
import { checkOptionKeys, optionKeys } from '../options.js';

export interface BrowserLoadOptions {
  /**
   * Threads to run on (default 1). More need a cross-origin isolated page (otherwise one
   * thread and one console warning) and ae-wasm.worker.js next to the bundle: the model
   * then runs in a compute worker with a kernel thread pool, never blocking the page.
   */
  threads?: number;
  /**
   * Where the .wasm builds are: a base URL (default: the bundle's own directory), a map
   * from build file name to URL or bytes, or "inline" (ae-wasm.inline.js, the default there).
   */
  wasm?: WasmOption | 'inline';
  /** Use the baseline SIMD build: results bit-identical everywhere (relaxed SIMD's FMA may round differently). */
  deterministic?: boolean;
  /**
   * Run this build and no other (e.g. "kernels.wasm"; a threads build for threads > 1);
   * default: relaxed SIMD wherever the engine validates it. info.buildReason says why.
   */
  build?: BuildName;
}

const BROWSER_LOAD_KEYS = optionKeys<BrowserLoadOptions>()('threads', 'wasm', 'deterministic', 'build');

export async function loadBrowserModel(source: ModelSource, options: BrowserLoadOptions = {}): Promise<BrowserModel> {
  checkOptionKeys(options, BROWSER_LOAD_KEYS, 'loadModel(source, options)');
  const threads = resolveThreads(options.threads);
  const threaded = threads > 1;
  // Fetch the model and the build together: both are network round trips.
  const [{ bytes, name }, build] = await Promise.all([
    fetchModelSource(source),
    chooseBrowserBuild({ wasm: options.wasm, deterministic: options.deterministic, threaded, build: options.build }),
  ]);
  let executor: Executor;
  let description: ModelDescription;
  if (threaded) {
    // The compute worker decodes the model onto its shared memory and describes it.
    const started = await ThreadedExecutor.start(bytes, name, build.bytes, build.name, threads);
    executor = started.executor;
    description = started.description;
  } else {
    const kernels = await createWasmKernels(build.bytes as BufferSource, build.name, { reason: build.reason });
    const { model, training } = decodeModel(bytes, kernels, name);
    executor = new LocalExecutor(model);
    description = describeModel(model, training);
  }
  const info = { ...description, build: build.name, buildReason: build.reason, threads: executor.threads, source: name };
  return new BrowserModel(Object.freeze(info), executor);
}
