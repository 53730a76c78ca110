// The WASM backend: instantiates one build of assembly/ directly (the ABI is numbers and
// offsets, so no loader or bindings) and exposes its exports as the Kernels methods,
// called without wrappers. Pure: no Node imports, so the browser entry uses it too.

import type { Kernels } from './kernels.js';
import { Heap, WasmMemoryStorage } from './heap.js';

/** The module's exports beyond the Kernels methods. */
export interface ModuleExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  scratchFloats(): number;
  setScratch(offset: number): void;
}

export type KernelMethods = Omit<Kernels, 'backend' | 'build' | 'heap'>;

/** Every ABI function the module must export (checked at instantiation). */
export const KERNEL_NAMES = [
  'sgemm', 'sgemmBiasAct', 'biasActForward', 'actBackward', 'biasBackward',
  'fill', 'copy', 'add', 'mul', 'scale', 'axpy', 'exp', 'square', 'squareBackward',
  'abs', 'sign', 'absBackward', 'clip', 'clipBackward', 'rowSum', 'rowSumBackward', 'sum',
  'conv2dForward', 'conv2dBackwardInput', 'conv2dBackwardFilter',
  'maxpool2dForward', 'maxpool2dBackward', 'upsample2dForward', 'upsample2dBackward',
  'mseForward', 'mseBackward', 'bceForward', 'bceBackward', 'bceLogitsForward', 'bceLogitsBackward',
  'klForward', 'klBackward', 'reparamForward', 'reparamBackward',
  'adamStep', 'sgdStep', 'randUniform', 'randNormal',
] as const satisfies readonly (keyof KernelMethods)[];

export type WasmKernels = Kernels & {
  readonly backend: 'wasm';
  readonly module: WebAssembly.Module;
  /** The instance's raw exports (the thread pool calls them with sub-ranges). */
  readonly exports: ModuleExports & KernelMethods;
  /** The shared memory of a threads build, else undefined. */
  readonly sharedMemory?: WebAssembly.Memory;
};

export type KernelExports = ModuleExports & KernelMethods;

export interface InstantiateOptions {
  /** A threads build imports its memory: pass the shared WebAssembly.Memory it must use. */
  memory?: WebAssembly.Memory;
  /** That memory's maximum, in 64 KiB pages. */
  maximumPages?: number;
}

/** Instantiates a compiled kernels module and returns its Kernels. */
export async function instantiateKernels(module: WebAssembly.Module, build: string, options: InstantiateOptions = {}): Promise<WasmKernels> {
  const imports: WebAssembly.Imports = options.memory ? { env: { memory: options.memory } } : {};
  const instance = await WebAssembly.instantiate(module, imports);
  const ex = instance.exports as unknown as KernelExports;
  for (const name of KERNEL_NAMES) {
    if (typeof ex[name] !== 'function') throw new TypeError(`${build} does not export kernel ${name}`);
  }
  const memory = options.memory ?? ex.memory;
  const heap = new Heap(new WasmMemoryStorage(memory, options.maximumPages), Math.ceil(ex.heapBase() / 4));
  const scratch = heap.alloc(ex.scratchFloats());
  ex.setScratch(scratch);
  const kernels = { backend: 'wasm', build, heap, module, exports: ex, sharedMemory: options.memory } as Record<string, unknown>;
  for (const name of KERNEL_NAMES) kernels[name] = ex[name];
  return kernels as unknown as WasmKernels;
}

/** Compiles module bytes and instantiates them. */
export async function createWasmKernels(bytes: BufferSource, build = 'kernels.wasm', options: InstantiateOptions = {}): Promise<WasmKernels> {
  const module = await WebAssembly.compile(bytes);
  return instantiateKernels(module, build, options);
}
