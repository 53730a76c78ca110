// Shared pieces of the sub-commands: backend and data flags, output modes.

import { Option, type Command } from 'commander';
import { loadSplits } from '../data/load.js';
import type { Splits } from '../data/dataset.js';
import type { Kernels } from '../kernels/kernels.js';
import { createKernels } from '../kernels/node.js';

export interface BackendFlags {
  backend: 'wasm' | 'js';
}

export function addBackendOption(cmd: Command): Command {
  return cmd.addOption(new Option('--backend <name>', 'kernel backend: WASM SIMD or the plain JS baseline').choices(['wasm', 'js']).default('wasm'));
}

export function addDataOption(cmd: Command): Command {
  return cmd.option('--data <dir>', 'directory of MNIST-named IDX files (raw or .gz); default: the bundled 10,000 digits');
}

export async function backendFrom(flags: BackendFlags): Promise<Kernels> {
  return createKernels({ backend: flags.backend });
}

export async function dataFrom(flags: { data?: string }): Promise<Splits> {
  return loadSplits({ data: flags.data });
}

/** Human output mode for progress: a live bar on a terminal, plain lines otherwise. */
export function outputMode(quiet: boolean | undefined): 'tty' | 'plain' | 'quiet' {
  if (quiet) return 'quiet';
  return process.stderr.isTTY ? 'tty' : 'plain';
}
