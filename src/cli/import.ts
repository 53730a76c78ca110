// ae-wasm import: a Keras 3 .keras file or a TF.js Layers model.json (with its weight
// shards beside it) -> one ae-wasm model file, written atomically; every other command
// then works on it. See README "Importing models".

import { Command, Option } from 'commander';
import path from 'node:path';
import { ArgumentError } from '../errors.js';
import { readFileBytes, writeFileAtomic } from '../io/file-node.js';
import { importKerasModel } from '../interop/import-model.js';
import { readKerasFile } from '../interop/keras-file.js';
import { MAX_TOPOLOGY_JSON_BYTES } from '../interop/keras-json.js';
import { MAX_WEIGHT_BYTES, readTfjsModel } from '../interop/tfjs-import.js';
import { JsKernels } from '../kernels/js.js';
import type { ModelKind } from '../models/architecture.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { encodeModel, type TrainingRecord } from '../models/model-file.js';
import { RandomPurpose, streamKey } from '../random/streams.js';
import { optimizerFromRecord } from '../train/checkpoint.js';
import { checkOutputFile } from './output-file.js';

interface ImportFlags {
  out: string;
  encoderOutput?: string;
  kind?: ModelKind;
  checkpoint?: boolean;
}

export function importCommand(): Command {
  return new Command('import')
    .description('import a Keras 3 .keras file or a TF.js Layers model.json (its weight shards beside it) as an ae-wasm model file')
    .argument('<model>', 'MODEL.keras, or model.json from TF.js model.save or tensorflowjs_converter (Keras 2 or 3)')
    .requiredOption('--out <file>', 'the model file to write (.safetensors)')
    .option('--encoder-output <layer>', 'the Keras layer whose output is the code (default: between two nested models, else the narrowest layer)')
    .option('--checkpoint', 'write a checkpoint at epoch 0 (optimizer state zero, the record\'s seed): train --resume FILE --epochs N then keeps training the imported weights')
    .addOption(new Option('--kind <kind>', 'what the model must be (default: a VAE when a sampling layer reads [z_mean, z_log_var])').choices(['autoencoder', 'vae']))
    .action(async (file: string, flags: ImportFlags) => {
      const ext = path.extname(file).toLowerCase();
      if (ext !== '.keras' && ext !== '.json') throw new ArgumentError(`${file}: expected a .keras file or a TF.js model.json`);
      if (path.extname(flags.out).toLowerCase() !== '.safetensors') throw new ArgumentError(`--out ${flags.out}: an ae-wasm model file has the extension .safetensors`);
      await checkOutputFile(flags.out, [{ flag: 'MODEL', file }], 'model.safetensors');
      const artifacts =
        ext === '.keras'
          ? await readKerasFile(await readFileBytes(file, MAX_WEIGHT_BYTES + MAX_TOPOLOGY_JSON_BYTES), file)
          : await readTfjsModel(await readFileBytes(file, MAX_TOPOLOGY_JSON_BYTES), file, (shard, max) => readFileBytes(path.join(path.dirname(file), shard), max));
      const options = { ...(flags.encoderOutput !== undefined ? { encoderOutput: flags.encoderOutput } : {}), ...(flags.kind ? { kind: flags.kind } : {}) };
      // Weights are copied, not computed with: the JS backend avoids compiling WASM.
      const { model, code, notes } = importKerasModel(new JsKernels(), artifacts, file, options);
      try {
        const bytes = flags.checkpoint ? checkpointBytes(model) : encodeModel(model);
        await writeFileAtomic(flags.out, bytes);
        for (const note of notes) process.stdout.write(`note: ${note}\n`);
        const parts = Object.keys(model.architecture.parts).join(', ');
        process.stdout.write(
          `wrote ${flags.out}: ${model.kind === 'vae' ? 'a VAE' : 'an autoencoder'} (parts ${parts}${model.architecture.graph ? ', a graph of parts' : ''}), ` +
            `${model.params.count} parameters, code ${code.layer} (${code.rule})\n`,
        );
      } finally {
        model.dispose();
      }
    });
}

/**
 * The imported model as a checkpoint before its first epoch: the optimizer's slots zero (as
 * a fresh Adam's), the random streams at the start of the record's seed, no history; what
 * `train --resume` continues.
 */
function checkpointBytes(model: Autoencoder): Uint8Array {
  const training = model.training!;
  model.params.ensureTraining([...optimizerFromRecord(training).slots]);
  const stream = (purpose: RandomPurpose) => ({ key: streamKey(training.seed, purpose), counter: 0 });
  const record: TrainingRecord = { ...training, checkpoint: { epoch: 0, step: 0, rng: { shuffle: stream(RandomPurpose.shuffle), noise: stream(RandomPurpose.noise) }, history: [] } };
  return encodeModel(model, record, { optimizerState: true });
}
