// Shared pieces of the sub-commands: backend and data flags, output modes.

import { InvalidArgumentError, Option, type Command } from 'commander';
import { loadSplits } from '../data/load.js';
import { requireImages, requireTrainingAfterValidation, type SplitName, type Splits } from '../data/dataset.js';
import type { Kernels } from '../kernels/kernels.js';
import { checkThreads, createKernels, defaultThreads, maxThreads } from '../kernels/node.js';
import { intArg } from './options.js';

export interface BackendFlags {
  backend: 'wasm' | 'js';
  deterministic?: boolean;
  /** Set by --threads (default: every core). */
  threads?: number;
}

/** --threads: an integer, then the library's cap (its message names the cores). */
function threadsArg(value: string): number {
  const n = intArg(1)(value);
  try {
    return checkThreads(n, '--threads');
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function addBackendOption(cmd: Command): Command {
  return cmd
    .addOption(new Option('--backend <name>', 'kernel backend: WASM SIMD or the plain JS baseline').choices(['wasm', 'js']).default('wasm'))
    .option('--deterministic', 'use the baseline SIMD build (no relaxed-SIMD fused multiply-add): results bit-identical on every machine')
    .option('--threads <n>', `kernel threads, at most ${maxThreads()} (twice the cores; results are identical for any count)`, threadsArg, defaultThreads());
}

export function addDataOption(cmd: Command): Command {
  return cmd.option('--data <dir>', 'directory of MNIST-named IDX files (raw or .gz); default: the bundled 10,000 digits');
}

export async function backendFrom(flags: BackendFlags): Promise<Kernels> {
  return createKernels({ backend: flags.backend, deterministic: flags.deterministic, threads: flags.threads });
}

/**
 * The splits of --data (or the bundled digits), refused with a DataError naming the split
 * and source when one the command reads is empty: before any work, so an empty test split
 * never reports `"mse": null`. `needs` defaults to both (train reads both); train's flags
 * also carry --val-split, checked here to leave at least one training image.
 */
export async function dataFrom(flags: { data?: string; valSplit?: number }, needs: readonly SplitName[] = ['train', 'test']): Promise<Splits> {
  const splits = await loadSplits({ data: flags.data });
  for (const split of needs) requireImages(splits, split);
  if (needs.includes('train') && flags.valSplit !== undefined && flags.valSplit > 0) requireTrainingAfterValidation(splits, flags.valSplit);
  return splits;
}

/** Human output mode for progress: a live bar on a terminal, plain lines otherwise. */
export function outputMode(quiet: boolean | undefined): 'tty' | 'plain' | 'quiet' {
  if (quiet) return 'quiet';
  return process.stderr.isTTY ? 'tty' : 'plain';
}
