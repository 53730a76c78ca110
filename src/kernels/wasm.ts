// The WASM backend: instantiates one build of assembly/ directly (the ABI is numbers and
// offsets, so no loader or bindings) and exposes its exports as the Kernels methods,
// called without wrappers. Pure: no Node imports, so the browser entry uses it too.

import { ABI_CONSTANTS, KERNEL_NAMES, type AbiConstants, type KernelMethods } from './abi.js';
import type { Kernels } from './kernels.js';
import { Heap, WasmMemoryStorage } from './heap.js';
import { FormatError } from '../errors.js';

/** The module's exports beyond the kernels: memory, heap base, scratch, ABI constants. */
export interface ModuleExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  scratchFloats(): number;
  setScratch(offset: number): void;
}

export type KernelExports = ModuleExports & KernelMethods & Record<(typeof ABI_CONSTANTS)[number], WebAssembly.Global>;

export type WasmKernels = Kernels & {
  readonly backend: 'wasm';
  readonly module: WebAssembly.Module;
  /** The instance's raw exports (the thread pool calls them with sub-ranges). */
  readonly exports: KernelExports;
  /** The ABI constants this build was compiled with. */
  readonly constants: AbiConstants;
  /** The shared memory of a threads build, else undefined. */
  readonly sharedMemory?: WebAssembly.Memory;
};

export interface InstantiateOptions {
  /** A threads build imports its memory: pass the shared WebAssembly.Memory it must use. */
  memory?: WebAssembly.Memory;
  /** That memory's maximum, in 64 KiB pages. */
  maximumPages?: number;
  /** Why the loader chose this build (kernels.buildReason). */
  reason?: string;
}

/** Checks that an instance exports every manifest kernel and ABI constant; returns them typed. */
export function kernelExports(exports: WebAssembly.Exports, build: string): KernelExports {
  for (const name of KERNEL_NAMES) {
    if (typeof exports[name] !== 'function') throw new FormatError(`${build} does not export kernel ${name}: not an ae-wasm kernels build of this version`);
  }
  for (const name of ABI_CONSTANTS) {
    if (!(exports[name] instanceof WebAssembly.Global)) throw new FormatError(`${build} does not export the ABI constant ${name}: not an ae-wasm kernels build of this version`);
  }
  return exports as unknown as KernelExports;
}

/** The ABI constants of an instance, as numbers. */
export function abiConstants(ex: KernelExports): AbiConstants {
  const out: Record<string, number> = {};
  for (const name of ABI_CONSTANTS) out[name] = ex[name].value as number;
  return Object.freeze(out) as AbiConstants;
}

/** Instantiates a compiled kernels module and returns its Kernels. */
export async function instantiateKernels(module: WebAssembly.Module, build: string, options: InstantiateOptions = {}): Promise<WasmKernels> {
  const imports: WebAssembly.Imports = options.memory ? { env: { memory: options.memory } } : {};
  const instance = await WebAssembly.instantiate(module, imports);
  const ex = kernelExports(instance.exports, build);
  const memory = options.memory ?? ex.memory;
  const heap = new Heap(new WasmMemoryStorage(memory, options.maximumPages), Math.ceil(ex.heapBase() / 4));
  const scratch = heap.alloc(ex.scratchFloats());
  ex.setScratch(scratch);
  const kernels = { backend: 'wasm', build, buildReason: options.reason, heap, module, exports: ex, constants: abiConstants(ex), sharedMemory: options.memory } as Record<string, unknown>;
  for (const name of KERNEL_NAMES) kernels[name] = ex[name];
  return kernels as unknown as WasmKernels;
}

/** Compiles module bytes and instantiates them. */
export async function createWasmKernels(bytes: BufferSource, build = 'kernels.wasm', options: InstantiateOptions = {}): Promise<WasmKernels> {
  const module = await WebAssembly.compile(bytes);
  return instantiateKernels(module, build, options);
}
