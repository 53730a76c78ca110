// A classifier on an encoder (issue 14, "stacked pre-training for classification"): the
// parts that compute a model's code, with their weights copied (or the same layers freshly
// initialised), then a head — [Dense(hidden, relu)] + Dense(classes) — trained with one
// sparse categorical cross-entropy term on N labelled images per class, the encoder frozen
// or fine-tuned; accuracy is measured on the test split.
//
//   encoder model:    input -> encoder -> code -> decoder         (a VAE: code = z_mean)
//   classifier model: input -> encoder -> code -> classifier      (logits [classes])
//
// The classifier's output is the part its sparse_categorical_crossentropy term reads and its
// probabilities are that part's softmax (the convention `predict` and `eval` follow). A
// VAE's encoder is its encoder and z_mean parts: the classifier reads z_mean, the
// deterministic code (z_log_var and the sampling are left out). A model whose code reads
// the label (a conditional VAE) has no encoder a classifier can use.
//
// The labelled subset (chooseLabelled) is class-balanced and seeded: for each class in turn
// (0, 1, ...) its training samples, in their order in the split, are permuted by one
// Fisher-Yates stream keyed by the seed, and the first N of the permutation are kept. So
// the N = 10 subset of a seed lies inside its N = 100 subset, and a class with fewer than N
// samples is an error naming it. 'all' takes every labelled training sample instead.
//
// Defaults: Adam (Keras' defaults, learning rate 0.001), batch 32, no hidden layer, and
// about CLASSIFY_STEPS optimizer steps: ceil(CLASSIFY_STEPS / steps per epoch) epochs, at
// least MIN_CLASSIFY_EPOCHS (10 labels per class: 250 epochs of 4 steps; all 8,000 bundled
// training digits: 5 epochs of 250).

import type { Dataset, Splits } from '../data/dataset.js';
import { classCount, gather } from '../data/dataset.js';
import type { Normalization } from '../data/normalize.js';
import { shuffledIndices } from '../data/shuffle.js';
import { ArgumentError, DataError } from '../errors.js';
import { checkOptionKeys, optionKeys } from '../options.js';
import type { Kernels } from '../kernels/kernels.js';
import { architectureGraph, partNames, type Architecture } from '../models/architecture.js';
import { Autoencoder } from '../models/autoencoder.js';
import type { GraphRecord, Source } from '../models/graph-record.js';
import { ancestors, topology } from '../models/graph-topology.js';
import { requireClassifier } from '../models/classifier.js';
import type { TrainingRecord } from '../models/model-file.js';
import type { LayerSpec, RunContext } from '../nn/layer.js';
import { planArchitecture } from '../models/plan.js';
import { triple32 } from '../random/generator.js';
import { RandomPurpose, RandomStream, streamKey } from '../random/streams.js';
import { classificationReport, Confusion } from './metrics.js';
import { Adam } from './optimizers.js';
import { StreamData } from './stream.js';
import { train, type Callbacks, type History } from './trainer.js';

/** About this many optimizer steps when no epochs are given. */
export const CLASSIFY_STEPS = 1000;
export const MIN_CLASSIFY_EPOCHS = 5;
export const CLASSIFY_DEFAULTS = { batchSize: 32, learningRate: 1e-3, hidden: 0, seed: 0 } as const;
/** The head's name (another is chosen when the encoder has a part of that name). */
export const CLASSIFIER_PART = 'classifier';

export type LabelsPerClass = number | 'all';

export interface ClassifierOptions {
  /**
   * The trained model whose encoder (the parts its code is computed by, weights copied)
   * the classifier starts from; null: the encoder of `architecture`, freshly initialised.
   */
  encoder: Autoencoder | null;
  /** With encoder null: the model whose encoder layers to use (e.g. presetArchitecture('deep')). */
  architecture?: Architecture;
  /** Labelled training samples per class (class-balanced), or 'all' of them. */
  labelsPerClass: LabelsPerClass;
  /** Keep the encoder's weights as they are (only the head trains). Default false: fine-tune. */
  freeze?: boolean;
  /** Units of a hidden Dense(relu) layer in the head; 0 (default): none. */
  hidden?: number;
  /** Default: classifierEpochs(labelled samples, batch size). */
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Seeds the labelled subset, the initial weights, the shuffling. Default 0. */
  seed?: number;
  /** The classifier's preprocessing (default: the encoder's; with encoder null, none). */
  preprocessing?: Normalization | null;
  /** Names of the classes, for messages (default their numbers). */
  labelNames?: readonly string[];
  callbacks?: Callbacks;
  signal?: AbortSignal;
}

