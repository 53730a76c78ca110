// Runs the ae-wasm command inside the test process (no child, so fast), its stdout and
// stderr captured; test/cli/run-cli.ts runs it as a real child process instead.
import { vi } from 'vitest';
import { main } from '../../src/cli/program.js';
import type { Run } from './run-cli.js';

/** main(args) with process.stdout / stderr writes captured. */
export async function inProcess(...args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
