// A commit cut short by a kill: the next run into OUT finishes it, so OUT never keeps a
// mix of two sets. (The processes here are simulated by a run directory named for a pid
// that has exited; test/cli/runs.test.ts drives the real commits.)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileError, FormatError } from '../../src/errors.js';
import { commitRun, RUN_FORMAT, startRun, verifyRunSet } from '../../src/io/run-set-node.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ae-wasm-run-set-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** OUT holding a committed set of `files`, made through startRun/commitRun. */
async function committed(name: string, files: Record<string, string>): Promise<string> {
  const out = join(tmp, name);
  const run = await startRun(out);
  for (const [f, text] of Object.entries(files)) await writeFile(join(run.dir, f), text);
  expect(await commitRun(run, 'complete')).toBe(out);
  return out;
}

/** A run directory of an exited process that had begun committing `files` (commit.json written, `moved` already moved). */
async function killedMidCommit(out: string, files: Record<string, string>, remove: string[], moved: string[]): Promise<string> {
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  const id = `20260101T000000Z-${dead}`;
  const dir = join(out, `run-${id}`);
  await mkdir(dir);
  for (const [f, text] of Object.entries(files)) await writeFile(join(dir, f), text);
  const manifest = {
    format: RUN_FORMAT,
    run_id: id,
    status: 'complete',
    files: Object.entries(files).map(([f, text]) => ({ name: f, bytes: Buffer.byteLength(text), sha256: sha(text) })).sort((a, b) => a.name.localeCompare(b.name)),
  };
  await writeFile(join(dir, 'commit.json'), JSON.stringify({ manifest, remove }));
  await rm(join(out, 'run.json'));
  for (const f of moved) await rename(join(dir, f), join(out, f));
  return dir;
}

describe('a commit cut short is finished by the next run', () => {
  it('moves the rest of the new set in, removes the old set\'s leftovers, writes run.json and removes the run directory', async () => {
    const out = await committed('finish', { 'model.safetensors': 'old model', 'history.json': 'old history', 'best.safetensors': 'old best' });
    await writeFile(join(out, 'notes.txt'), 'the user\'s');
    const dir = await killedMidCommit(out, { 'model.safetensors': 'new model', 'history.json': 'new history' }, ['best.safetensors'], ['model.safetensors']);
    // Between sets: no manifest, the new model beside the old history.
    await expect(verifyRunSet(out)).rejects.toThrow(FormatError);

    const next = await startRun(out);
    expect(next.finished).toEqual([dir]);
    const manifest = await verifyRunSet(out);
    expect(manifest.run_id).toBe(dir.slice(dir.lastIndexOf('run-') + 4));
    expect(await readFile(join(out, 'model.safetensors'), 'utf8')).toBe('new model');
    expect(await readFile(join(out, 'history.json'), 'utf8')).toBe('new history');
    expect(existsSync(join(out, 'best.safetensors'))).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(await readFile(join(out, 'notes.txt'), 'utf8')).toBe('the user\'s');
    expect((await readdir(out)).sort()).toEqual(['history.json', 'model.safetensors', 'notes.txt', 'run.json', next.dir.slice(out.length + 1)].sort());
  });

  it('finishes a commit killed before its first move and one killed after its last', async () => {
    for (const moved of [[], ['history.json', 'model.safetensors']]) {
      const out = await committed(`edges-${moved.length}`, { 'model.safetensors': 'old', 'history.json': 'old' });
      const dir = await killedMidCommit(out, { 'model.safetensors': 'new', 'history.json': 'new' }, [], moved);
      expect((await startRun(out)).finished).toEqual([dir]);
      await verifyRunSet(out);
      expect(await readFile(join(out, 'model.safetensors'), 'utf8')).toBe('new');
    }
  });

  it('refuses a commit record that names files outside the run\'s own outputs', async () => {
    const out = await committed('hostile', { 'model.safetensors': 'old' });
    const dir = await killedMidCommit(out, { 'model.safetensors': 'new' }, ['../../etc/passwd'], []);
    await expect(startRun(out)).rejects.toThrow(/commit\.json/);
    expect(existsSync(dir)).toBe(true);
  });

  it('a commit that ran to its end leaves no commit record behind', async () => {
    const out = await committed('clean', { 'model.safetensors': 'm' });
    expect((await readdir(out)).sort()).toEqual(['model.safetensors', 'run.json']);
  });
});

describe('a run directory\'s records and files are read as capped regular files', () => {
  it('a FIFO in place of a listed file or of run.json is a FileError, not a read that never ends', async () => {
    const out = await committed('fifo', { 'model.safetensors': 'm', 'history.json': 'h' });
    await rm(join(out, 'model.safetensors'));
    expect(spawnSync('mkfifo', [join(out, 'model.safetensors')]).status).toBe(0);
    await expect(verifyRunSet(out)).rejects.toThrow(FileError);
    await expect(verifyRunSet(out)).rejects.toThrow(/model\.safetensors: it is a FIFO/);

    await rm(join(out, 'run.json'));
    expect(spawnSync('mkfifo', [join(out, 'run.json')]).status).toBe(0);
    await expect(verifyRunSet(out)).rejects.toThrow(/run\.json: it is a FIFO/);
  });

  it('a file listed but gone is still named as missing', async () => {
    const out = await committed('gone', { 'model.safetensors': 'm', 'history.json': 'h' });
    await rm(join(out, 'history.json'));
    await expect(verifyRunSet(out)).rejects.toThrow(/history\.json is listed in run\.json but missing/);
  });

  it('a commit record whose manifest is malformed names commit.json', async () => {
    const out = await committed('bad-intent', { 'model.safetensors': 'old' });
    const dir = await killedMidCommit(out, { 'model.safetensors': 'new' }, [], []);
    await writeFile(join(dir, 'commit.json'), JSON.stringify({ manifest: { format: 'other' }, remove: [] }));
    await expect(startRun(out)).rejects.toThrow(/commit\.json \(its manifest\): expected "format"/);
  });
});
