// Vitest global set-up: the CLI's sources transpiled once per test run (esbuild, the
// transform tsx itself uses), so each of the suite's ~100 CLI child processes starts on
// plain JS instead of paying tsx's ~1.2 s of CPU to transpile the program again. The
// output sits one level under the repository root, as dist/ does, so the sources'
// import.meta.url-relative paths (build/, package.json, the thread pool's compiled
// worker) resolve exactly as in the published package.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { TestProject } from 'vitest/node';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

declare module 'vitest' {
  export interface ProvidedContext {
    /** The transpiled src/cli/main.ts test/cli/run-cli.ts spawns ('' when the set-up did not run). */
    cliEntry: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const out = join(ROOT, `.test-cli-${randomBytes(4).toString('hex')}`);
  await build({
    absWorkingDir: ROOT,
    entryPoints: ['src/**/*.ts'],
    outbase: 'src',
    outdir: out,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'error',
  });
  project.provide('cliEntry', join(out, 'cli', 'main.js'));
  return () => rm(out, { recursive: true, force: true });
}
