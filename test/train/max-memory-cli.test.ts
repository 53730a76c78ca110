// train --max-memory: parsed strictly (an ArgumentError naming the flag, before any work),
// and a cap the model and its batch cannot fit fails before training with each part named.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcess } from '../cli/in-process.js';

let dir: string;
beforeAll(async () => void (dir = await mkdtemp(path.join(os.tmpdir(), 'ae-maxmem-'))));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('train --max-memory', () => {
  it.each(['lots', '1X', '-5M', '0', ''])('refuses %j naming the flag', async (value) => {
    const r = await inProcess('train', '--epochs', '1', '--max-memory', value, '--out', path.join(dir, 'bad'), '--quiet');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`--max-memory must be a size such as 512M, 1G or a number of bytes, got ${JSON.stringify(value)}`);
    await expect(readdir(path.join(dir, 'bad'))).rejects.toThrow();
  });

  it('a cap below the run fails before training, naming every part; one above trains', async () => {
    const small = await inProcess('train', '--preset', 'conv', '--epochs', '1', '--batch', '256', '--max-memory', '8M', '--out', path.join(dir, 'small'), '--quiet', '--threads', '1');
    expect(small.code).not.toBe(0);
    expect(small.stderr).toMatch(/training needs runtime and parameters .* \+ activations at batch 256 [\d.]+ MiB \+ batch ring [\d.]+ MiB .* of heap, over the memory cap \(maxMemory, --max-memory\) of 8\.0 MiB/);
    const ok = await inProcess('train', '--preset', 'dense', '--epochs', '1', '--batch', '256', '--max-memory', '256M', '--out', path.join(dir, 'ok'), '--quiet', '--threads', '1');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  });
});
