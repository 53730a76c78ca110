// Real model files and checkpoints for rejection tests and the fuzz suite: made with the
// library (a preset, initialised, encoded), then edited at the tensor or metadata level.
import type { Normalization } from '../../src/data/normalize.js';
import { decodeSafetensors, encodeSafetensors, type TensorEntry } from '../../src/io/safetensors.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import type { Architecture } from '../../src/models/architecture.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { encodeModel, type CheckpointRecord, type TrainingRecord } from '../../src/models/model-file.js';
import { presetArchitecture } from '../../src/models/presets.js';

export function trainingRecord(preset: string, extra: Partial<TrainingRecord> = {}): TrainingRecord {
  return {
    preset,
    loss: preset === 'vae' ? 'bce' : 'mse',
    optimizer: { name: 'adam', learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 },
    noise: preset === 'conv' ? 0.2 : 0,
    l1: 0,
    beta: 1,
    seed: 7,
    batch_size: 32,
    epochs: 3,
    data: 'test fixture',
    ...extra,
  };
}

/** A checkpoint two epochs and a few steps in, as the trainer writes one. */
export function checkpointRecord(): CheckpointRecord {
  return {
    epoch: 2,
    step: 130,
    rng: { shuffle: { key: 123456, counter: 3 }, noise: { key: 654321, counter: 9000 } },
    best_val_loss: 0.03,
    best_epoch: 2,
    epochs_without_improvement: 0,
    partial: { step_in_epoch: 5, epoch_shuffle_counter: 2, loss_sum: 4.5, seen: 160, seconds: 1.5 },
    history: [
      { epoch: 1, loss: 0.06, test_mse: 0.05, seconds: 2, samples_per_sec: 1000 },
      { epoch: 2, loss: 0.04, test_mse: 0.03, seconds: 2, samples_per_sec: 1000 },
    ],
  };
}

/** A model file of `preset` (a checkpoint with Adam slots when `checkpoint`). */
export function modelFile(kernels: Kernels, preset: string, checkpoint = false, preprocessing: Normalization | null = null): Uint8Array {
  const model = new Autoencoder(kernels, presetArchitecture(preset)).initialize(11);
  model.preprocessing = preprocessing;
  try {
    const training = trainingRecord(preset);
    if (!checkpoint) return encodeModel(model, training);
    model.params.ensureTraining(['m', 'v']);
    return encodeModel(model, { ...training, checkpoint: checkpointRecord() }, { optimizerState: true });
  } finally {
    model.dispose();
  }
}

/** A model file of a graph architecture (test/models/graph-fixtures.ts), initialised. */
export function graphModelFile(kernels: Kernels, arch: Architecture): Uint8Array {
  const model = new Autoencoder(kernels, arch).initialize(13);
  try {
    return encodeModel(model, trainingRecord('graph', { loss: 'mse' }));
  } finally {
    model.dispose();
  }
}

export type Editable = Map<string, { dtype: TensorEntry['dtype']; shape: readonly number[]; data: TensorEntry['data'] }>;

/** `bytes` re-encoded after `change` edits its tensors and metadata. */
export function edit(bytes: Uint8Array, change: (tensors: Editable, metadata: Record<string, string>) => void): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const t: Editable = new Map([...tensors].map(([name, d]) => [name, { dtype: d.dtype as TensorEntry['dtype'], shape: d.shape, data: d.data as TensorEntry['data'] }]));
  const md = { ...metadata };
  change(t, md);
  return encodeSafetensors([...t].map(([name, e]) => ({ name, ...e }) as TensorEntry), md);
}

/** `bytes` with one metadata JSON record (architecture or training) rewritten. */
export function editRecord(bytes: Uint8Array, key: 'architecture' | 'training', change: (record: Record<string, unknown>) => unknown): Uint8Array {
  return edit(bytes, (_t, md) => {
    const out = change(JSON.parse(md[key]!) as Record<string, unknown>);
    md[key] = typeof out === 'string' ? out : JSON.stringify(out);
  });
}

/** A JSON text nesting `depth` arrays around 1. */
export function deepJson(depth: number): string {
  return '['.repeat(depth) + '1' + ']'.repeat(depth);
}

/** `bytes` with its safetensors header text rewritten (data section unchanged). */
export function editHeaderText(bytes: Uint8Array, change: (header: string) => string): Uint8Array {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  const header = new TextEncoder().encode(change(new TextDecoder().decode(bytes.subarray(8, 8 + n))));
  const out = new Uint8Array(8 + header.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(bytes.subarray(8 + n), 8 + header.length);
  return out;
}
