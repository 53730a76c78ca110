// A training run's outputs as one set, through real child processes: a failed or diverged
// run changes nothing in OUT, a successful one replaces the previous set entirely, an
// interrupted one never destroys a good model and stays resumable, output problems are
// found before any training, and what killed runs left behind is cleaned up exactly.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { verifyRunSet } from '../../src/io/run-set-node.js';
import { JsKernels } from '../../src/kernels/js.js';
import { Autoencoder } from '../../src/models/autoencoder.js';
import { decodeModel } from '../../src/models/model-file.js';
import { presetArchitecture } from '../../src/models/presets.js';
import { assertFiniteParameters } from '../../src/train/checkpoint.js';
import { writeIdxDir } from './idx-fixture.js';
import { runCli, type Run } from './run-cli.js';

const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

let tmp: string;
let data: string;
let emptyTest: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ae-runs-'));
  data = join(tmp, 'data');
  emptyTest = join(tmp, 'empty-test');
  await writeIdxDir(data, 64, 16);
  await writeIdxDir(emptyTest, 64, 0);
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const train = (out: string, ...args: string[]) => runCli(['train', '--data', data, '--out', out, ...args]);

/** Every entry of `dir` (recursively) with its bytes' SHA-256: equal snapshots mean nothing changed. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const file = join(e.parentPath, e.name);
    result[file.slice(dir.length)] = e.isFile() ? createHash('sha256').update(await readFile(file)).digest('hex') : 'dir';
  }
  return result;
}

/** OUT with a good, complete set from a 2-epoch run, and a file of the user's. */
async function goodOut(name: string, ...args: string[]): Promise<string> {
  const out = join(tmp, name);
  const r = await train(out, '--epochs', '2', ...args);
  expect(r.code, show(r)).toBe(0);
  await writeFile(join(out, 'notes.txt'), 'mine');
  return out;
}

describe('a run that fails changes nothing in OUT', () => {
  it('a failure after training (empty test split: the pictures fail) leaves the previous set byte for byte', async () => {
    const out = await goodOut('failed');
    const before = await snapshot(out);
    const r = await runCli(['train', '--data', emptyTest, '--out', out, '--epochs', '1', '--checkpoint-every', '1']);
    expect(r.code, show(r)).toBe(1);
    expect(r.stderr).toMatch(/^ae-wasm: /);
    expect(await snapshot(out)).toEqual(before);
    expect((await verifyRunSet(out)).status).toBe('complete');
  }, 120_000);

  it('a diverging run (vae, --lr 10) is refused and leaves the previous set byte for byte', async () => {
    const out = await goodOut('diverged');
    const before = await snapshot(out);
    const r = await train(out, '--preset', 'vae', '--lr', '10', '--epochs', '3', '--checkpoint-every', '1');
    expect(r.code, show(r)).toBe(1);
    expect(await snapshot(out)).toEqual(before);
  }, 120_000);

  it('belt and braces: a model with a non-finite parameter is refused with a DataError naming it', () => {
    const kernels = new JsKernels();
    const model = new Autoencoder(kernels, presetArchitecture('dense')).initialize(1);
    assertFiniteParameters(model, 'the model');
    const p = model.params.list[2]!;
    kernels.heap.data[p.value + 7] = Number.NaN;
    expect(() => assertFiniteParameters(model, 'runs/x/model.safetensors')).toThrow(DataError);
    expect(() => assertFiniteParameters(model, 'runs/x/model.safetensors')).toThrow(
      new RegExp(`refusing to write runs/x/model\\.safetensors: parameter ${p.name.replace(/\./g, '\\.')} holds NaN at element 7 .*lower --lr`),
    );
  });
});

