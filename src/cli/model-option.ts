// The --model flag shared by the commands that read a trained model.

import type { Command } from 'commander';
import type { Kernels } from '../kernels/kernels.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { loadModel } from '../models/node.js';

export function addModelOption(cmd: Command): Command {
  return cmd.requiredOption('--model <file>', 'a model file written by ae-wasm train (.safetensors)');
}

export async function modelFrom(flags: { model: string }, k: Kernels): Promise<Autoencoder> {
  return loadModel(flags.model, { kernels: k });
}
