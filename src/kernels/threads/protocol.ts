// The control block the main thread and the workers share (one SharedArrayBuffer):
// Int32 slots for the job handshake, the job's arguments as Float64, and room for a
// worker's error message. The main thread writes a job, bumps GEN and notifies; each
// participating worker runs its share, then adds 1 to DONE and notifies.

import { RUNNERS } from './shares.js';
import type { KernelExports } from '../wasm.js';

export const GEN = 0;
export const OP = 1;
export const DONE = 2;
export const ERROR = 3;
export const PARTS = 4;
export const EXIT = 5;

export const ARGS_OFFSET = 64;
export const ARGS_COUNT = 24;
export const ERROR_OFFSET = ARGS_OFFSET + ARGS_COUNT * 8;
export const ERROR_BYTES = 1024;
export const CONTROL_BYTES = ERROR_OFFSET + ERROR_BYTES;

/** Polls of a flag before sleeping on it: back-to-back jobs of a step then skip a wake-up. */
export const SPIN = 2000;

export interface ControlViews {
  ctl: Int32Array;
  args: Float64Array;
  error: Uint8Array;
}

export function controlViews(control: SharedArrayBuffer): ControlViews {
  return {
    ctl: new Int32Array(control, 0, ARGS_OFFSET / 4),
    args: new Float64Array(control, ARGS_OFFSET, ARGS_COUNT),
    error: new Uint8Array(control, ERROR_OFFSET, ERROR_BYTES),
  };
}

export function writeError(v: ControlViews, message: string): void {
  const bytes = new TextEncoder().encode(message.slice(0, ERROR_BYTES / 4));
  v.error.fill(0);
  v.error.set(bytes.subarray(0, ERROR_BYTES - 1));
}

export function readError(v: ControlViews): string {
  const end = v.error.indexOf(0);
  // TextDecoder refuses views of shared memory: copy first.
  return new TextDecoder().decode(v.error.slice(0, end < 0 ? ERROR_BYTES : end));
}

/**
 * A worker's life after instantiation: wait for jobs, run this worker's share, report.
 * Returns when the main thread sets EXIT.
 */
export function workerLoop(ex: KernelExports, control: SharedArrayBuffer, index: number): void {
  const v = controlViews(control);
  const { ctl } = v;
  // Workers start before the first job, whose generation is 1: reading GEN here instead
  // would race with a job posted while this worker was still starting, and miss it.
  let seen = 0;
  for (;;) {
    let gen = Atomics.load(ctl, GEN);
    for (let i = 0; gen === seen && i < SPIN; i++) gen = Atomics.load(ctl, GEN);
    if (gen === seen) {
      Atomics.wait(ctl, GEN, seen);
      continue;
    }
    seen = gen;
    if (Atomics.load(ctl, EXIT) !== 0) return;
    const parts = Atomics.load(ctl, PARTS);
    if (index >= parts) continue;
    try {
      const run = RUNNERS[Atomics.load(ctl, OP)];
      if (!run) throw new Error(`unknown job ${Atomics.load(ctl, OP)}`);
      run(ex, v.args, index, parts);
    } catch (err) {
      if (Atomics.compareExchange(ctl, ERROR, 0, 1) === 0) writeError(v, `worker ${index}: ${(err as Error)?.message ?? err}`);
    }
    Atomics.add(ctl, DONE, 1);
    Atomics.notify(ctl, DONE);
  }
}