export interface ClassifierReport {
  accuracy: number | null;
  per_class_accuracy: (number | null)[];
  /** Rows the true class, columns the predicted one. */
  confusion: number[][];
  no_prediction: number[];
  test_samples: number;
}

export interface ClassifierResult {
  /** The classifier (its training record set); dispose it when done. */
  model: Autoencoder;
  /** Indices into the training split of the labelled samples it trained on, ascending. */
  labelled: Uint32Array;
  history: History;
  /** Test-split metrics after training. */
  test: ClassifierReport;
  /** The parts copied from (or shaped like) the encoder, and the head's name. */
  encoderParts: string[];
  head: string;
}

/** Default epochs: about CLASSIFY_STEPS steps of `batch`, at least MIN_CLASSIFY_EPOCHS. */
export function classifierEpochs(samples: number, batch: number = CLASSIFY_DEFAULTS.batchSize): number {
  const steps = Math.ceil(samples / Math.min(batch, samples));
  return Math.max(MIN_CLASSIFY_EPOCHS, Math.ceil(CLASSIFY_STEPS / steps));
}

/** The key of the labelled-subset stream: the split purpose's key of the seed, re-hashed so it is no stream the data split draws from. */
function labelStream(seed: number): RandomStream {
  return new RandomStream(triple32((streamKey(seed, RandomPurpose.split) ^ 0x6c61626c) >>> 0));
}

/**
 * The labelled subset (rule in the header): indices into `labels`, ascending. A DataError
 * names every class with fewer than `perClass` samples and its count.
 */
export function chooseLabelled(labels: ArrayLike<number>, classes: number, perClass: LabelsPerClass, seed: number, labelNames?: readonly string[]): Uint32Array {
  checkLabelsPerClass(perClass);
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (!(Number.isInteger(l) && l >= 0 && l < classes)) throw new DataError(`training labels: label ${l} at index ${i} is outside 0..${classes - 1}`);
    byClass[l]!.push(i);
  }
  if (perClass === 'all') return Uint32Array.from({ length: labels.length }, (_, i) => i);
  const name = (c: number) => labelNames?.[c] ?? String(c);
  const short = byClass.map((ix, c) => ({ c, n: ix.length })).filter((s) => s.n < perClass);
  if (short.length > 0) {
    const list = short.map((s) => `class ${name(s.c)} has ${s.n}`).join(', ');
    const fewest = Math.min(...byClass.map((ix) => ix.length));
    throw new DataError(`${perClass} labels per class: the training split has fewer for ${short.length === 1 ? 'one class' : `${short.length} classes`} (${list}); use at most ${fewest}, or all`);
  }
  const stream = labelStream(seed);
  const chosen: number[] = [];
  for (const ix of byClass) {
    const order = shuffledIndices(ix.length, stream);
    for (let k = 0; k < perClass; k++) chosen.push(ix[order[k]!]!);
  }
  return Uint32Array.from(chosen.sort((a, b) => a - b));
}

function checkLabelsPerClass(perClass: LabelsPerClass): void {
  if (perClass === 'all') return;
  if (!Number.isSafeInteger(perClass) || perClass < 1) throw new ArgumentError(`labels per class must be an integer >= 1 or "all", got ${JSON.stringify(perClass)}`);
}

/** The parts `arch`'s code is computed by, in record order; an ArgumentError when they read the label or sample. */
export function encoderPartsOf(arch: Architecture): string[] {
  const g = architectureGraph(arch);
  const names = partNames(arch);
  const topo = topology(names, g);
  const nodes = ancestors(topo, [g.code]);
  for (const n of nodes) {
    const d = topo.derived.get(n);
    if (d?.kind === 'sample') throw new ArgumentError(`the model's code ${g.code} is computed through a sampling (${n}); a classifier needs a deterministic encoder`);
    const reads = d?.kind === 'concat' ? d.sources : [topo.partInput.get(n)!];
    if (reads.includes('label')) throw new ArgumentError(`the model's code ${g.code} reads the label (${n}); a classifier cannot use an encoder that needs the class it predicts`);
  }
  return names.filter((p) => nodes.has(p));
}

