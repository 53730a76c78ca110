// Every error src/ throws is one of the typed classes of src/errors.ts (DESIGN.md "Naming
// and style"), so callers can catch AeError and tell bad input from bad files; each class
// spells its own name (minifiers rename classes) and crosses worker boundaries as itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ts from 'typescript';
import * as errors from '../src/errors.js';
import { AeError, FileError, FormatError, HeapError, ShapeError, WorkerError } from '../src/errors.js';
import { createKernels } from '../src/kernels/node.js';
import type { Kernels } from '../src/kernels/kernels.js';
import { errorRecordText, rebuildError, registeredErrorNames, serializeError } from '../src/kernels/threads/error-transport.js';
import type { ThreadedKernels } from '../src/kernels/threads/pool.js';
import { forEachNode, sourceFiles } from './source-files.js';

const UNTYPED = new Set(['Error', 'TypeError', 'RangeError']);

function untypedThrows(): string[] {
  const found: string[] = [];
  for (const { file, ast } of sourceFiles()) {
    forEachNode(ast, (node) => {
      if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && ts.isIdentifier(node.expression) && UNTYPED.has(node.expression.text)) {
        const { line } = ast.getLineAndCharacterOfPosition(node.getStart());
        found.push(`${file}:${line + 1}: ${node.getText().slice(0, 80)}`);
      }
    });
  }
  return found;
}

it('src/ constructs no Error, TypeError or RangeError (only the typed classes of src/errors.ts)', () => {
  expect(untypedThrows()).toEqual([]);
});

it('WorkerError is an AeError named after its class', () => {
  const err = new WorkerError('kernel worker 1 failed to start: no script');
  expect(err).toBeInstanceOf(AeError);
  expect(err.name).toBe('WorkerError');
});

const classes = Object.entries(errors) as [string, typeof AeError][];

describe('error names survive minification: each class spells its own', () => {
  it.each(classes.map(([name]) => name))('%s declares its own errorName, its export name, and is registered for worker transport', (name) => {
    const cls = errors[name as keyof typeof errors] as typeof AeError;
    expect(cls === AeError || cls.prototype instanceof AeError).toBe(true);
    // Without its own errorName a class would inherit its parent's name.
    expect(Object.hasOwn(cls, 'errorName'), `add \`static override readonly errorName = '${name}';\` to class ${name} in src/errors.ts`).toBe(true);
    expect(cls.errorName).toBe(name);
    expect(registeredErrorNames()).toContain(name);
  });

  it('the name does not come from the constructor: a renamed class keeps it', () => {
    // What a minifier does: the class binding gets another name.
    const renamed = { f: class extends FormatError {} }.f;
    Object.defineProperty(FormatError, 'name', { value: 'f', configurable: true });
    try {
      expect(new FormatError('x').name).toBe('FormatError');
    } finally {
      Object.defineProperty(FormatError, 'name', { value: 'FormatError', configurable: true });
    }
    // A caller's own subclass, with no errorName of its own, is named after itself.
    class MyError extends AeError {}
    expect(new MyError('x').name).toBe('MyError');
    expect(new renamed('x')).toBeInstanceOf(FormatError);
  });
});

