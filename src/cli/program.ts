// The ae-wasm program. Usage errors (unknown flag, value out of range) exit with 2,
// other failures with 1, each with one clear line on stderr.

import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { AeError } from '../errors.js';
import { terminalLines, terminalText } from '../io/terminal-text.js';
import { anomalyCommand } from './anomaly.js';
import { classifyCommand } from './classify.js';
import { compressCommand } from './compress.js';
import { decodeCommand } from './decode.js';
import { decompressCommand } from './decompress.js';
import { denoiseCommand } from './denoise.js';
import { encodeCommand } from './encode.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { interpolateCommand } from './interpolate.js';
import { latentCommand } from './latent.js';
import { manifoldCommand } from './manifold.js';
import { pcaCompareCommand } from './pca-compare.js';
import { predictCommand } from './predict.js';
import { quantizeCommand } from './quantize.js';
import { reconstructCommand } from './reconstruct.js';
import { sampleCommand } from './sample.js';
import { summaryCommand } from './summary.js';
import { trainCommand } from './train.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Commander's own error lines quote the arguments (file names from a shell glob, say): escaped too. */
const OUTPUT = { outputError: (line: string, write: (text: string) => void) => write(`${terminalText(line.replace(/\n$/, ''))}\n`) };

export function buildProgram(): Command {
  const program = new Command('ae-wasm')
    .configureOutput(OUTPUT)
    .description('Autoencoders on MNIST with WebAssembly SIMD kernels: train, evaluate and inspect models')
    .version(pkg.version)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  const commands = [
    trainCommand(),
    evalCommand(),
    predictCommand(),
    summaryCommand(),
    reconstructCommand(),
    encodeCommand(),
    decodeCommand(),
    compressCommand(),
    decompressCommand(),
    sampleCommand(),
    manifoldCommand(),
    interpolateCommand(),
    latentCommand(),
    denoiseCommand(),
    pcaCompareCommand(),
    anomalyCommand(),
    classifyCommand(),
    exportCommand(),
    quantizeCommand(),
    importCommand(),
  ];
  for (const cmd of commands) {
    program.addCommand(cmd.configureOutput(OUTPUT).exitOverride().showHelpAfterError('(add --help for usage)'));
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message (or the help / version text).
      return err.exitCode === 0 ? 0 : 2;
    }
    // Messages quote file content (names, paths, records): escaped, never raw.
    if (err instanceof AeError) {
      process.stderr.write(`ae-wasm: ${terminalText(err.message)}\n`);
      return err.name === 'ArgumentError' ? 2 : 1;
    }
    process.stderr.write(`ae-wasm: unexpected error: ${terminalLines(String((err as Error)?.stack ?? err))}\n`);
    return 1;
  }
}