/**
 * The classifier's architecture on `arch`'s encoder: its code parts (their layers and
 * edges as they are) and a head reading the code — Flatten when the code is not flat,
 * [Dense(hidden, relu)], Dense(classes) (logits) — with one sparse cross-entropy term.
 */
export function classifierArchitecture(arch: Architecture, classes: number, hidden = 0): { architecture: Architecture; encoderParts: string[]; head: string } {
  if (!Number.isInteger(classes) || classes < 2) throw new ArgumentError(`a classifier needs at least 2 classes, got ${classes}`);
  if (!Number.isInteger(hidden) || hidden < 0) throw new ArgumentError(`hidden units must be an integer >= 0 (0: no hidden layer), got ${hidden}`);
  const g = architectureGraph(arch);
  const encoderParts = encoderPartsOf(arch);
  let head = CLASSIFIER_PART;
  for (let i = 2; encoderParts.includes(head); i++) head = `${CLASSIFIER_PART}_${i}`;
  const codeShape = planArchitecture(arch).shapes.get(g.code)!;
  const layers: LayerSpec[] = [];
  if (codeShape.length > 1) layers.push({ class_name: 'Flatten', config: {} });
  if (hidden > 0) layers.push({ class_name: 'Dense', config: { units: hidden, activation: 'relu' } });
  layers.push({ class_name: 'Dense', config: { units: classes, activation: 'linear' } });
  const parts: Record<string, LayerSpec[]> = {};
  const inputs: Record<string, Source> = {};
  for (const p of encoderParts) {
    parts[p] = structuredClone(arch.parts[p]!);
    inputs[p] = structuredClone(g.inputs[p]!);
  }
  parts[head] = layers;
  inputs[head] = g.code;
  const graph: GraphRecord = {
    inputs,
    labels: classes,
    code: g.code,
    output: head,
    losses: [{ kind: 'sparse_categorical_crossentropy', name: 'classification', output: head, target: 'label', weight: 1 }],
  };
  const architecture = { kind: 'autoencoder', input_shape: [...arch.input_shape], parts, graph } as unknown as Architecture;
  return { architecture, encoderParts, head };
}

/** The model's classifier part (models/classifier.ts: the part its sparse cross-entropy term reads); an UnsupportedError when it has none. */
export function classifierOutput(model: Autoencoder): string {
  return requireClassifier(model.architecture.graph, model.chains.keys(), 'evaluateClassifier', 'the model');
}

/** Accuracy, per-class accuracy and the confusion matrix of `model`'s logits on `ds`. */
export function evaluateClassifier(model: Autoencoder, ds: Dataset, batchSize = 256): ClassifierReport {
  const part = classifierOutput(model);
  const classes = model.labelCount!;
  if (ds.labels.length !== ds.n) throw new DataError(`evaluation data: ${ds.labels.length} labels for ${ds.n} samples`);
  const cm = new Confusion(classes);
  if (ds.n === 0) return { ...classificationReport(cm), test_samples: 0 };
  const kernels = model.kernels;
  const batch = Math.min(batchSize, ds.n);
  const data = new StreamData(kernels, ds, model.inputShape, 'evaluation data', batch);
  const g = model.compile({ batch, training: false, loss: 'mse' });
  const ctx: RunContext = { kernels, training: false, noise: new RandomStream(0) };
  try {
    const logits = g.valueOf(part);
    for (let start = 0; start < ds.n; start += batch) {
      const n = Math.min(batch, ds.n - start);
      data.gather(null, start, n, g.input.offset);
      g.forward(ctx, n, false);
      cm.addHeap(kernels.heap, logits.offset, ds.labels.subarray(start, start + n));
    }
  } finally {
    g.release();
    data.free();
  }
  return { ...classificationReport(cm), test_samples: ds.n };
}

