// What the benchmark page times: an engine (one runtime on one backend and thread count)
// offers an inference case and, where it can train, a training case per preset and batch.
// An engine that cannot start in this browser is a reason instead, shown on the page.

import type { ModelPreset } from '../bench/model-cases.js';
import type { DigitPack } from './digit-pack.js';

/** One call to time: a forward pass of the batch, or one training step. */
export interface Case {
  run(): Promise<unknown>;
  dispose(): Promise<void> | void;
}

export interface InferCase extends Case {
  /** The reconstruction of the batch from one call, checked against ae-wasm's before timing. */
  output: Float32Array;
}

export interface Engine {
  /** Column key: "ae-wasm-1", "tfjs-wasm", "ort-wasm", ... */
  id: string;
  label: string;
  /** Build, backend and thread facts for the page's facts list. */
  facts: string;
  infer(preset: ModelPreset, batch: number, x: Float32Array): Promise<InferCase>;
  /** Training, or why this engine does not train that preset (shown in the cell). */
  train(preset: ModelPreset, batch: number, data: DigitPack): Promise<Case> | string;
}

export interface Unavailable {
  id: string;
  label: string;
  reason: string;
}

export type Probe = Engine | Unavailable;

export const isEngine = (p: Probe): p is Engine => 'infer' in p;

/** An error's one-line text for a cell or list ("Error: ..." without the stack). */
export function reasonOf(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.split('\n')[0]!.slice(0, 300);
}

/** The model files the page's server offers for a preset (scripts/build-demo.ts writes them). */
export const modelUrl = (preset: ModelPreset, kind: 'safetensors' | 'onnx' | 'tfjs'): string =>
  new URL(kind === 'tfjs' ? `bench-models/${preset}/model.json` : `bench-models/${preset}.${kind}`, location.href).href;

/** Where the peers' own .wasm and .mjs files are served. */
export const PEERS_URL = (): string => new URL('peers/', location.href).href;
