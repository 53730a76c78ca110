// readFileBytes and writeFileAtomic(Sync) on a real temp directory: writes, replaces,
// creates parents, leaves no temp files, and on failure leaves the old file untouched.
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileError } from '../../src/errors.js';
import { readFileBytes, writeFileAtomic, writeFileAtomicSync } from '../../src/io/file-node.js';

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ae-wasm-io-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh empty directory per test, so listings show only that test's files. */
async function freshDir(): Promise<string> {
  const dir = join(root, `t${n++}`);
  await mkdir(dir);
  return dir;
}

async function expectFileError(run: Promise<unknown> | (() => unknown), pattern: RegExp): Promise<FileError> {
  let caught: unknown;
  try {
    await (typeof run === 'function' ? run() : run);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(FileError);
  expect((caught as Error).message).toMatch(pattern);
  return caught as FileError;
}

const isRoot = process.getuid?.() === 0;

const variants = [
  ['writeFileAtomic', writeFileAtomic],
  ['writeFileAtomicSync', async (p: string, b: Uint8Array | string) => writeFileAtomicSync(p, b)],
] as const;

describe.each(variants)('%s', (_, write) => {
  it('writes bytes and strings', async () => {
    const dir = await freshDir();
    await write(join(dir, 'a.bin'), new Uint8Array([1, 2, 3]));
    await write(join(dir, 'b.json'), '{"ü": 1}');
    expect(Array.from(await readFile(join(dir, 'a.bin')))).toEqual([1, 2, 3]);
    expect(await readFile(join(dir, 'b.json'), 'utf8')).toBe('{"ü": 1}');
    expect((await readdir(dir)).sort()).toEqual(['a.bin', 'b.json']);
  });

  it('writes only the viewed part of a subarray', async () => {
    const dir = await freshDir();
    await write(join(dir, 'a.bin'), new Uint8Array([9, 1, 2, 9]).subarray(1, 3));
    expect(Array.from(await readFile(join(dir, 'a.bin')))).toEqual([1, 2]);
  });

  it('replaces an existing file and leaves no temp files', async () => {
    const dir = await freshDir();
    const target = join(dir, 'model.safetensors');
    await writeFile(target, 'old content that is longer than the new');
    await write(target, 'new');
    expect(await readFile(target, 'utf8')).toBe('new');
    expect(await readdir(dir)).toEqual(['model.safetensors']);
  });

  it('creates missing parent directories', async () => {
    const dir = await freshDir();
    const target = join(dir, 'runs', 'dense', 'ckpt.safetensors');
    await write(target, new Uint8Array([7]));
    expect(Array.from(await readFile(target))).toEqual([7]);
    expect(await readdir(join(dir, 'runs', 'dense'))).toEqual(['ckpt.safetensors']);
  });

  it('fails with a FileError when a parent is a file, touching nothing', async () => {
    const dir = await freshDir();
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, 'keep me');
    const target = join(blocker, 'model.safetensors');
    const err = await expectFileError(write(target, 'x'), /cannot write .*not-a-dir\/model\.safetensors: .*previous file there is unchanged/);
    expect(err.path).toBe(target);
    expect(await readFile(blocker, 'utf8')).toBe('keep me');
    expect(await readdir(dir)).toEqual(['not-a-dir']);
  });

  it('fails after writing the temp file (target is a directory) and removes the temp file', async () => {
    const dir = await freshDir();
    const target = join(dir, 'model.safetensors');
    await mkdir(target);
    await writeFile(join(target, 'inside'), 'keep me');
    await expectFileError(write(target, new Uint8Array(64)), /cannot write .*model\.safetensors: /);
    expect(await readdir(dir)).toEqual(['model.safetensors']);
    expect(await readFile(join(target, 'inside'), 'utf8')).toBe('keep me');
  });

  // Root ignores directory permissions, so this case only means something for others;
  // file-node-faults.test.ts covers the same guarantee with an injected failure.
  it.skipIf(isRoot)(`fails in a read-only directory, leaving the old file${isRoot ? ' (SKIPPED: running as root)' : ''}`, async () => {
    const dir = await freshDir();
    const target = join(dir, 'model.safetensors');
    await writeFile(target, 'old');
    await chmod(dir, 0o555);
    try {
      await expectFileError(write(target, 'new'), /cannot write .*permission denied \(EACCES\)/);
    } finally {
      await chmod(dir, 0o755);
    }
    expect(await readFile(target, 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['model.safetensors']);
  });
});

describe('writeFileAtomic under concurrency', () => {
  it('concurrent writers to one path each use their own temp file; one wins whole', async () => {
    const dir = await freshDir();
    const target = join(dir, 'model.safetensors');
    const payloads = Array.from({ length: 6 }, (_, i) => new Uint8Array(50_000).fill(i + 1));
    await Promise.all(payloads.map((p) => writeFileAtomic(target, p)));
    const got = await readFile(target);
    expect(got.length).toBe(50_000);
    expect(got.every((b) => b === got[0])).toBe(true);
    expect(await readdir(dir)).toEqual(['model.safetensors']);
  });
});

describe('readFileBytes', () => {
  it('reads a file as a plain Uint8Array', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'a.bin'), new Uint8Array([4, 5, 6]));
    const bytes = await readFileBytes(join(dir, 'a.bin'));
    expect(bytes.constructor).toBe(Uint8Array);
    expect(Array.from(bytes)).toEqual([4, 5, 6]);
  });

  it('names the path of a missing file', async () => {
    const dir = await freshDir();
    const missing = join(dir, 'nope.safetensors');
    const err = await expectFileError(readFileBytes(missing), /^cannot read .*nope\.safetensors: no such file or directory \(ENOENT\)$/);
    expect(err.path).toBe(missing);
    expect(err.cause).toMatchObject({ code: 'ENOENT' });
  });

  it('names the path of a directory', async () => {
    const dir = await freshDir();
    await expectFileError(readFileBytes(dir), /^cannot read .*: it is a directory \(EISDIR\)$/);
  });
});

describe('readFileBytes refuses what is not a regular file of bounded size', () => {
  it('refuses /dev/zero (it would read forever)', async () => {
    const err = await readFileBytes('/dev/zero').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileError);
    expect((err as Error).message).toBe('cannot read /dev/zero: it is a character device, not a regular file');
  });

  it('refuses a FIFO without waiting for a writer', async () => {
    const { execFileSync } = await import('node:child_process');
    const dir = await mkdtemp(join(tmpdir(), 'ae-wasm-fifo-'));
    const fifo = join(dir, 'model.safetensors');
    execFileSync('mkfifo', [fifo]);
    try {
      const err = await readFileBytes(fifo).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FileError);
      expect((err as Error).message).toBe(`cannot read ${fifo}: it is a FIFO (named pipe), not a regular file`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a file over the size cap, naming both sizes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ae-wasm-cap-'));
    const file = join(dir, 'big.bin');
    await writeFile(file, new Uint8Array(1001));
    try {
      const err = await readFileBytes(file, 1000).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FileError);
      expect((err as Error).message).toBe(`cannot read ${file}: it is 1001 bytes, over the 1000-byte limit for this kind of file`);
      expect((await readFileBytes(file, 1001)).length).toBe(1001);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
