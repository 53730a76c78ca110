// writeFileAtomic(Sync) when the OS fails midway (disk full, I/O error), simulated by
// making one fs call fail: the old file must survive whole and the temp file must go.
// In a file of its own because it mocks node:fs for the whole module graph.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FileError } from '../../src/errors.js';
import { writeFileAtomic, writeFileAtomicSync } from '../../src/io/file-node.js';

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, rename: vi.fn(actual.rename) };
});
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  return { ...actual, fsyncSync: vi.fn(actual.fsyncSync), writeFileSync: vi.fn(actual.writeFileSync) };
});

function osError(code: string): Error {
  return Object.assign(new Error(`${code}: simulated failure`), { code });
}

let dir: string;
beforeAll(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), 'ae-wasm-faults-'));
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

async function freshTarget(name: string): Promise<string> {
  const sub = join(dir, name);
  await fsp.mkdir(sub);
  const target = join(sub, 'model.safetensors');
  await fsp.writeFile(target, 'old model');
  return target;
}

async function expectUntouched(target: string): Promise<void> {
  expect(await fsp.readFile(target, 'utf8')).toBe('old model');
  expect(await fsp.readdir(join(target, '..'))).toEqual(['model.safetensors']);
}

describe('atomic writes under injected failures', () => {
  it('async: rename fails with EIO', async () => {
    const target = await freshTarget('rename');
    vi.mocked(fsp.rename).mockRejectedValueOnce(osError('EIO'));
    const run = writeFileAtomic(target, new Uint8Array(1000));
    await expect(run).rejects.toThrow(FileError);
    await expect(run).rejects.toThrow(/cannot write .*model\.safetensors: EIO: simulated failure; any previous file there is unchanged/);
    await expectUntouched(target);
  });

  it('sync: disk full while writing', async () => {
    const target = await freshTarget('enospc');
    vi.mocked(fs.writeFileSync).mockImplementationOnce(() => {
      throw osError('ENOSPC');
    });
    expect(() => writeFileAtomicSync(target, 'new model')).toThrow(/no space left on the device \(ENOSPC\)/);
    await expectUntouched(target);
  });

  it('sync: fsync of the temp file fails', async () => {
    const target = await freshTarget('fsync');
    vi.mocked(fs.fsyncSync).mockImplementationOnce(() => {
      throw osError('EIO');
    });
    expect(() => writeFileAtomicSync(target, 'new model')).toThrow(FileError);
    await expectUntouched(target);
  });

  it('a refused directory fsync is not a failure', async () => {
    const target = await freshTarget('dirsync');
    // First fsyncSync is the temp file's, second the directory's.
    const actual = await vi.importActual<typeof import('node:fs')>('node:fs');
    vi.mocked(fs.fsyncSync).mockImplementationOnce(actual.fsyncSync).mockImplementationOnce(() => {
      throw osError('EINVAL');
    });
    writeFileAtomicSync(target, 'new model');
    expect(await fsp.readFile(target, 'utf8')).toBe('new model');
  });
});
