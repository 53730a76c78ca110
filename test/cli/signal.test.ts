// Ctrl-C during training: a real child process gets a real SIGINT, writes a loadable
// checkpoint, exits 130, and --resume continues from it to the requested epochs.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsKernels } from '../../src/kernels/js.js';
import { decodeModel } from '../../src/models/model-file.js';
import { runCli as cli } from './run-cli.js';

describe('SIGINT during training', () => {
  it('writes a loadable checkpoint, exits 130, and --resume finishes the run', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'ae-sigint-'));
    let sent = false;
    const first = await cli(['train', '--preset', 'dense', '--epochs', '200', '--out', out], (text, child) => {
      if (!sent && /epoch\s+1\/200/.test(text)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    expect(sent).toBe(true);
    expect(first.code, first.stderr).toBe(130);
    expect(first.stdout).toMatch(/interrupted by SIGINT: wrote .*checkpoint\.safetensors/);
    const file = path.join(out, 'checkpoint.safetensors');
    const { training, optimizerSlots } = decodeModel(new Uint8Array(readFileSync(file)), new JsKernels(), file);
    expect(optimizerSlots).toEqual(['m', 'v']);
    const done = training.checkpoint!.epoch;
    expect(done).toBeGreaterThanOrEqual(1);
    expect(done).toBeLessThan(200);
    expect(existsSync(path.join(out, 'model.safetensors'))).toBe(false);

    const target = done + 1;
    const resumed = await cli(['train', '--resume', file, '--epochs', String(target)]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`resuming .*checkpoint\\.safetensors at epoch ${done}`));
    const history = JSON.parse(readFileSync(path.join(out, 'history.json'), 'utf8')) as { epochs: { epoch: number }[] };
    expect(history.epochs.map((e) => e.epoch)).toEqual(Array.from({ length: target }, (_, i) => i + 1));
    expect(existsSync(path.join(out, 'model.safetensors'))).toBe(true);

    const clash = await cli(['train', '--resume', file, '--epochs', String(target), '--lr', '0.1']);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/--lr cannot be changed with --resume/);
  }, 120_000);
});
