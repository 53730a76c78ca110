// ae-wasm predict: a classifier's class probabilities (models/classifier.ts: the softmax of
// the part its sparse categorical cross-entropy reads) for every sample of a data split,
// as CSV: index, label (when the data has labels), class (the most probable), p0..p{K-1}.

import { Option, type Command } from 'commander';
import { ArgumentError } from '../errors.js';
import { requireClassifier } from '../models/classifier.js';
import { argmaxRows } from '../train/metrics.js';
import { hasLabels } from './normal-labels.js';
import { addDataOption, dataFrom } from './context.js';
import { modelCommand, type ModelCommandFlags, type ModelCommandRun } from './model-command.js';
import { requireFinite } from './numeric.js';
import { checkCsvOutput, writeCsv } from './output-file.js';

interface PredictFlags extends ModelCommandFlags {
  data?: string;
  labels?: string;
  split: 'test' | 'train' | 'all';
}

/** Indices are written through float32 (formatFloat32): exact up to 2^24. */
const MAX_ROWS = 2 ** 24;

export function predictCommand(): Command {
  return modelCommand({
    name: 'predict',
    description:
      "class probabilities of a model with a classifier (the softmax of the part its sparse_categorical_crossentropy term reads) for each sample of a data split",
    options(cmd) {
      addDataOption(cmd);
      cmd.addOption(new Option('--split <name>', 'which split to predict (all: train, then test; index counts on)').choices(['test', 'train', 'all']).default('test'));
    },
    out: { csv: 'one row per sample: index, label (when the data has labels), class (the most probable), p0..p{K-1} (float32, shortest round-trip decimals)' },
    run: runPredict,
  });
}

async function runPredict({ flags, model }: ModelCommandRun<PredictFlags>): Promise<void> {
  requireClassifier(model.architecture.graph, model.chains.keys(), 'predict', flags.model);
  const needs = flags.split === 'all' ? (['train', 'test'] as const) : ([flags.split] as const);
  const splits = await dataFrom(flags, needs, model);
  const parts = needs.map((s) => splits[s]);
  const n = parts.reduce((a, p) => a + p.n, 0);
  if (n > MAX_ROWS) throw new ArgumentError(`predict writes at most ${MAX_ROWS} rows; the ${flags.split} split of ${splits.source} has ${n} samples`);
  const labelled = hasLabels(splits, flags.labels);
  const k = model.labelCount!;
  const header = ['index', ...(labelled ? ['label'] : []), 'class', ...Array.from({ length: k }, (_, c) => `p${c}`)];
  const cols = header.length;
  checkCsvOutput(n, cols, `the ${n} ${flags.split === 'all' ? '' : `${flags.split} `}samples`);
  const rows = new Float32Array(n * cols);
  let row = 0;
  let right = 0;
  for (const ds of parts) {
    const probs = requireFinite(model.predict(ds.images), k, 'class probabilities', flags.model);
    const classes = argmaxRows(probs, ds.n, k);
    for (let r = 0; r < ds.n; r++, row++) {
      let at = row * cols;
      rows[at++] = row;
      if (labelled) rows[at++] = ds.labels[r]!;
      rows[at++] = classes[r]!;
      rows.set(probs.subarray(r * k, (r + 1) * k), at);
      if (classes[r] === ds.labels[r]) right++;
    }
  }
  const message = await writeCsv(flags.out, header, rows);
  process.stdout.write(`${message}${labelled ? `; accuracy ${(right / n).toFixed(4)} on ${n} samples of ${splits.source}` : ''}\n`);
}
