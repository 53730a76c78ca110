// Node-only model loading and saving: paths, file: and http(s) URLs, or bytes.

import { fileURLToPath } from 'node:url';
import { readFileBytes, writeFileAtomic } from '../io/file-node.js';
import { fetchBytes, isByteSource, readByteSource, type ModelSource } from '../io/source.js';
import type { Kernels } from '../kernels/kernels.js';
import { backendOptions, createKernels, defaultThreads, type BackendOptions } from '../kernels/node.js';
import type { Autoencoder } from './autoencoder.js';
import { decodeModel, encodeModel, type SaveOptions, type TrainingRecord } from './model-file.js';
import { checkOptionKeys, optionKeys } from '../options.js';

export interface LoadOptions extends BackendOptions {
  /** Reuse an existing backend instead of creating one. */
  kernels?: Kernels;
}

const SAVE_MODEL_KEYS = optionKeys<SaveOptions & { training?: TrainingRecord }>()('optimizerState', 'training');
const LOAD_OWN_KEYS = optionKeys<Omit<LoadOptions, keyof BackendOptions>>()('kernels');

/** Reads the bytes of a model source; `name` is how errors refer to it. */
export async function readModelSource(source: ModelSource): Promise<{ bytes: Uint8Array; name: string }> {
  if (isByteSource(source)) return readByteSource(source);
  const text = source as string | URL;
  const url = text instanceof URL ? text : /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? new URL(text) : null;
  if (url && url.protocol !== 'file:') return { bytes: await fetchBytes(url), name: url.href };
  const path = url ? fileURLToPath(url) : (text as string);
  return { bytes: await readFileBytes(path), name: path };
}

/** Loads a model file onto a backend (WASM by default). */
export async function loadModel(source: ModelSource, options: LoadOptions = {}): Promise<Autoencoder> {
  const backend = backendOptions(options, 'loadModel(source', LOAD_OWN_KEYS);
  const { bytes, name } = await readModelSource(source);
  const kernels = options.kernels ?? (await createKernels({ threads: defaultThreads(), ...backend }));
  return decodeModel(bytes, kernels, name).model;
}

/** Writes a model file atomically (optimizer slots too with `optimizerState`). */
export async function saveModel(model: Autoencoder, path: string, options: SaveOptions & { training?: TrainingRecord } = {}): Promise<void> {
  checkOptionKeys(options, SAVE_MODEL_KEYS, 'saveModel(model, path, options)');
  await writeFileAtomic(path, encodeModel(model, options.training ?? model.training, { optimizerState: options.optimizerState }));
}
