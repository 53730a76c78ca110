// The parsers and loaders under fuzz, each with its seeds and mutations. A target's run
// either returns (the input was accepted) or throws; the harness judges the throw.
import type fc from 'fast-check';
import { gunzipIdx } from '../../src/data/idx-gunzip.js';
import { idxDataset, parseIdx } from '../../src/data/idx.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { decodeModel } from '../../src/models/model-file.js';
import { decodePng, toMnistInput } from '../../src/viz/preprocess.js';
import { historyFromCheckpoint, optimizerFromRecord, stateFromCheckpoint } from '../../src/train/checkpoint.js';
import { jsKernels } from '../helpers.js';
import { RandomStream } from '../../src/random/streams.js';
import { aecMutation, gzipMutation, byteMutation, modelMutation, type Mutation } from './mutations.js';
import { decompressCodes } from '../../src/compress/index.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { aecSeeds, checkpointSeeds, graphModelSeeds, csvSeeds, gzipSeeds, idxSeeds, imageSeeds, modelSeeds, npySeeds, pngSeeds, type Seed } from './seeds.js';
import { parseNpy, parseNpyLabels } from '../../src/data/sources/npy.js';
import { parseCsv } from '../../src/data/sources/csv.js';
import { decodeImage, readImageHeader } from '../../src/data/sources/images-node.js';
import { prepare } from '../../src/data/load.js';
import type { LoadedData } from '../../src/data/sources/types.js';
import { importKeras, importPacked, kerasFileSeeds, tfjsImportSeeds } from './import-seeds.js';

export interface Target {
  name: string;
  seeds: Seed[];
  mutation: fc.Arbitrary<Mutation>;
  run(bytes: Uint8Array, seed: Seed): void | Promise<void>;
}

/** Digit-shaped uint8 data for the preprocessing target: what a command prepares with a model's record. */
function digits(): LoadedData {
  const split = (n: number) => ({ n, data: Uint8Array.from({ length: n * 784 }, (_, i) => (i * 31) & 0xff), labels: Int32Array.from({ length: n }, (_, i) => i % 10) });
  return { train: split(2), test: split(1), kind: 'images', format: 'idx', sampleShape: [28, 28, 1], dtype: 'uint8', split: { rule: 'source-test' }, source: 'fuzz digits' };
}

