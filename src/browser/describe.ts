// The plain-data description of a loaded model that pages show (BrowserModel.info).

import type { Autoencoder } from '../models/autoencoder.js';
import type { TrainingRecord } from '../models/model-file.js';
import { summaryRows } from '../models/summary.js';
import { classifierPart } from '../models/classifier.js';
import { quantizationOf } from '../models/quantize.js';
import type { ModelInfo } from './model.js';

export type ModelDescription = Omit<ModelInfo, 'build' | 'buildReason' | 'threads' | 'source'>;

/** Everything but the build, threads and source (also sent back by the compute worker). */
export function describeModel(model: Autoencoder, training: TrainingRecord): ModelDescription {
  return {
    kind: model.kind,
    inputShape: [...model.inputShape],
    codeShape: [...model.codeShape],
    outputShape: [...model.outputShape],
    codeSize: model.codeSize,
    // A copy: the page may read (or mutate) info.preprocessing; the model keeps its own.
    preprocessing: model.preprocessing && structuredClone(model.preprocessing),
    params: model.params.count,
    training,
    summary: summaryRows(model),
    architecture: model.architecture,
    labels: model.labelCount,
    readsLabels: model.readsLabels,
    decoderReadsLabels: model.decoderReadsLabels,
    classifier: classifierPart(model.architecture.graph),
    quantization: quantizationOf(model),
  };
}
