// ae-wasm quantize: an int8 copy of a trained model (README "int8 models"): its Dense
// layers' weights as per-channel symmetric int8, for faster and smaller inference.

import { Command, Option } from 'commander';
import path from 'node:path';
import { ArgumentError } from '../errors.js';
import { readFileBytes, writeFileAtomic } from '../io/file-node.js';
import { JsKernels } from '../kernels/js.js';
import { decodeModel, encodeModel } from '../models/model-file.js';
import { quantizationOf, quantizeModel } from '../models/quantize.js';
import { addModelOption } from './model-option.js';
import { checkOutputFile } from './output-file.js';

interface QuantizeFlags {
  model: string;
  out: string;
  keepFloat?: string;
}

export function quantizeCommand(): Command {
  const cmd = new Command('quantize').description(
    'write an int8 copy of a model: every Dense layer\'s weights as int8 with one float32 scale per output channel, activations ' +
      'quantized per sample at run time; eval, reconstruct, encode and the browser bundle run it',
  );
  addModelOption(cmd);
  cmd
    .requiredOption('--out <file>', 'the int8 model file to write (.safetensors; never the --model file)')
    .addOption(new Option('--keep-float <layers>', 'Dense layers to leave in float32, comma-separated {part}.{index} names (ae-wasm summary lists them), e.g. decoder.0'));
  return cmd.action(async (flags: QuantizeFlags) => {
    if (path.extname(flags.out).toLowerCase() !== '.safetensors') throw new ArgumentError(`--out ${flags.out}: quantize writes a model file; give it the extension .safetensors`);
    await checkOutputFile(flags.out, [{ flag: '--model', file: flags.model }], 'model-int8.safetensors');
    const keepFloat = flags.keepFloat === undefined ? [] : flags.keepFloat.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    const bytes = await readFileBytes(flags.model);
    // Quantizing reads and writes weights only: the JS backend avoids compiling WASM.
    const model = decodeModel(bytes, new JsKernels(), flags.model).model;
    try {
      if (quantizationOf(model)) throw new ArgumentError(`--model ${flags.model} is already an int8 model`);
      const q = quantizeModel(model, { keepFloat });
      try {
        const out = encodeModel(q);
        await writeFileAtomic(flags.out, out);
        const layers = quantizationOf(q)!.layers;
        process.stdout.write(`wrote ${flags.out}: int8 Dense layers ${layers.join(', ')}${keepFloat.length ? `; float32 kept: ${keepFloat.join(', ')}` : ''} (${out.length.toLocaleString('en-US')} bytes, from ${bytes.length.toLocaleString('en-US')})\n`);
      } finally {
        q.dispose();
      }
    } finally {
      model.dispose();
    }
  });
}