/** Every target with its seeds; async because sharp encodes the JPEG and WebP seeds. */
export async function targets(kernels: Kernels): Promise<Target[]> {
  const js = jsKernels();
  const graphs = graphModelSeeds(kernels);
  const models = [...modelSeeds(kernels), ...graphs];
  const images = await imageSeeds();
  const data = digits();
  const checkpoints = checkpointSeeds(kernels);
  const idx = idxSeeds();
  const labels = idx.find((s) => s.idxDims === 1)!.bytes;
  // Lives as long as the targets (the fuzz run): every .aec seed is bound to it by its hash.
  const coder = new Autoencoder(kernels, presetArchitecture('dense', { latent: 3 })).initialize(5);
  return [
    {
      name: 'safetensors',
      seeds: [...models, ...checkpoints],
      mutation: modelMutation(),
      run: (bytes) => void decodeSafetensors(bytes, 'fuzz.safetensors'),
    },
    {
      name: 'model file',
      seeds: models,
      mutation: modelMutation(),
      run: (bytes) => decodeModel(bytes, kernels, 'fuzz.safetensors').model.dispose(),
    },
    {
      // The JS backend takes activation codes as given, so a bad name shows there first.
      name: 'model (JS)',
      seeds: models,
      mutation: modelMutation(),
      run: (bytes) => decodeModel(bytes, js, 'fuzz.safetensors').model.dispose(),
    },
    {
      // A graph's record (edges, loss terms, label width) mutated, then what training does
      // with it: a training graph compiled and one forward, loss and backward run on labels.
      name: 'graph model',
      seeds: graphs,
      mutation: modelMutation(['architecture', 'architecture', 'header']),
      run: (bytes) => {
        const { model } = decodeModel(bytes, js, 'fuzz.safetensors');
        try {
          model.params.ensureTraining([]);
          const g = model.compile({ batch: 2, training: true, loss: 'mse' });
          try {
            if (g.label) js.heap.write(g.label.offset, Array.from({ length: g.label.shape[1]! * 2 }, (_, i) => (i === 0 || i === g.label!.shape[1]! + 1 ? 1 : 0)));
            const ctx = { kernels: js, training: true, noise: new RandomStream(1) };
            g.forward(ctx, 2);
            g.loss(2);
            g.backward(ctx, 2);
          } finally {
            g.release();
          }
        } finally {
          model.dispose();
        }
      },
    },
    {
      name: 'checkpoint',
      seeds: checkpoints,
      mutation: modelMutation(),
      // What a resumed run does with a checkpoint before training from it.
      run: (bytes) => {
        const { model, training } = decodeModel(bytes, kernels, 'fuzz.safetensors');
        try {
          optimizerFromRecord(training);
          if (training.checkpoint) {
            stateFromCheckpoint(training.checkpoint);
            for (const e of historyFromCheckpoint(training.checkpoint)) void { ...e };
          }
        } finally {
          model.dispose();
        }
      },
    },
    {
      name: 'IDX raw',
      seeds: idx,
      mutation: byteMutation(),
      run: (bytes, seed) => {
        if (seed.idxDims === 3) idxDataset(bytes, labels, 'fuzz-images', 'fuzz-labels');
        else parseIdx(bytes, 'fuzz-labels', 1);
      },
    },
    {
      name: 'IDX gzip',
      seeds: gzipSeeds(),
      mutation: gzipMutation(),
      run: async (bytes, seed) => {
        const raw = await gunzipIdx(bytes, 'fuzz.gz');
        if (seed.idxDims === 3) idxDataset(raw, labels, 'fuzz.gz', 'fuzz-labels');
        else parseIdx(raw, 'fuzz.gz', 1);
      },
    },
    {
      name: 'PNG',
      seeds: pngSeeds(),
      mutation: byteMutation(),
      run: (bytes) => void toMnistInput(decodePng(bytes, 'fuzz.png')),
    },
    {
      name: 'npy',
      seeds: npySeeds(),
      mutation: byteMutation(),
      run: (bytes, seed) => void (seed.name.includes('labels') ? parseNpyLabels(bytes, 'fuzz.npy', 1 << 24) : parseNpy(bytes, 'fuzz.npy', 1 << 24)),
    },
    {
      name: 'CSV',
      seeds: csvSeeds(),
      mutation: byteMutation(),
      run: (bytes, seed) => void parseCsv(bytes, 'fuzz.csv', seed.name.includes('header') ? { labelColumn: 'label' } : { labelColumn: -1 }),
    },
    {
      // The image-folder path: header check (pixel cap), then a sharp decode and resize.
      name: 'image (sharp)',
      seeds: images,
      mutation: byteMutation(),
      run: async (bytes) => {
        const header = await readImageHeader(bytes, 'fuzz.png', 1 << 22);
        await decodeImage(bytes, header, 8, 8, 3, 1 << 22);
      },
    },
    {
      // A model file's preprocessing record (its JSON and statistics tensors) as every
      // command uses it: parsed with the file, then data prepared with it, a reconstruction
      // taken back to the data's units.
      name: 'preprocessing',
      seeds: models.filter((s) => s.name.includes('preprocessing')),
      mutation: modelMutation(['preprocessing', 'preprocessing', 'header']),
      run: (bytes) => {
        const { model } = decodeModel(bytes, kernels, 'fuzz.safetensors');
        try {
          const prepared = prepare(data, { preprocessing: model.preprocessing });
          model.denormalize(model.reconstruct(prepared.test.images));
        } finally {
          model.dispose();
        }
      },
    },
    {
      // What decompress does with a file: header, hash, payload, then the decoder. Limits
      // lowered as a cautious caller would, so an accepted file stays within the case's memory.
      name: 'aec',
      seeds: aecSeeds(coder),
      mutation: aecMutation(),
      run: (bytes) => {
        const { codes } = decompressCodes(coder, bytes, { source: 'fuzz.aec', limits: { maxSamples: 4096 } });
        coder.decode(codes);
      },
    },
    {
      // ae-wasm import of a TF.js model.json and its shard: JSON edits of model.json, truncated shards.
      name: 'TF.js import',
      seeds: tfjsImportSeeds(js),
      mutation: modelMutation(['architecture', 'architecture', 'header']),
      run: (bytes) => importPacked(bytes, js),
    },
    {
      // ae-wasm import of a .keras file: zip structure, config.json and the HDF5 weights mutated byte by byte.
      name: 'Keras import',
      seeds: await kerasFileSeeds(),
      mutation: byteMutation(),
      run: (bytes) => importKeras(bytes, js),
    },
  ];
}
