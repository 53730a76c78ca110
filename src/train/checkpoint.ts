// Checkpoints: the trainer's resume state <-> the `checkpoint` entry of a model file's
// training record, and the optimizer a record describes.

import { ArgumentError, DataError } from '../errors.js';
import type { Autoencoder } from '../models/autoencoder.js';
import type { CheckpointRecord, TrainingRecord } from '../models/model-file.js';
import { Adam, SGD, type Optimizer } from './optimizers.js';
import type { EpochRecord, TrainState } from './trainer.js';

type PartialState = NonNullable<TrainState['partial']>;
type PartialRecord = NonNullable<CheckpointRecord['partial']>;

// Each field the state and the record share under two spellings, listed once for both directions.
const OPTIONAL_FIELDS = [
  ['bestValLoss', 'best_val_loss'],
  ['bestEpoch', 'best_epoch'],
  ['epochsWithoutImprovement', 'epochs_without_improvement'],
] as const satisfies readonly (readonly [keyof TrainState, keyof CheckpointRecord])[];

const PARTIAL_FIELDS = [
  ['stepInEpoch', 'step_in_epoch'],
  ['epochShuffleCounter', 'epoch_shuffle_counter'],
  ['lossSum', 'loss_sum'],
  ['seen', 'seen'],
  ['seconds', 'seconds'],
] as const satisfies readonly (readonly [keyof PartialState, keyof PartialRecord])[];

export function checkpointFromState(state: TrainState, history: readonly EpochRecord[]): CheckpointRecord {
  const c: CheckpointRecord = {
    epoch: state.epoch,
    step: state.step,
    rng: { shuffle: { ...state.shuffle }, noise: { ...state.noise } },
    history: history.map((e) => ({ ...e })),
  };
  for (const [ours, theirs] of OPTIONAL_FIELDS) {
    const v = state[ours];
    if (v !== undefined) c[theirs] = v;
  }
  if (state.partial) {
    const p = {} as PartialRecord;
    for (const [ours, theirs] of PARTIAL_FIELDS) p[theirs] = state.partial[ours];
    c.partial = p;
  }
  return c;
}

export function stateFromCheckpoint(c: CheckpointRecord): TrainState {
  const state: TrainState = { epoch: c.epoch, step: c.step, shuffle: { ...c.rng.shuffle }, noise: { ...c.rng.noise } };
  for (const [ours, theirs] of OPTIONAL_FIELDS) {
    const v = c[theirs];
    if (v !== undefined) state[ours] = v;
  }
  if (c.partial) {
    const p = {} as PartialState;
    for (const [ours, theirs] of PARTIAL_FIELDS) p[ours] = c.partial[theirs];
    state.partial = p;
  }
  return state;
}

/** The epochs recorded in a checkpoint, as history entries. */
export function historyFromCheckpoint(c: CheckpointRecord): EpochRecord[] {
  return (c.history ?? []) as unknown as EpochRecord[];
}

/** Rebuilds the optimizer a training record describes (its slots come from the file). */
export function optimizerFromRecord(record: TrainingRecord): Optimizer {
  const o = record.optimizer;
  const num = (key: string) => (typeof o[key] === 'number' ? (o[key] as number) : undefined);
  if (o['name'] === 'adam') {
    return new Adam({ learningRate: num('learning_rate'), beta1: num('beta_1'), beta2: num('beta_2'), epsilon: num('epsilon') });
  }
  if (o['name'] === 'sgd') return new SGD({ learningRate: num('learning_rate'), momentum: num('momentum') });
  throw new ArgumentError(`the training record names an unknown optimizer ${JSON.stringify(o['name'])}`);
}

/**
 * Refuses to save a model whose parameters are not all finite (a diverged run): a
 * DataError naming the first such tensor, element and value, and what to try.
 * Belt and braces next to the trainer's own check of the loss.
 */
export function assertFiniteParameters(model: Autoencoder, what: string): void {
  for (const p of model.params.list) {
    const values = model.kernels.heap.read(p.value, p.size);
    const i = values.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) {
      throw new DataError(`refusing to write ${what}: parameter ${p.name} holds ${values[i]} at element ${i} (training diverged; try a lower --lr); no file was replaced`);
    }
  }
}
