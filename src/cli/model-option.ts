// The --model flag shared by the commands that read a trained model.

import type { Command } from 'commander';
import { ArgumentError } from '../errors.js';
import type { Kernels } from '../kernels/kernels.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { loadModel } from '../models/node.js';

export function addModelOption(cmd: Command): Command {
  return cmd.requiredOption('--model <file>', 'a model file written by ae-wasm train (.safetensors)');
}

export async function modelFrom(flags: { model: string }, kernels: Kernels): Promise<Autoencoder> {
  return loadModel(flags.model, { kernels: kernels });
}

/** How a model reads in messages: "a VAE (preset vae, latent 2)", "an autoencoder (preset conv)". */
export function describeModelText(model: Autoencoder): string {
  const preset = model.training?.preset;
  const what = model.kind === 'vae' ? `a VAE with a ${model.codeSize}-D latent` : 'a plain (non-variational) autoencoder';
  return preset ? `${what} (preset ${preset})` : what;
}

/**
 * Commands that decode from the prior need a VAE; a plain autoencoder's codes follow no
 * known distribution, so there is nothing meaningful to sample or sweep.
 */
export function requireVae(model: Autoencoder, file: string, command: string, latent?: number): void {
  const ok = model.kind === 'vae' && (latent === undefined || model.codeSize === latent);
  if (ok) return;
  const need = latent === undefined ? 'a VAE' : `a VAE with a ${latent}-D latent`;
  const hint = latent === undefined ? 'train one with --preset vae' : `train one with --preset vae --latent ${latent}`;
  throw new ArgumentError(`${command} needs ${need}, but ${file} is ${describeModelText(model)}; ${hint}`);
}
