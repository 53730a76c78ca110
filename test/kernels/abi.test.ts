// The kernel manifest (src/kernels/abi.ts) against what implements it: every build of the
// module exports each row as a function of the row's arity whose wasm parameter types are
// the row's kinds (read from the build's .wat), exports the ABI constants and nothing
// else; the JS spec and the thread pool have a method of the same arity for every row;
// every split row resolves to argument positions.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ABI, ABI_CONSTANTS, KERNEL_NAMES, SPLIT_KERNELS, argNames, type ArgKind, type KernelName } from '../../src/kernels/abi.js';
import { BUILD_NAMES } from '../../src/kernels/builds.js';
import { JsKernels } from '../../src/kernels/js.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { BUILD_DIR, createKernels } from '../../src/kernels/node.js';
import { PLANS } from '../../src/kernels/threads/shares.js';
import type { WasmKernels } from '../../src/kernels/wasm.js';

/** Module functions that are not kernels: the heap base and the scratch region. */
const MODULE_FUNCTIONS = ['heapBase', 'scratchFloats', 'setScratch'];
const WASM_TYPE: Record<ArgKind, string> = { ptr: 'i32', i32: 'i32', u32: 'i32', f32: 'f32', f64: 'f64' };

/** Export name -> its parameter and result types, from the build's text format. */
function watSignatures(build: string): Map<string, { params: string[]; result: string | null }> {
  const wat = readFileSync(BUILD_DIR + build.replace('.wasm', '.wat'), 'utf8');
  const funcs = new Map<string, { params: string[]; result: string | null }>();
  for (const m of wat.matchAll(/^ \(func (\$\S+)((?: \(param \$\d+ \w+\))*)(?: \(result (\w+)\))?/gm)) {
    funcs.set(m[1]!, { params: [...m[2]!.matchAll(/\(param \$\d+ (\w+)\)/g)].map((p) => p[1]!), result: m[3] ?? null });
  }
  const out = new Map<string, { params: string[]; result: string | null }>();
  for (const m of wat.matchAll(/^ \(export "(\w+)" \(func (\$\S+)\)\)/gm)) out.set(m[1]!, funcs.get(m[2]!)!);
  return out;
}

describe.each(BUILD_NAMES)('%s exports the manifest', (build) => {
  let kernels: WasmKernels;
  beforeAll(async () => {
    kernels = (await createKernels({ build })) as WasmKernels;
  });

  it('every row as a function of its arity with its parameter types, and no other function', () => {
    const sigs = watSignatures(build);
    for (const name of KERNEL_NAMES) {
      const spec = ABI[name];
      expect(typeof kernels.exports[name], name).toBe('function');
      expect(kernels.exports[name].length, name).toBe(spec.args.length);
      expect(sigs.get(name)?.params, name).toEqual(spec.args.map((a) => WASM_TYPE[a.slice(a.indexOf(':') + 1) as ArgKind]));
      expect(sigs.get(name)?.result, name).toBe('returns' in spec ? spec.returns : null);
    }
    expect([...sigs.keys()].sort()).toEqual([...KERNEL_NAMES, ...MODULE_FUNCTIONS].sort());
  });

  it('every ABI constant as an immutable i32 global, the same in every build but the tile rows', async () => {
    // The FMA build's 6x8 tile, the mul + add build's 5x8 (the product needs a register).
    expect(kernels.constants.MR).toBe(build.includes('relaxed') ? 6 : 5);
    const baseline = (await createKernels({ build: 'kernels.wasm' })) as WasmKernels;
    expect({ ...kernels.constants, MR: 0 }).toEqual({ ...baseline.constants, MR: 0 });
    for (const name of ABI_CONSTANTS) {
      const g = (kernels.exports as unknown as Record<string, WebAssembly.Global>)[name]!;
      expect(Number.isInteger(g.value), name).toBe(true);
      expect(() => { g.value = 1; }, name).toThrow();
    }
    expect(kernels.constants.SCRATCH_FLOATS).toBe(kernels.exports.scratchFloats());
  });
});

describe('the backends implement every row', () => {
  let threaded: Kernels & { dispose(): void };
  beforeAll(async () => {
    threaded = (await createKernels({ threads: 2 })) as Kernels & { dispose(): void };
  });
  afterAll(() => threaded?.dispose());

  it.each(['f32', 'f64'] as const)('the JS spec (%s heap): a method of the row\'s arity for every row', (dtype) => {
    const js = new JsKernels(dtype) as unknown as Record<KernelName, (...args: number[]) => unknown>;
    for (const name of KERNEL_NAMES) {
      expect(typeof js[name], name).toBe('function');
      expect(js[name].length, name).toBe(ABI[name].args.length);
    }
  });

  it('the thread pool: a method for every row', () => {
    for (const name of KERNEL_NAMES) expect(typeof threaded[name], name).toBe('function');
  });

  it('every split row resolves to its arguments, in manifest order', () => {
    expect(PLANS.map((p) => p.name)).toEqual(SPLIT_KERNELS);
    PLANS.forEach((p, i) => expect(p.op).toBe(i + 1));
    for (const p of PLANS) {
      const names = argNames(p.name);
      for (const a of p.advance) expect(ABI[p.name].args[a.at]!.endsWith(':ptr') || names[a.at] === 'counter', `${p.name} advances ${names[a.at]}`).toBe(true);
      expect(p.work.length, p.name).toBeGreaterThan(0);
    }
  });
});
