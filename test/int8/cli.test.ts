// ae-wasm quantize and the commands running its output: the file it writes is the library's
// int8 model (same bytes as quantizeModel + encodeModel), summary names the quantization,
// reconstruct / encode / eval run it, and it refuses to replace its input or a bad --out.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpy } from '../../src/data/sources/npy.js';
import { JsKernels } from '../../src/kernels/js.js';
import { decodeModel, encodeModel } from '../../src/models/model-file.js';
import { quantizeModel } from '../../src/models/quantize.js';
import { inProcess } from '../cli/in-process.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ae-wasm-int8-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const fixture = new URL('../fixtures/models/deep.safetensors', import.meta.url);
const input = path.join(dir, 'deep.safetensors');
fs.copyFileSync(fixture, input);
const out = path.join(dir, 'deep-int8.safetensors');
// 8 x 8 digits-like data for the fixture's input shape (uint8 pixels).
const data = path.join(dir, 'data.npy');
fs.writeFileSync(data, encodeNpy(Uint8Array.from({ length: 40 * 64 }, (_, i) => (i * 37) % 256), [40, 8, 8]));

describe('ae-wasm quantize', () => {
  it('writes the library\'s int8 model, byte for byte', async () => {
    const run = await inProcess('quantize', '--model', input, '--out', out, '--keep-float', 'decoder.2');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/int8 Dense layers encoder\.1, encoder\.2, encoder\.3, decoder\.0, decoder\.1; float32 kept: decoder\.2/);
    const model = decodeModel(fs.readFileSync(input), new JsKernels(), input).model;
    const q = quantizeModel(model, { keepFloat: ['decoder.2'] });
    expect(Buffer.from(encodeModel(q)).equals(fs.readFileSync(out))).toBe(true);
  });

  it('summary shows the quantization; encode and reconstruct run the int8 model', async () => {
    const summary = await inProcess('summary', '--model', out);
    expect(summary.stdout).toMatch(/Quantization: int8-symmetric-per-channel\/1, int8 Dense layers encoder\.1, encoder\.2, encoder\.3, decoder\.0, decoder\.1\n/);
    const codes = path.join(dir, 'codes.npy');
    const enc = await inProcess('encode', '--model', out, '--data', data, '--out', codes);
    expect(enc.stderr).toBe('');
    expect(fs.statSync(codes).size).toBeGreaterThan(0);
    const png = path.join(dir, 'r.png');
    const rec = await inProcess('reconstruct', '--model', out, '--data', data, '--out', png);
    expect(rec.stderr).toBe('');
    expect(fs.statSync(png).size).toBeGreaterThan(0);
    const ev = await inProcess('eval', '--model', out, '--data', data, '--json');
    expect(ev.stderr).toBe('');
    expect(JSON.parse(ev.stdout).mse).toBeGreaterThan(0);
  });

  it('refuses to overwrite its input, a non-.safetensors --out, an int8 input and unknown --keep-float names', async () => {
    const before = fs.readFileSync(input);
    const same = await inProcess('quantize', '--model', input, '--out', input);
    expect(same.code).not.toBe(0);
    expect(same.stderr).toMatch(/is the --model file/);
    expect(fs.readFileSync(input).equals(before)).toBe(true);
    const ext = await inProcess('quantize', '--model', input, '--out', path.join(dir, 'q.bin'));
    expect(ext.stderr).toMatch(/give it the extension \.safetensors/);
    const twice = await inProcess('quantize', '--model', out, '--out', path.join(dir, 'q2.safetensors'));
    expect(twice.stderr).toMatch(/already an int8 model/);
    const unknown = await inProcess('quantize', '--model', input, '--out', path.join(dir, 'q3.safetensors'), '--keep-float', 'decoder.7');
    expect(unknown.stderr).toMatch(/keepFloat names "decoder\.7", which is no Dense layer/);
    expect(fs.existsSync(path.join(dir, 'q3.safetensors'))).toBe(false);
  });

  it('export of an int8 model says its int8 layers went out as float32 weights; a float model gets no such note', async () => {
    const onnx = path.join(dir, 'int8.onnx');
    const run = await inProcess('export', '--model', out, '--format', 'onnx', '--out', onnx);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(
      /note: 5 int8 layers \(encoder\.1, encoder\.2, encoder\.3, decoder\.0, decoder\.1\) went out as float32 weights \(each int8 code times its channel's scale\) with float32 activations/,
    );
    // Only the layers the part holds: the decoder of this model has two int8 layers, in TF.js too.
    const dec = await inProcess('export', '--model', out, '--format', 'tfjs', '--part', 'decoder', '--out', path.join(dir, 'dec-tfjs'));
    expect(dec.stderr).toBe('');
    expect(dec.stdout).toMatch(/note: 2 int8 layers \(decoder\.0, decoder\.1\) went out as float32 weights/);
    const plain = await inProcess('export', '--model', input, '--format', 'onnx', '--out', path.join(dir, 'float.onnx'));
    expect(plain.stderr).toBe('');
    expect(plain.stdout).not.toMatch(/note:/);
  });
});
