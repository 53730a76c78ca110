// kill -9 at random moments, including during a checkpoint save: real training child
// processes (--checkpoint-every 1 on tiny data, so saving a 1.2 MB checkpoint is most of
// each epoch) get SIGKILL after delays drawn from a seeded generator. After each kill every
// checkpoint file present must decode, the next run must resume from the newest (it is
// itself killed, or every few kills runs to completion), a committed set must still verify,
// and after the last run no temp file or run directory may remain.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRunDirectoryName, verifyRunSet } from '../../src/io/run-set-node.js';
import { JsKernels } from '../../src/kernels/js.js';
import { decodeModel } from '../../src/models/model-file.js';
import { RandomStream } from '../../src/random/streams.js';
import { writeIdxDir } from './idx-fixture.js';
import { runCli, type Run } from './run-cli.js';

export const KILL_SEED = Number(process.env['AE_KILL_SEED'] ?? 20261206);
const KILLS = Number(process.env['AE_KILLS'] ?? 20);
/** Every this many kills, the resume runs to completion instead of being killed. */
const COMPLETE_EVERY = 6;
const MAX_DELAY_MS = 300;

const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout.slice(-2000)}\n--- stderr\n${r.stderr}`;

let tmp: string;
let data: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ae-kill-'));
  data = join(tmp, 'data');
  await writeIdxDir(data, 64, 16);
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** OUT and its run directories. */
async function directories(out: string): Promise<string[]> {
  const runs = (await readdir(out, { withFileTypes: true })).filter((e) => e.isDirectory() && isRunDirectoryName(e.name));
  return [out, ...runs.map((e) => join(out, e.name))];
}

async function filesMatching(out: string, pattern: RegExp): Promise<string[]> {
  const found: string[] = [];
  for (const dir of await directories(out)) for (const name of await readdir(dir)) if (pattern.test(name)) found.push(join(dir, name));
  return found;
}

/** Decodes every checkpoint file present (each must load) and returns the newest epoch, or null if there is none. */
async function newestCheckpointEpoch(out: string): Promise<number | null> {
  let newest: number | null = null;
  for (const file of await filesMatching(out, /^checkpoint(-\d+)?\.safetensors$/)) {
    const { training, model } = decodeModel(new Uint8Array(await readFile(file)), new JsKernels(), file);
    expect(training.checkpoint, `${file} has no resume state`).toBeDefined();
    newest = Math.max(newest ?? 0, training.checkpoint!.epoch);
    model.dispose();
  }
  return newest;
}

describe('kill -9 during training and checkpoint saves', () => {
  it(`leaves every checkpoint loadable and the newest resumable (${KILLS} kills, seed ${KILL_SEED})`, async () => {
    const out = join(tmp, 'out');
    // The project's counter-based stream, so a failing sequence of delays can be replayed with AE_KILL_SEED.
    const random = new RandomStream(KILL_SEED);
    const common = ['--data', data, '--checkpoint-every', '1', '--keep', '2', '--out', out];
    const fresh = ['--batch', '64'];
    const delays: number[] = [];
    let midSave = 0;
    let completed = 0;
    let newest: number | null = null;

    for (let kill = 1; kill <= KILLS; kill++) {
      const args = newest === null ? ['train', ...fresh, ...common, '--epochs', '100000'] : ['train', '--resume', out, ...common, '--epochs', '100000'];
      const delay = random.nextInt(MAX_DELAY_MS + 1);
      delays.push(delay);
      let timer: NodeJS.Timeout | undefined;
      const killed = await runCli(args, (text, child) => {
        // Once the run has loaded its checkpoint and data (its "training" or "resuming" line), kill it after the drawn delay.
        if (!timer && /^(training|resuming) /m.test(text)) timer = setTimeout(() => child.kill('SIGKILL'), delay);
      });
      expect(killed.code, show(killed)).toBe(null);
      if (newest !== null) expect(killed.stdout, show(killed)).toMatch(new RegExp(`^resuming \\S+checkpoint(-\\d+)?\\.safetensors at epoch ${newest} `, 'm'));
      if ((await filesMatching(out, /\.tmp$/)).length > 0) midSave++;

      newest = await newestCheckpointEpoch(out);
      if (await readFile(join(out, 'run.json')).catch(() => null)) await verifyRunSet(out);

      if (kill % COMPLETE_EVERY === 0 && newest !== null) {
        const done = await runCli(['train', '--resume', out, ...common, '--epochs', String(newest + 1)]);
        expect(done.code, show(done)).toBe(0);
        expect(done.stdout).toMatch(new RegExp(`^resuming \\S+ at epoch ${newest} `, 'm'));
        expect((await verifyRunSet(out)).status).toBe('complete');
        newest = await newestCheckpointEpoch(out);
        completed++;
      }
    }

    expect(newest, 'no kill came after the first checkpoint').not.toBe(null);
    const last = await runCli(['train', '--resume', out, ...common, '--epochs', String(newest! + 1)]);
    expect(last.code, show(last)).toBe(0);
    const manifest = await verifyRunSet(out);
    expect(manifest.status).toBe('complete');
    expect(await filesMatching(out, /\.tmp$/)).toEqual([]);
    expect(await directories(out)).toEqual([out]);
    const model = join(out, 'model.safetensors');
    expect(decodeModel(new Uint8Array(await readFile(model)), new JsKernels(), model).training.epochs).toBe(newest! + 1);
    console.log(
      `kill -9 test (seed ${KILL_SEED}): ${KILLS} kills after ${delays.join(', ')} ms; ${midSave} left a temp file (killed mid-write); ` +
        `${completed + 1} resumes ran to completion; reached epoch ${newest! + 1}`,
    );
  }, 600_000);
});
