// ae-wasm export: a model as ONNX (one .onnx file) or as a TF.js Layers model (a directory
// holding model.json and group1-shard1of1.bin), for another runtime to run. Graphs of parts
// (ae-classifier, cvae, imported graphs) export as graphs: the parts each offers and their
// inputs and outputs are src/interop/export-parts.ts'; a part a model lacks is an
// ArgumentError naming the model and the parts it has, before anything is written.

import { Command, Option } from 'commander';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ArgumentError, FileError } from '../errors.js';
import { writeFileAtomic } from '../io/file-node.js';
import { JsKernels } from '../kernels/js.js';
import { EXPORT_PARTS, exportPlan, type ExportPart } from '../interop/export-parts.js';
import { exportOnnx, ONNX_OPSET } from '../interop/export-onnx.js';
import { exportTfjs, TFJS_WEIGHTS_FILE } from '../interop/export-tfjs.js';
import { int8Layers } from '../models/quantize.js';
import { addModelOption, modelFrom } from './model-option.js';
import { checkOutputFile } from './output-file.js';

interface ExportFlags {
  model: string;
  format: 'onnx' | 'tfjs';
  part: ExportPart;
  out: string;
}

const TFJS_MODEL_FILE = 'model.json';

export function exportCommand(): Command {
  const cmd = new Command('export').description(
    'export a model for another runtime: ONNX (opset 17, NHWC float32) or a TF.js Layers model; inputs and outputs stay in the model\'s ' +
      '(normalised) space, with the preprocessing recorded in the export\'s metadata',
  );
  addModelOption(cmd);
  cmd
    .addOption(new Option('--format <format>', 'onnx: one .onnx file; tfjs: a directory with model.json and its weights shard').choices(['onnx', 'tfjs']).makeOptionMandatory())
    .addOption(
      new Option(
        '--part <part>',
        'encoder: input -> code (a VAE: z_mean and z_log_var); decoder: code -> reconstruction; all: input -> reconstruction (a VAE decodes z_mean; ' +
          'with a classifier also its class probabilities); classifier: input -> class probabilities (what predict returns). A model whose pass reads ' +
          'the label (cvae) takes it as a second input, label, one-hot [N, classes]',
      )
        .choices([...EXPORT_PARTS])
        .default('all'),
    )
    .requiredOption('--out <path>', 'FILE.onnx for --format onnx, a directory for --format tfjs (new, empty, or an earlier TF.js export)');
  return cmd.action(async (flags: ExportFlags) => {
    // Every check on --out comes before the model is read.
    if (flags.format === 'onnx') {
      if (path.extname(flags.out).toLowerCase() !== '.onnx') throw new ArgumentError(`--out ${flags.out}: --format onnx writes one file; give it the extension .onnx`);
      await checkOutputFile(flags.out, [{ flag: '--model', file: flags.model }], 'model.onnx');
    } else {
      await checkExportDirectory(flags.out);
    }
    // Reading weights needs no fast kernels: the JS backend avoids compiling WASM.
    const model = await modelFrom(flags, new JsKernels());
    try {
      if (flags.format === 'onnx') {
        const bytes = exportOnnx(model, { part: flags.part });
        await writeFileAtomic(flags.out, bytes);
        process.stdout.write(`wrote ${flags.out} (ONNX opset ${ONNX_OPSET}, part ${flags.part}, ${bytes.length} bytes)\n`);
      } else {
        const { modelJson, weights } = exportTfjs(model, { part: flags.part });
        // The shard first: a model.json is never left pointing at weights that are not there.
        await writeFileAtomic(path.join(flags.out, TFJS_WEIGHTS_FILE), weights);
        await writeFileAtomic(path.join(flags.out, TFJS_MODEL_FILE), JSON.stringify(modelJson));
        process.stdout.write(`wrote ${path.join(flags.out, TFJS_MODEL_FILE)} and ${TFJS_WEIGHTS_FILE} (TF.js Layers, part ${flags.part}, ${weights.length} bytes of weights)\n`);
      }
      // The int8 layers this part holds (an encoder export has none of the decoder's); a float
      // model skips the second plan (it reads every weight again).
      const int8All = [...int8Layers(model).keys()];
      const exported = int8All.length > 0 ? new Set(exportPlan(model, { part: flags.part }).nodes.flatMap((n) => (n.kind === 'chain' ? n.layers.map((l) => l.name) : []))) : new Set();
      const int8 = int8All.filter((name) => exported.has(name));
      if (int8.length > 0) {
        process.stdout.write(
          `note: ${int8.length} int8 layer${int8.length > 1 ? 's' : ''} (${int8.join(', ')}) went out as float32 weights (each int8 code times its channel's scale) ` +
            `with float32 activations: the export computes what the float model with those weights does, not ae-wasm's int8 arithmetic, so its outputs differ slightly from the int8 model's\n`,
        );
      }
    } finally {
      model.dispose();
    }
  });
}

/**
 * A TF.js export goes to a new or empty directory, or replaces an earlier export: a
 * directory holding anything but model.json and group*-shard*of*.bin files is refused, so
 * a typo cannot overwrite someone's files.
 */
async function checkExportDirectory(dir: string): Promise<void> {
  const stats = await fs.stat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw new FileError(`--out ${dir}: cannot check it: ${err.code ?? err.message}`, dir, { cause: err });
  });
  if (!stats) return;
  if (!stats.isDirectory()) throw new FileError(`--out ${dir}: exists and is not a directory; --format tfjs writes a directory (model.json and ${TFJS_WEIGHTS_FILE})`, dir);
  const entries = await fs.readdir(dir);
  const strangers = entries.filter((e) => e !== TFJS_MODEL_FILE && !/^group\d+-shard\d+of\d+\.bin$/.test(e));
  if (strangers.length > 0) {
    const shown = strangers.slice(0, 3).map((s) => JSON.stringify(s)).join(', ');
    throw new FileError(`--out ${dir}: is not an earlier TF.js export (it holds ${shown}${strangers.length > 3 ? ', ...' : ''}); choose a new or empty directory`, dir);
  }
  if (entries.includes(TFJS_MODEL_FILE)) {
    const text = await fs.readFile(path.join(dir, TFJS_MODEL_FILE), 'utf8').catch(() => '');
    let format: unknown;
    try {
      format = (JSON.parse(text) as { format?: unknown }).format;
    } catch {
      format = undefined;
    }
    if (format !== 'layers-model') throw new FileError(`--out ${dir}: its model.json is not a TF.js Layers model (format "layers-model"); choose a new or empty directory`, dir);
  }
}