describe('one serialisation across worker boundaries', () => {
  /** What postMessage does to a record. */
  const viaMessage = (err: unknown, where = 'the test worker') => rebuildError(structuredClone(serializeError(err)), where);

  it('rebuilds the same class with its message and its own fields', () => {
    const file = viaMessage(new FileError('model.safetensors: not found', '/tmp/model.safetensors'));
    expect(file).toBeInstanceOf(FileError);
    expect(file).toBeInstanceOf(AeError);
    expect(file).toBeInstanceOf(Error);
    expect(file).toMatchObject({ name: 'FileError', message: 'model.safetensors: not found', path: '/tmp/model.safetensors' });
    const heap = viaMessage(new HeapError('cannot reserve 3 GB', 3e9, 1 << 26, 2 ** 32));
    expect(heap).toBeInstanceOf(HeapError);
    expect(heap).toMatchObject({ name: 'HeapError', requestedBytes: 3e9, capacityBytes: 1 << 26, maximumBytes: 2 ** 32 });
    expect(typeof heap.stack).toBe('string');
  });

  it('shortens a cause chain to text', () => {
    const inner = new RangeError('Maximum call stack size exceeded');
    const middle = new FormatError('m.safetensors: architecture nests too deep', { cause: inner });
    const err = viaMessage(new ShapeError('layer encoder.1: bad input', { cause: middle }));
    expect(err).toBeInstanceOf(ShapeError);
    expect(err.cause).toBe('FormatError: m.safetensors: architecture nests too deep <- RangeError: Maximum call stack size exceeded');
  });

  it('turns unknown names, non-errors and malformed records into WorkerErrors, never a crash', () => {
    const trap = viaMessage(new WebAssembly.RuntimeError('memory access out of bounds'), 'kernel job 0 failed in worker 1');
    expect(trap).toBeInstanceOf(WorkerError);
    expect(trap.message).toBe('kernel job 0 failed in worker 1: RuntimeError: memory access out of bounds');
    expect(viaMessage({ name: 'FormatError', message: 'not an Error' }).message).toBe('the test worker: Error: [object Object]');
    expect(viaMessage(Symbol('s')).message).toBe('the test worker: Error: Symbol(s)');
    const hostile = { toString: () => { throw new TypeError('no'); } };
    expect(viaMessage(hostile)).toBeInstanceOf(WorkerError);
    for (const bad of [null, 5, 'FormatError', { name: 'FormatError' }, { name: 1, message: 'x' }]) {
      expect(rebuildError(bad, 'w')).toBeInstanceOf(WorkerError);
    }
    // Own names only: Object.prototype's are no classes.
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(rebuildError({ name, message: 'm', fields: {} }, 'w')).toBeInstanceOf(WorkerError);
    }
    // Fields that would shadow the error's own slots, or are not primitives, are dropped.
    const odd = rebuildError({ name: 'ShapeError', message: 'm', fields: { stack: 'forged', __proto__x: 1, shape: [1, 2], where: 'layer 3' } }, 'w');
    expect(odd).toBeInstanceOf(ShapeError);
    expect(odd.stack).not.toBe('forged');
    expect((odd as unknown as { where: string }).where).toBe('layer 3');
    expect((odd as unknown as { shape?: unknown }).shape).toBeUndefined();
  });

  it('fits a long record into a fixed slot as JSON that still parses', () => {
    const long = new FileError('x'.repeat(5000) + '\u00e9'.repeat(3000), 'p'.repeat(4000), { cause: new Error('c'.repeat(9000)) });
    const text = errorRecordText(serializeError(long), 1023);
    expect(new TextEncoder().encode(text).length).toBeLessThanOrEqual(1023);
    const back = rebuildError(JSON.parse(text), 'w');
    expect(back).toBeInstanceOf(FileError);
    expect(back.message.startsWith('xxxx')).toBe(true);
  });
});

describe('the Node kernel thread pool keeps typed errors from its workers', () => {
  let pool: ThreadedKernels & Kernels;
  beforeAll(async () => {
    pool = (await createKernels({ threads: 2 })) as ThreadedKernels & Kernels;
  });
  afterAll(() => pool?.dispose());

  it('ShapeError, HeapError, FormatError and FileError thrown in a worker reach the caller as that class, with their fields', () => {
    const thrown = [
      new ShapeError('conv2d: input [2, 28, 28, 3] does not match the kernel [3, 3, 1, 16] (channels 3 vs 1)'),
      new HeapError('heap: cannot grow to 5 GiB (in use 64 MiB, limit 4 GiB)', 5 * 2 ** 30, 64 * 2 ** 20, 4 * 2 ** 30),
      new FormatError('m.safetensors: header is not JSON', { cause: new SyntaxError('Unexpected token') }),
      new FileError('cannot read /tmp/x: EISDIR', '/tmp/x'),
    ];
    expect(pool.threads).toBe(2);
    for (const err of thrown) {
      let caught: unknown;
      try {
        pool.throwInWorkerForTest(err);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(err.constructor);
      expect(caught).toMatchObject({ ...err, name: err.name, message: err.message });
    }
    const format = (() => {
      try {
        pool.throwInWorkerForTest(thrown[2]!);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(format?.cause).toBe('SyntaxError: Unexpected token');
  });

  it('an error of no known class (a trap) arrives as a WorkerError naming the job and worker, and the pool keeps working', () => {
    expect(() => pool.trapForTest()).toThrow(WorkerError);
    expect(() => pool.trapForTest()).toThrow(/^kernel job 0 failed in worker 1: RuntimeError: /);
    expect(() => pool.throwInWorkerForTest(new ShapeError('again'))).toThrow(ShapeError);
  });
});
