// The model suites' cases: which presets, batch sizes and training settings every
// runtime is timed on, and the records they produce. A case carries the preset's own
// architecture record (src/models/presets.ts), so peers build exactly the same layers.

import type { Architecture } from '../src/models/architecture.js';
import { PRESETS, presetArchitecture } from '../src/models/presets.js';

/** The presets timed, in table order. */
export const MODEL_PRESETS = ['dense', 'deep', 'conv', 'vae'] as const;
export type ModelPreset = (typeof MODEL_PRESETS)[number];

/** Training batch sizes, in table order. */
export const TRAIN_BATCHES = [256, 32] as const;
/** Inference: throughput at INFER_BATCH, latency at batch 1. */
export const INFER_BATCH = 256;
export const LATENCY_BATCH = 1;
export const INFER_BATCHES = [INFER_BATCH, LATENCY_BATCH] as const;

/** Adam with tf.keras' defaults, on every runtime: lr 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-7. */
export const ADAM = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;

/** Seed of our initialisation, shuffling and noise streams (the trainer's default, 0). */
export const SEED = 0;

export interface ModelCase {
  preset: ModelPreset;
  arch: Architecture;
  /** The preset's default reconstruction loss (a VAE adds the KL term, beta 1). */
  loss: 'mse' | 'bce';
  /** Stddev of the Gaussian input noise (denoising); 0 for none. */
  noise: number;
  /** VAE: weight of the KL term. */
  beta: number;
  /** For tables and logs: "mse", "bce", "bce+kl"; with the noise when there is some. */
  objective: string;
}

export function modelCase(preset: ModelPreset): ModelCase {
  const info = PRESETS[preset]!;
  const arch = presetArchitecture(preset);
  const { loss, noise } = info.defaults;
  const vae = arch.kind === 'vae';
  const objective = `${loss}${vae ? '+kl' : ''}${noise > 0 ? `, input noise ${noise}` : ''}`;
  return { preset, arch, loss, noise, beta: 1, objective };
}

export type Suite = 'train' | 'infer';
export type RuntimeName = 'ae-wasm' | 'ae-wasm-js' | 'tfjs-cpu' | 'tfjs-wasm' | 'onnxruntime-web' | 'onnxruntime-node' | 'pytorch';
/** Table column order. */
export const RUNTIMES: readonly RuntimeName[] = ['ae-wasm', 'ae-wasm-js', 'tfjs-cpu', 'tfjs-wasm', 'onnxruntime-web', 'onnxruntime-node', 'pytorch'];
/** What --runtimes may name: a runtime, or `threads` for our threads build at 1, 2, ... threads. */
export type RuntimeSelector = RuntimeName | 'threads';
/** The peers the "best JavaScript peer" ratio is taken over (at one thread, as ours is). */
export const JS_PEERS: readonly RuntimeName[] = ['tfjs-cpu', 'tfjs-wasm', 'onnxruntime-web'];
/** Peers that run inference only (ONNX Runtime's training API is a separate build). */
export const INFER_ONLY: readonly RuntimeName[] = ['onnxruntime-web', 'onnxruntime-node'];
/** Thread counts onnxruntime-web is timed at. */
export const ORT_WEB_THREADS = [1, 2] as const;

/**
 * One line of bench/results/train.json or infer.json. Exactly one of (samples_per_sec and
 * latency_ms), `error` (the runtime could not run this case: its message) or `skipped`
 * (not attempted, with the reason) is present.
 */
export interface ModelRecord {
  suite: Suite;
  model: ModelPreset;
  runtime: RuntimeName;
  /** The .wasm file for ae-wasm; "js" for our baseline; the peer's package otherwise. */
  build: string;
  threads: number;
  batch: number;
  samples_per_sec?: number;
  /** Median milliseconds per call: one training step, or one forward pass of the batch. */
  latency_ms?: number;
  /** Median CPU milliseconds per call (this process's user + system time). */
  cpu_ms?: number;
  /** Timed calls (samples x calls per sample) and the interquartile range over the median. */
  calls?: number;
  spread?: number;
  /**
   * The threads comparison (THREADS_BUILD at 1, 2, ... threads, timed in interleaved
   * rounds; bench/lib/rounds.ts): the figures above are medians over rounds, these the
   * rounds' fastest and slowest medians, and (threads > 1) the per-round speed-up over
   * 1 thread: median, min, max.
   */
  rounds?: number;
  latency_ms_min?: number;
  latency_ms_max?: number;
  speedup?: number;
  speedup_min?: number;
  speedup_max?: number;
  /** The threads comparison: CPUs other processes and the hypervisor (steal) kept busy during the case (Linux). */
  other_cpus?: number;
  steal_cpus?: number;
  /** Training: the objective at the last timed step (a sanity check, not a metric). */
  loss?: number;
  error?: string;
  skipped?: string;
}

export const round = (x: number, digits: number): number => Number(x.toPrecision(digits));
