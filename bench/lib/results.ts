// Results files under bench/results/, written atomically so a run killed midway (or a
// reader in another process) never sees half a file.

import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../src/io/file-node.js';

export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/**
 * Writes `data` as JSON to bench/results/<name>.json and returns the path. A top-level
 * array is written one element per line, so reruns diff line by line per case.
 */
export async function writeResults(name: string, data: unknown): Promise<string> {
  const path = RESULTS_DIR + name + '.json';
  const text = Array.isArray(data)
    ? '[\n' + data.map((r) => '  ' + JSON.stringify(r)).join(',\n') + '\n]\n'
    : JSON.stringify(data, null, 2) + '\n';
  await writeFileAtomic(path, text);
  return path;
}
