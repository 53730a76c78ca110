// The one entry the CLI and trainer use to get data (Node only).
import { loadBundledSplits } from './bundled.js';
import type { Splits } from './dataset.js';
import { loadIdxDir } from './idx-node.js';

export interface LoadSplitsOptions {
  /** A directory of MNIST-named IDX files (`--data DIR`); the bundled digits when absent. */
  data?: string;
}

export async function loadSplits(options: LoadSplitsOptions = {}): Promise<Splits> {
  return options.data === undefined ? loadBundledSplits() : loadIdxDir(options.data);
}
