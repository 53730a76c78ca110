// Directories for output: our mkdir -p never hangs (procfs answers ENOENT for a parent that
// exists), writes under it fail at once with a FileError; rotated checkpoints keep the newest N.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileError } from '../../src/errors.js';
import { makeDirectory, makeDirectorySync, writeFileAtomic, writeFileAtomicSync } from '../../src/io/file-node.js';
import { checkpointsUnder, writeRotatedCheckpoint } from '../../src/io/run-checkpoints-node.js';
import { isRunDirectoryName } from '../../src/io/run-set-node.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ae-wasm-dirs-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!existsSync('/proc/self'))('under /proc', () => {
  it('makeDirectory and writeFileAtomic refuse at once (Node\'s recursive mkdir loops forever here)', async () => {
    await expect(makeDirectory('/proc/ae-wasm/a/b')).rejects.toThrow(/\/proc accepts no new entries/);
    expect(() => makeDirectorySync('/proc/ae-wasm/a')).toThrow(FileError);
    await expect(writeFileAtomic('/proc/ae-wasm/x/model.safetensors', 'x')).rejects.toThrow(FileError);
    expect(() => writeFileAtomicSync('/proc/ae-wasm/x/model.safetensors', 'x')).toThrow(FileError);
  });
});

describe('makeDirectory', () => {
  it('creates missing levels and accepts an existing directory', async () => {
    const deep = join(dir, 'a', 'b', 'c');
    await makeDirectory(deep);
    await makeDirectory(deep);
    makeDirectorySync(join(deep, 'd'));
    expect(await readdir(deep)).toEqual(['d']);
  });
});

describe('rotated checkpoints', () => {
  it('keep the newest N epoch files; checkpoint.safetensors holds the latest', async () => {
    const run = join(dir, 'run-20260101T000000Z-1');
    await makeDirectory(run);
    for (const epoch of [1, 2, 3, 4]) await writeRotatedCheckpoint(run, epoch, new TextEncoder().encode(`epoch ${epoch}`), 2);
    expect((await readdir(run)).sort()).toEqual(['checkpoint-000003.safetensors', 'checkpoint-000004.safetensors', 'checkpoint.safetensors']);
    expect(await readFile(join(run, 'checkpoint.safetensors'), 'utf8')).toBe('epoch 4');
    const found = await checkpointsUnder(dir, isRunDirectoryName);
    expect(found.length).toBe(3);
    expect(await readFile(found[0]!, 'utf8')).toBe('epoch 4');
  });
});
