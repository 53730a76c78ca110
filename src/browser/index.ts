// ae-wasm in the browser: load a trained .safetensors model and run it on WebAssembly
// SIMD, on a page or in a Web Worker. Inference only: nothing from cli/, train/ or node:.
//
//   import { loadModel } from 'ae-wasm/browser';
//   const model = await loadModel('/models/dense.safetensors');
//   const out = await model.reconstructImage(canvas);   // any input shape; its preprocessing applied
//   model.drawImage(outputCanvas, out);                   // grey or RGB, back in the data's units

// The entry's names are the documented ones; inside src/ they say which loader they are.
export { loadBrowserModel as loadModel, type BrowserLoadOptions as LoadOptions } from './load.js';
export { BrowserModel, type ModelInfo } from './model.js';
export type { ModelSource } from '../io/source.js';
export { BUILD_NAMES, type BuildName } from '../kernels/builds.js';
export type { BuildSource, WasmBytes, WasmOption } from './builds.js';
export { canShareMemory } from './threads.js';
export { imageToInput, imageToPixels, drawImage, type DrawOptions, type ImageFit, type ImageInput, type ImageOptions, type PreprocessOptions } from './image.js';
export { displayRange } from '../viz/display-range.js';
export type { Normalization, NormalizationKind } from '../data/normalize.js';
export type { SummaryRow } from '../models/summary.js';
export type { TrainingRecord } from '../models/model-file.js';
export type { Architecture, ModelKind } from '../models/architecture.js';
// Every typed error, so a page can test `instanceof` on any it may meet (err.name is the
// stable alternative: it survives minification and holds across bundles).
export * from '../errors.js';