describe('a successful run replaces the previous set entirely', () => {
  it('files the new set lacks (best, checkpoints) go; the user\'s files stay; run.json verifies', async () => {
    const out = await goodOut('replaced', '--checkpoint-every', '1', '--keep', '2', '--val-split', '0.25');
    const first = await verifyRunSet(out);
    expect(first.files.map((f) => f.name)).toEqual([
      'best.safetensors', 'checkpoint-000001.safetensors', 'checkpoint-000002.safetensors', 'checkpoint.safetensors',
      'history.json', 'loss.png', 'model.safetensors', 'reconstructions.png',
    ]);
    const r = await train(out, '--epochs', '1');
    expect(r.code, show(r)).toBe(0);
    const second = await verifyRunSet(out);
    expect(second.run_id).not.toBe(first.run_id);
    expect(second.files.map((f) => f.name)).toEqual(['history.json', 'loss.png', 'model.safetensors', 'reconstructions.png']);
    expect((await readdir(out)).sort()).toEqual(['history.json', 'loss.png', 'model.safetensors', 'notes.txt', 'reconstructions.png', 'run.json']);
    expect(await readFile(join(out, 'notes.txt'), 'utf8')).toBe('mine');
    const history = JSON.parse(await readFile(join(out, 'history.json'), 'utf8')) as { epochs: unknown[] };
    expect(history.epochs.length).toBe(1);
  }, 120_000);

  it('verifyRunSet names a file that differs from run.json', async () => {
    const out = await goodOut('tampered');
    await writeFile(join(out, 'loss.png'), 'not the picture');
    await expect(verifyRunSet(out)).rejects.toThrow(/loss\.png differs from run\.json \(expected \d+ bytes/);
  }, 120_000);
});

describe('an interrupted run', () => {
  it('next to a complete set stays in its run directory, the set untouched; --resume from there commits over it', async () => {
    const out = await goodOut('interrupted');
    const before = await snapshot(out);
    let sent = false;
    const first = await runCli(['train', '--data', data, '--out', out, '--epochs', '100000'], (text, child) => {
      if (!sent && /^epoch\s+2\//m.test(text)) {
        sent = true;
        child.kill('SIGTERM');
      }
    });
    expect(first.code, show(first)).toBe(143);
    const m = /interrupted by SIGTERM: wrote (\S+) \(kept apart: .* holds another run's complete set\); continue with --resume (\S+)/.exec(first.stdout);
    expect(m, show(first)).not.toBe(null);
    const checkpoint = m![1]!;
    expect(m![2]).toBe(checkpoint);
    expect(checkpoint).toMatch(/\/run-\d{8}T\d{6}Z-\d+\/checkpoint\.safetensors$/);
    const runDir = join(checkpoint, '..');
    // OUT holds exactly what it held, plus the visible run directory.
    const after = await snapshot(out);
    for (const [k, v] of Object.entries(before)) expect(after[k], k).toBe(v);
    expect((await verifyRunSet(runDir)).status).toBe('interrupted');
    const { training } = decodeModel(new Uint8Array(await readFile(checkpoint)), new JsKernels(), checkpoint);
    const done = training.checkpoint!.epoch;

    const resumed = await runCli(['train', '--data', data, '--resume', checkpoint, '--epochs', String(done + 1)]);
    expect(resumed.code, show(resumed)).toBe(0);
    expect(existsSync(runDir)).toBe(false);
    const set = await verifyRunSet(out);
    expect(set.status).toBe('complete');
    expect(set.run_id).toBe(runDir.split('/run-').pop());
    const history = JSON.parse(await readFile(join(out, 'history.json'), 'utf8')) as { epochs: { epoch: number }[] };
    expect(history.epochs.map((e) => e.epoch)).toEqual(Array.from({ length: done + 1 }, (_, i) => i + 1));
  }, 120_000);
});

describe('output problems are found before any training', () => {
  const expectRefused = (r: Run, pattern: RegExp) => {
    expect(r.code, show(r)).toBe(1);
    expect(r.stdout, 'nothing trained').toBe('');
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr.trim().split('\n').length).toBe(1);
  };

  it('--out that is a regular file', async () => {
    const file = join(tmp, 'a-file');
    await writeFile(file, 'x');
    expectRefused(await train(file, '--epochs', '1'), /cannot use .*a-file as a directory: it is a regular file/);
  });

  it('--out below a regular file', async () => {
    const file = join(tmp, 'another-file');
    await writeFile(file, 'x');
    expectRefused(await train(join(file, 'sub', 'dir'), '--epochs', '1'), /another-file is a regular file, not a directory/);
  });

  it.skipIf(!existsSync('/proc/self'))('--out under /proc: an error at once, not a hang', async () => {
    expectRefused(await train('/proc/ae-wasm-test/out', '--epochs', '1'), /\/proc accepts no new entries/);
    expectRefused(await train('/proc/self', '--epochs', '1'), /cannot write into \/proc\/self/);
  });

  const isRoot = process.getuid?.() === 0;
  it.skipIf(isRoot)(`--out in a directory without write permission${isRoot ? ' (SKIPPED: running as root)' : ''}`, async () => {
    const locked = join(tmp, 'locked');
    await mkdir(locked, { mode: 0o555 });
    expectRefused(await train(join(locked, 'out'), '--epochs', '1'), /permission denied/);
  });

  it('--keep without --checkpoint-every is a usage error', async () => {
    const r = await train(join(tmp, 'never'), '--keep', '3');
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toMatch(/--keep goes with --checkpoint-every/);
  });
});

describe('what killed runs left behind', () => {
  it('our temp files and checkpoint-less run directories of dead pids go; live pids\', other files and resumable run directories stay', async () => {
    const out = await goodOut('stale');
    // A pid that surely ran and is gone: a child that has exited.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const live = process.pid;
    const planted = {
      [`.model.safetensors.${dead}.0123456789ab.tmp`]: 'remove',
      [`.checkpoint.safetensors.${dead}.ba9876543210.tmp`]: 'remove',
      [`.model.safetensors.${live}.0123456789ab.tmp`]: 'keep',
      [`.model.safetensors.${dead}.0123456789.tmp`]: 'keep', // not our pattern: 10 hex digits
      [`model.safetensors.${dead}.0123456789ab.tmp`]: 'keep', // not hidden
      [`.model.safetensors.${dead}.0123456789ab.tmp.bak`]: 'keep',
    };
    for (const name of Object.keys(planted)) await writeFile(join(out, name), 'x');
    const emptyRun = join(out, `run-20260101T000000Z-${dead}`);
    const resumable = join(out, `run-20260101T000001Z-${dead}`);
    const notOurs = join(out, `run-old-${dead}`);
    for (const d of [emptyRun, resumable, notOurs]) await mkdir(d);
    await writeFile(join(emptyRun, `.history.json.${dead}.00000000000a.tmp`), 'x');
    await writeFile(join(resumable, 'checkpoint-000003.safetensors'), 'x');
    await writeFile(join(resumable, `.checkpoint-000004.safetensors.${dead}.00000000000b.tmp`), 'x');

    const r = await train(out, '--epochs', '1');
    expect(r.code, show(r)).toBe(0);
    const names = await readdir(out);
    for (const [name, fate] of Object.entries(planted)) expect(names.includes(name), `${name} should ${fate}`).toBe(fate === 'keep');
    expect(existsSync(emptyRun)).toBe(false);
    expect(await readdir(resumable)).toEqual(['checkpoint-000003.safetensors']);
    expect(existsSync(notOurs)).toBe(true);
    expect(r.stdout).toContain(`removed ${emptyRun}`);
    expect(r.stdout).toContain(`note: ${resumable} holds the checkpoints of an unfinished run; continue it with --resume ${resumable}`);
  }, 120_000);
});
