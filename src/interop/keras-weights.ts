// Weights of another tool, by their names there, onto our parameters `{part}.{i}.{param}`
// (the model file's names). A layer's weights are found by
//   "<nested models>/<layer>/<param>" or "<layer>/<param>"   TF.js model.save, Keras 2 converter ("dense_1/kernel")
//   "<Keras 3 state path>/vars/<i>"                          .keras files and the converter from them
//                                                           ("layers/sequential/layers/dense/vars/0"),
// i counting the layer's weights in Keras' order, which is ours (kernel, bias; gamma, beta,
// moving_mean, moving_variance). Every shape must match ours exactly; every weight of the
// file must land somewhere, except state that is no layer's (Keras 3 seed generators,
// optimizer and metric variables).

import { FormatError, ShapeError } from '../errors.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { formatShape, sameShape } from '../nn/tensor.js';
import type { KerasNode } from './keras-topology.js';

export interface WeightEntry {
  /** As the file names it. */
  name: string;
  shape: number[];
  /** Decodes the values (after the shape was checked, so nothing is decoded for a weight that does not fit). */
  read(): Float32Array;
}

/** Paths of state that belongs to no layer's weights. */
const NOT_LAYER_WEIGHTS = /(^|\/)(seed_generator(_\d+)?|optimizer|metrics|compile_metrics|loss_tracker)(\/|$)|^vars\//;

/** A name as TF.js compares it: without TensorFlow's ":0" output slot. */
export function weightKey(name: string): string {
  return name.endsWith(':0') ? name.slice(0, -2) : name;
}

/** Writes every parameter of `model` from `weights` (by file name), found through `layers` (`{part}.{i}` -> Keras node). */
export function assignWeights(model: Autoencoder, layers: ReadonlyMap<string, KerasNode>, weights: ReadonlyMap<string, WeightEntry>, source: string): void {
  const byKey = new Map<string, WeightEntry>();
  for (const w of weights.values()) byKey.set(weightKey(w.name), w);
  const used = new Set<WeightEntry>();
  let layerKey = '';
  let index = 0;
  for (const p of model.params.list) {
    const dot = p.name.lastIndexOf('.');
    const key = p.name.slice(0, dot);
    const param = p.name.slice(dot + 1);
    index = key === layerKey ? index + 1 : 0;
    layerKey = key;
    const node = layers.get(key);
    if (!node) throw new FormatError(`${source}: no Keras layer behind ${p.name} (an ae-wasm bug)`);
    const candidates = [`${node.id}/${param}`, `${node.name}/${param}`, `${node.statePath}/vars/${index}`, `${node.statePath}/${index}`];
    let w = candidates.map((c) => byKey.get(c)).find((x) => x !== undefined);
    if (!w) {
      // Keras 2 and TF.js may put an outer model's name before the layer's: take a unique suffix match.
      const matches = [...byKey.entries()].filter(([k]) => k.endsWith(`/${node.name}/${param}`));
      if (matches.length > 1) throw new FormatError(`${source}: ${node.where}: weights ${matches.map(([k]) => JSON.stringify(k)).join(', ')} all fit its ${param}`);
      w = matches[0]?.[1];
    }
    if (!w) throw new FormatError(`${source}: ${node.where}: no weight for its ${param} (looked for ${candidates.slice(0, 3).map((c) => JSON.stringify(c)).join(', ')})`);
    if (used.has(w)) throw new FormatError(`${source}: weight ${JSON.stringify(w.name)} would be read by two layers`);
    used.add(w);
    if (!sameShape(w.shape, p.shape)) {
      throw new ShapeError(`${source}: weight ${JSON.stringify(w.name)} is ${formatShape(w.shape)}, but ${node.where} needs ${param} ${formatShape(p.shape)} (ae-wasm ${p.name})`);
    }
    const values = w.read();
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) throw new FormatError(`${source}: weight ${JSON.stringify(w.name)} holds a non-finite value at index ${i}`);
    }
    model.params.write(p, values);
  }
  for (const w of weights.values()) {
    if (!used.has(w) && !NOT_LAYER_WEIGHTS.test(weightKey(w.name))) {
      throw new FormatError(`${source}: weight ${JSON.stringify(w.name)} ${formatShape(w.shape)} belongs to no layer of the imported model`);
    }
  }
}
