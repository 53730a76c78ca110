// The frame of the commands that read a trained model and write a file: --model, the
// command's own flags, --out with the formats it writes, the backend flags; and, when it
// runs, the --out format and path checked before any work, then the backend and the model.

import { Command } from 'commander';
import type { Kernels } from '../kernels/kernels.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { addBackendOption, backendFrom, type BackendFlags } from './context.js';
import { addModelOption, modelFrom } from './model-option.js';
import { addOutOption, checkOutputFile, outFormat, type InputFile, type OutFormat } from './output-file.js';

export interface ModelCommandFlags extends BackendFlags {
  model: string;
  out: string;
}

export interface ModelCommandRun<F> {
  flags: F;
  /** The format --out asks for: one of the keys of the spec's `out`. */
  format: OutFormat;
  kernels: Kernels;
  model: Autoencoder;
}

export interface ModelCommandSpec<F> {
  name: string;
  description: string;
  /** Adds the command's own flags (and --data where it reads digits), listed after --model. */
  options?(cmd: Command): void;
  /** Per format --out may have, what the file holds (for --help). */
  out: Partial<Record<OutFormat, string>>;
  /** Files the command reads besides --model (--codes, --input): --out may not be one of them. */
  inputs?(flags: F): InputFile[];
  run(r: ModelCommandRun<F>): Promise<void>;
}

export function modelCommand<F extends ModelCommandFlags>(spec: ModelCommandSpec<F>): Command {
  const cmd = new Command(spec.name).description(spec.description);
  addModelOption(cmd);
  spec.options?.(cmd);
  addOutOption(cmd, spec.out);
  addBackendOption(cmd);
  const formats = Object.keys(spec.out) as OutFormat[];
  return cmd.action(async (flags: F) => {
    await checkOutputFile(flags.out, [{ flag: '--model', file: flags.model }, ...(spec.inputs?.(flags) ?? [])], `${spec.name}.${formats[0]}`);
    const format = outFormat(flags.out, formats);
    const kernels = await backendFrom(flags);
    const model = await modelFrom(flags, kernels);
    await spec.run({ flags, format, kernels, model });
  });
}