/** Copies every parameter of `parts` from `from` into `to` (same names and shapes: `to` was built from `from`'s layers). */
function copyParts(from: Autoencoder, to: Autoencoder, parts: readonly string[]): void {
  for (const p of to.params.list) {
    if (!parts.some((part) => p.name.startsWith(`${part}.`))) continue;
    const src = from.params.get(p.name)!;
    to.params.write(p, from.params.read(src), src.shape);
  }
}

/** The number of classes of the splits, and a DataError when they carry no class labels. */
function classesOf(splits: Splits): number {
  for (const [what, ds] of [['training', splits.train], ['test', splits.test]] as const) {
    if (ds.labels.length !== ds.n) throw new DataError(`${splits.source}: the ${what} split has ${ds.labels.length} labels for ${ds.n} samples; a classifier needs one per sample`);
  }
  const classes = Math.max(classCount(splits.train.labels), classCount(splits.test.labels));
  if (classes < 2) throw new DataError(`${splits.source}: every label is ${classes === 1 ? 0 : 'absent'}, so there are no classes to learn (a source without labels?)`);
  return classes;
}

const CLASSIFIER_KEYS = optionKeys<ClassifierOptions>()(
  'encoder', 'architecture', 'labelsPerClass', 'freeze', 'hidden', 'epochs', 'batchSize', 'learningRate', 'seed', 'preprocessing', 'labelNames', 'callbacks', 'signal',
);

/**
 * Builds the classifier on `options.encoder` (or a fresh encoder of `options.architecture`),
 * trains it on the labelled subset of splits.train and measures it on splits.test.
 * Everything is checked before the model is built.
 */
export async function trainClassifier(kernels: Kernels, splits: Splits, options: ClassifierOptions): Promise<ClassifierResult> {
  checkOptionKeys(options, CLASSIFIER_KEYS, 'trainClassifier(kernels, splits, options)');
  const source = options.encoder?.architecture ?? options.architecture;
  if (!source) throw new ArgumentError('trainClassifier needs an encoder model, or with encoder null an architecture whose encoder to train from scratch');
  const seed = options.seed ?? CLASSIFY_DEFAULTS.seed;
  const batchSize = options.batchSize ?? CLASSIFY_DEFAULTS.batchSize;
  const hidden = options.hidden ?? CLASSIFY_DEFAULTS.hidden;
  const freeze = options.freeze ?? false;
  checkLabelsPerClass(options.labelsPerClass);
  const classes = classesOf(splits);
  const { architecture, encoderParts, head } = classifierArchitecture(source, classes, hidden);
  const labelled = chooseLabelled(splits.train.labels, classes, options.labelsPerClass, seed, options.labelNames);
  const epochs = options.epochs ?? classifierEpochs(labelled.length, batchSize);
  const optimizer = new Adam({ learningRate: options.learningRate ?? CLASSIFY_DEFAULTS.learningRate });

  const model = new Autoencoder(kernels, architecture).initialize(seed);
  try {
    if (options.encoder) copyParts(options.encoder, model, encoderParts);
    model.preprocessing = options.preprocessing !== undefined ? options.preprocessing : (options.encoder?.preprocessing ?? null);
    if (freeze) for (const part of encoderParts) model.params.freeze(part);
    const trainSet = gather(splits.train, labelled);
    const history = await train(model, { train: trainSet, test: splits.test, source: splits.source }, {
      epochs, batchSize, seed, optimizer, loss: 'mse', evaluateTest: false, callbacks: options.callbacks, signal: options.signal,
    });
    // The saved model is a plain classifier: freezing was how this run trained it (the record says so).
    for (const part of encoderParts) model.params.freeze(part, false);
    const record: TrainingRecord = {
      loss: 'mse',
      optimizer: optimizer.config(),
      noise: 0,
      l1: 0,
      beta: 1,
      seed,
      batch_size: batchSize,
      epochs,
      data: splits.source,
      classifier: {
        encoder: options.encoder ? 'pre-trained' : 'none',
        encoder_parts: encoderParts,
        code: architectureGraph(source).code,
        labels_per_class: options.labelsPerClass,
        labelled: labelled.length,
        freeze,
        hidden,
      },
    };
    model.training = record;
    return { model, labelled, history, test: evaluateClassifier(model, splits.test), encoderParts, head };
  } catch (err) {
    model.dispose();
    throw err;
  }
}
