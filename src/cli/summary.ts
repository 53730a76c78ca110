// ae-wasm summary: a model's layers, output shapes and parameter counts.

import { Command } from 'commander';
import { quantizationOf } from '../models/quantize.js';
import { summaryText } from '../models/summary.js';
import { JsKernels } from '../kernels/js.js';
import { terminalLines, terminalText } from '../io/terminal-text.js';
import { addModelOption, modelFrom } from './model-option.js';

export function summaryCommand(): Command {
  const cmd = new Command('summary').description("print a model's architecture like Keras' model.summary()");
  addModelOption(cmd);
  return cmd.action(async (flags: { model: string }) => {
    // Reading the architecture needs no fast kernels: the JS backend avoids compiling WASM.
    const model = await modelFrom(flags, new JsKernels());
    const title = model.training?.preset ?? flags.model;
    // The title (a preset name from the file) on one line; the table keeps its own lines.
    process.stdout.write(terminalLines(summaryText(model, terminalText(title))) + '\n');
    const q = quantizationOf(model);
    if (q) process.stdout.write(`Quantization: ${q.scheme}, int8 Dense layers ${q.layers.join(', ')}\n`);
  });
}
