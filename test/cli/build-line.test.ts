// The CLI's first line names the build it runs on and why (--build, the rule, --calibrate),
// in process on a tiny IDX data set.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeIdxDir } from './idx-fixture.js';
import { inProcess } from './in-process.js';
import type { Run } from './run-cli.js';

const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
let tmp: string;
let data: string;
const firstLine = (r: Run) => r.stdout.split('\n')[0]!;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ae-wasm-build-line-'));
  data = join(tmp, 'data');
  await writeIdxDir(data, 64, 32);
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const train = (out: string, ...flags: string[]) => inProcess('train', '--preset', 'dense', '--epochs', '1', '--batch', '32', '--data', data, '--out', join(tmp, out), ...flags);

describe('the first line names the build and why', () => {
  it('train and eval with --build: that build, "asked for"', async () => {
    const r = await train('named', '--threads', '1', '--build', 'kernels.wasm');
    expect(r.code, show(r)).toBe(0);
    expect(firstLine(r)).toMatch(/^training dense \(.* parameters\) on .*, wasm backend \(kernels\.wasm, 1 thread: asked for \(build: kernels\.wasm\)\)$/);
    const e = await inProcess('eval', '--model', join(tmp, 'named', 'model.safetensors'), '--data', data, '--threads', '1', '--build', 'kernels.wasm');
    expect(e.code, show(e)).toBe(0);
    expect(firstLine(e)).toMatch(/^\S+model\.safetensors on IDX files in .*, wasm backend \(kernels\.wasm, 1 thread: asked for \(build: kernels\.wasm\)\)$/);
  });

  it('train by default: the rule; with --calibrate: the measured choice', async () => {
    const r = await train('rule', '--threads', '1');
    expect(r.code, show(r)).toBe(0);
    expect(firstLine(r)).toContain('wasm backend (kernels-relaxed.wasm, 1 thread: relaxed SIMD validates here: the fused multiply-add build, the fastest)');
    const c = await train('calibrated', '--threads', '1', '--calibrate');
    expect(c.code, show(c)).toBe(0);
    expect(firstLine(c)).toMatch(/wasm backend \(kernels(-relaxed)?\.wasm, 1 thread: calibrated: kernels(-relaxed)?\.wasm ran \d+\.\d\dx the speed of /);
  });

  it('--build with --threads 2 asks for the threads build; --deterministic with it is honoured', async () => {
    const r = await train('threads', '--threads', '2', '--build', 'kernels-threads.wasm', '--deterministic');
    expect(r.code, show(r)).toBe(0);
    expect(firstLine(r)).toContain('wasm backend (kernels-threads.wasm, 2 threads: asked for (build: kernels-threads.wasm))');
  });

  it('refuses an unknown build (usage error) and a single-thread build on two threads', async () => {
    const bad = await train('bad', '--build', 'kernels-fast.wasm');
    expect(bad.code, show(bad)).toBe(2);
    expect(bad.stderr).toContain('--build');
    expect(bad.stderr).toContain('kernels-relaxed-threads.wasm');
    const two = await train('two', '--threads', '2', '--build', 'kernels.wasm');
    expect(two.code, show(two)).toBe(2);
    expect(two.stderr).toContain('build kernels.wasm has no shared memory, so it runs on 1 thread only: for 2 threads name kernels-threads.wasm');
  });
});
