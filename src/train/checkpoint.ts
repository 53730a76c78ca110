// Checkpoints: the trainer's resume state <-> the `checkpoint` entry of a model file's
// training record, and the optimizer a record describes.

import { ArgumentError } from '../errors.js';
import type { CheckpointRecord, TrainingRecord } from '../models/model-file.js';
import { Adam, SGD, type Optimizer } from './optimizers.js';
import type { EpochRecord, TrainState } from './trainer.js';

export function checkpointFromState(state: TrainState, history: readonly EpochRecord[]): CheckpointRecord {
  const c: CheckpointRecord = {
    epoch: state.epoch,
    step: state.step,
    rng: { shuffle: { ...state.shuffle }, noise: { ...state.noise } },
    history: history.map((e) => ({ ...e })),
  };
  if (state.bestValLoss !== undefined) c.best_val_loss = state.bestValLoss;
  if (state.bestEpoch !== undefined) c.best_epoch = state.bestEpoch;
  if (state.epochsWithoutImprovement !== undefined) c.epochs_without_improvement = state.epochsWithoutImprovement;
  if (state.partial) {
    const p = state.partial;
    c.partial = { step_in_epoch: p.stepInEpoch, epoch_shuffle_counter: p.epochShuffleCounter, loss_sum: p.lossSum, seen: p.seen, seconds: p.seconds };
  }
  return c;
}

export function stateFromCheckpoint(c: CheckpointRecord): TrainState {
  const state: TrainState = { epoch: c.epoch, step: c.step, shuffle: { ...c.rng.shuffle }, noise: { ...c.rng.noise } };
  if (c.best_val_loss !== undefined) state.bestValLoss = c.best_val_loss;
  if (c.best_epoch !== undefined) state.bestEpoch = c.best_epoch;
  if (c.epochs_without_improvement !== undefined) state.epochsWithoutImprovement = c.epochs_without_improvement;
  if (c.partial) {
    const p = c.partial;
    state.partial = { stepInEpoch: p.step_in_epoch, epochShuffleCounter: p.epoch_shuffle_counter, lossSum: p.loss_sum, seen: p.seen, seconds: p.seconds };
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
