// Messages between a page and the training worker (train-worker.ts). Types only, so a
// page can speak the protocol without importing any training code.

import type { ErrorRecord } from '../kernels/threads/error-transport.js';
import type { EpochRecord } from '../train/trainer.js';

export interface DigitsMessage {
  /** [n, 28, 28, 1] in [0, 1]. */
  images: Float32Array;
  labels: Uint8Array;
}

export type TrainRequest =
  | {
      type: 'train';
      preset: string;
      /** Code size for the presets that have the choice. */
      latent?: number;
      epochs: number;
      batchSize: number;
      seed: number;
      /** Base URL of the .wasm builds (the worker's own URL is not where they are). */
      wasm: string;
      train: DigitsMessage;
      test: DigitsMessage;
    }
  | { type: 'stop' };

export type TrainEvent =
  | { type: 'begin'; epochs: number; stepsPerEpoch: number; trainSamples: number; params: number; build: string }
  | { type: 'batch'; epoch: number; step: number; steps: number; loss: number; samplesPerSec: number }
  | { type: 'epoch'; record: EpochRecord }
  /** The trained model as a .safetensors file (also after a stop: the weights so far). */
  | { type: 'done'; bytes: Uint8Array; stopped: boolean }
  /** `message` reads "FormatError: ..."; `error` rebuilds the class (rebuildError in error-transport.ts). */
  | { type: 'error'; message: string; error: ErrorRecord };
