// The control block the main thread and the workers share (one SharedArrayBuffer):
// Int32 slots for the job handshake, the job's arguments as Float64, and room for a
// worker's error message. The main thread writes a job split into PARTS shares, bumps
// GEN and notifies; then every thread — the main one included — claims shares from CLAIM
// until none is left, running each and adding 1 to DONE. A worker the host has not
// scheduled yet simply claims nothing: the others take its shares, so a busy core slows
// a job down instead of stalling it. Which thread runs a share never changes its result.

import { WorkerError } from '../../errors.js';
import { makeRunners } from './shares.js';
import { abiConstants, type KernelExports } from '../wasm.js';

export const GEN = 0;
export const OP = 1;
export const DONE = 2;
export const ERROR = 3;
export const PARTS = 4;
export const EXIT = 5;
/** The job's generation (high bits) and the next unclaimed share (low 12 bits). */
export const CLAIM = 6;

const SHARE_BITS = 12;
/** Most shares a job may have. */
export const MAX_SHARES = 1 << SHARE_BITS;

/** CLAIM's value when job `gen` starts: no share claimed yet. */
export function claimStart(gen: number): number {
  return (gen & 0x7ffff) << SHARE_BITS;
}

/** Claims the next share of job `gen`, or returns -1 when none is left (or the job is over). */
export function claimShare(ctl: Int32Array, gen: number, parts: number): number {
  const tag = claimStart(gen);
  for (;;) {
    const v = Atomics.load(ctl, CLAIM);
    if ((v & ~(MAX_SHARES - 1)) !== tag) return -1;
    const share = v & (MAX_SHARES - 1);
    if (share >= parts) return -1;
    if (Atomics.compareExchange(ctl, CLAIM, v, v + 1) === v) return share;
  }
}

export const ARGS_OFFSET = 64;
export const ARGS_COUNT = 24;
export const ERROR_OFFSET = ARGS_OFFSET + ARGS_COUNT * 8;
export const ERROR_BYTES = 1024;
export const CONTROL_BYTES = ERROR_OFFSET + ERROR_BYTES;

/**
 * Polls of a flag (about 20-50 us) before sleeping on it: a training step's back-to-back
 * jobs then skip a futex wake-up each. Shares are claimed, not assigned, so a worker
 * that spins on a core the host shares never stalls a job; it only costs some time.
 */
export const SPIN = 20000;

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
 * A worker's life after instantiation: wait for jobs, claim and run shares, report each.
 * Returns when the main thread sets EXIT.
 */
export function workerLoop(ex: KernelExports, control: SharedArrayBuffer, index: number): void {
  const v = controlViews(control);
  const { ctl } = v;
  // Workers start before the first job, whose generation is 1: reading GEN here instead
  // would race with a job posted while this worker was still starting, and miss it.
  let seen = 0;
  const runners = makeRunners(ex, abiConstants(ex));
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
    const run = runners[Atomics.load(ctl, OP)];
    for (let share = claimShare(ctl, gen, parts); share >= 0; share = claimShare(ctl, gen, parts)) {
      try {
        if (!run) throw new WorkerError(`unknown job ${Atomics.load(ctl, OP)}`);
        run(v.args, share, parts);
      } catch (err) {
        if (Atomics.compareExchange(ctl, ERROR, 0, 1) === 0) writeError(v, `worker ${index}: ${(err as Error)?.message ?? err}`);
      }
      Atomics.add(ctl, DONE, 1);
      Atomics.notify(ctl, DONE);
    }
  }
}
