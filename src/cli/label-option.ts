// --digit D / --label NAME: the class a conditional VAE's decoder is given (sample, manifold,
// decode). The class is an index into the model's one-hot label; its name is what the
// model file's preprocessing records ("0".."9" for the bundled digits), else the index.

import { Option, type Command } from 'commander';
import { ArgumentError } from '../errors.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { describeModelText } from './model-option.js';
import { intArg } from './options.js';

export interface LabelFlags {
  digit?: number;
  label?: string;
}

/** Adds --digit and --label (one or the other) to a command whose decoder may read the label. */
export function addLabelOptions(cmd: Command, what: string): void {
  cmd.option('--digit <d>', `conditional VAE (preset cvae): ${what} of class D (for the bundled digits, the digit D)`, intArg(0, 1 << 20));
  cmd.addOption(new Option('--label <name>', `conditional VAE: as --digit, the class named by the data's label names (as the model file records them)`).conflicts('digit'));
}

/** How a class reads in titles and row labels: its recorded name, or its index. */
export function className(model: Autoencoder, label: number): string {
  return model.preprocessing?.labels?.[label] ?? String(label);
}

/** The classes of a labelled model, for messages: "0..9", or "0..9 (names 0, 1, ...)". */
function classesText(model: Autoencoder): string {
  const k = model.labelCount!;
  const names = model.preprocessing?.labels;
  const plain = !names || names.every((n, i) => n === String(i));
  return `0..${k - 1}${!plain ? ` (named ${names!.slice(0, 12).map((n) => JSON.stringify(n)).join(', ')}${names!.length > 12 ? ', ...' : ''})` : ''}`;
}

/** Refuses a label flag on a model whose decoder reads no label. */
export function requireConditional(model: Autoencoder, file: string, command: string, flag: string): void {
  if (model.decoderReadsLabels) return;
  throw new ArgumentError(`${command} ${flag} needs a conditional VAE (a decoder that reads the label), but ${file} is ${describeModelText(model)}; train one with --preset cvae`);
}

/**
 * The class --digit or --label names, checked against the model (ArgumentError naming its
 * classes); null when neither flag is given and the decoder reads no label. A conditional
 * model with neither is refused unless `optional` (sample --grid draws every class).
 */
export function classFrom(flags: LabelFlags, model: Autoencoder, file: string, command: string, optional = false): number | null {
  const flag = flags.digit !== undefined ? `--digit ${flags.digit}` : flags.label !== undefined ? `--label ${flags.label}` : null;
  if (flag === null) {
    if (!model.decoderReadsLabels || optional) return null;
    throw new ArgumentError(`${command}: ${file} is a conditional VAE: pass --digit D or --label NAME for the class to decode (classes ${classesText(model)})`);
  }
  requireConditional(model, file, command, flag);
  const k = model.labelCount!;
  if (flags.digit !== undefined) {
    if (flags.digit >= k) throw new ArgumentError(`${flag}: ${file} has classes ${classesText(model)}`);
    return flags.digit;
  }
  const names = model.preprocessing?.labels;
  if (!names) throw new ArgumentError(`${flag}: ${file} records no label names; give the class as --digit 0..${k - 1}`);
  const index = names.indexOf(flags.label!);
  if (index < 0 || index >= k) throw new ArgumentError(`${flag}: not a class of ${file}; its classes are ${classesText(model)}`);
  return index;
}

/** n copies of a class (the labels of a batch all decoded as one class), or undefined for none. */
export function classLabels(label: number | null, n: number): Int32Array | undefined {
  return label === null ? undefined : new Int32Array(n).fill(label);
}
