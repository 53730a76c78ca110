// Strings from a model file (preset, part, layer class and config key names) and file
// paths reach the terminal escaped: real child processes of the CLI, whose stdout and
// stderr must hold no raw control or bidi character, show the escapes instead, and keep
// every message on one line.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createReporter } from '../../src/cli/progress.js';
import { JsKernels } from '../../src/kernels/js.js';
import { editRecord, modelFile } from '../models/model-fixtures.js';
import { HOSTILE, RAW_CONTROL } from '../io/raw-control.js';
import { cli, type Run } from './run-cli.js';

/** HOSTILE as terminalText shows it. */
const SHOWN = 'evil\\n\\x1b[2J\\x1b[31mPWNED\\x1b[0m\\x9b1m\\u202etxt';

let tmp: string;
const dense = () => modelFile(new JsKernels(), 'dense');

async function write(name: string, bytes: Uint8Array): Promise<string> {
  const file = join(tmp, name);
  await writeFile(file, bytes);
  return file;
}

function expectClean(r: Run): void {
  expect(r.stdout, r.stdout).not.toMatch(RAW_CONTROL);
  expect(r.stderr, r.stderr).not.toMatch(RAW_CONTROL);
}

/** A failure: exit 1 or 2, one escaped line on stderr quoting the hostile string, no stack. */
function expectOneLineError(r: Run): void {
  expectClean(r);
  expect([1, 2]).toContain(r.code);
  expect(r.stderr.split('\n').filter(Boolean), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(/^ae-wasm: /);
  expect(r.stderr).not.toMatch(/unexpected error|    at /);
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ae-wasm-untrusted-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('hostile strings from files are escaped before the terminal', () => {
  it('summary: a preset name with a newline, ANSI escapes and a bidi override', async () => {
    const file = await write('preset.safetensors', editRecord(dense(), 'training', (t) => ({ ...t, preset: HOSTILE, data: HOSTILE })));
    const r = await cli('summary', '--model', file);
    expect(r.code, r.stderr).toBe(0);
    expectClean(r);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`Model: "${SHOWN}" (autoencoder; input (None, 28, 28, 1), code (None, 64))`);
    // No forged line: the table has as many lines as the same model's with plain strings.
    const plain = await cli('summary', '--model', await write('plain.safetensors', dense()));
    expect(plain.code, plain.stderr).toBe(0);
    expect(lines).toHaveLength(plain.stdout.trimEnd().split('\n').length);
  });

  it('a layer class name (JSON.stringify in the message leaves U+202E and C1 raw)', async () => {
    const file = await write('class.safetensors', editRecord(dense(), 'architecture', (a) => {
      ((a['parts'] as Record<string, { class_name: string }[]>)['encoder']![1]!).class_name = `Dense\u202e\x9b2J`;
      return a;
    }));
    const r = await cli('summary', '--model', file);
    expectOneLineError(r);
    expect(r.stderr).toContain('Dense\\u202e\\x9b2J');
  });

  it('a layer config key and a part name', async () => {
    const key = await write('key.safetensors', editRecord(dense(), 'architecture', (a) => {
      const layer = (a['parts'] as Record<string, { config: Record<string, unknown> }[]>)['encoder']![1]!;
      layer.config[HOSTILE] = 1;
      return a;
    }));
    const keyRun = await cli('summary', '--model', key);
    expectOneLineError(keyRun);
    // The message quotes it with JSON.stringify (\u001b), which leaves C1 and bidi raw: escaped here.
    expect(keyRun.stderr).toContain('\\x9b1m\\u202etxt');
    const part = await write('part.safetensors', editRecord(dense(), 'architecture', (a) => {
      const parts = a['parts'] as Record<string, unknown>;
      parts[HOSTILE] = parts['decoder'];
      return a;
    }));
    const partRun = await cli('summary', '--model', part);
    expectOneLineError(partRun);
    expect(partRun.stderr).toContain('\\x9b1m\\u202etxt');
  });

  it('an unknown option or command, as Commander reports it', async () => {
    for (const args of [['summary', '--model', 'm.safetensors', `--${HOSTILE}`], [HOSTILE]]) {
      const r = await cli(...args);
      expectClean(r);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(SHOWN);
    }
  });

  it('a file path', async () => {
    const r = await cli('summary', '--model', join(tmp, `${HOSTILE}.safetensors`));
    expectOneLineError(r);
    expect(r.stderr).toContain(SHOWN);
  });
});

describe('the training reporter', () => {
  it.each(['plain', 'tty'] as const)('escapes its log lines (%s)', (mode) => {
    const written: string[] = [];
    const capture = (chunk: string | Uint8Array) => (written.push(String(chunk)), true);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    const stream = { write: capture } as unknown as NodeJS.WriteStream;
    try {
      createReporter(mode, stream).log(`resuming run.safetensors at epoch 2: training ${HOSTILE} on ${HOSTILE}`);
    } finally {
      stdout.mockRestore();
    }
    expect(written).toEqual([`resuming run.safetensors at epoch 2: training ${SHOWN} on ${SHOWN}\n`]);
  });
});
