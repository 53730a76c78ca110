// The control block the main thread and the workers share (one SharedArrayBuffer):
// Int32 slots for the job handshake, the job's arguments as Float64, a claim slot per
// share, and room for a worker's error message. The main thread writes a job split into
// PARTS shares, opens their claim slots, bumps GEN and notifies; then every thread — the
// main one (index 0) included — claims first the share with its own index, then any share
// still open, running each and adding 1 to DONE. Thread t thus runs share t of every job
// whenever it is there in time, so a batch's images, rows or columns stay on the core that
// wrote them in the previous pass (a cache line written on one core and read on the other
// costs a transfer each way). A worker the host has not scheduled yet simply claims
// nothing: the others take its shares, so a busy core slows a job down instead of
// stalling it. Which thread runs a share never changes its result.

import { WorkerError } from '../../errors.js';
import { errorRecordText, rebuildError, serializeError, type ErrorRecord } from './error-transport.js';
import { makeRunners, TRAP_OP, type Runner } from './shares.js';
import { abiConstants, type KernelExports } from '../wasm.js';

export const GEN = 0;
export const OP = 1;
export const DONE = 2;
export const ERROR = 3;
export const PARTS = 4;
export const EXIT = 5;

/** Most shares a job may have. */
export const MAX_SHARES = 4096;

// A claim slot holds 2 g while share s of job g is open and 2 g + 1 once a thread has it
// (g: the generation's low 30 bits). A worker that read job g late can only ever claim a
// slot of job g, never one of a later job whose arguments it has not read.
const openTag = (gen: number): number => (gen & 0x3fffffff) << 1;

/** Opens the claim slots of job `gen`'s shares (the main thread, before bumping GEN). */
export function openShares(claims: Int32Array, gen: number, parts: number): void {
  const tag = openTag(gen);
  for (let s = 0; s < parts; s++) Atomics.store(claims, s, tag);
}

/** Claims share `share` of job `gen`: true for the one thread that gets it. */
export function claimShare(claims: Int32Array, gen: number, share: number): boolean {
  const tag = openTag(gen);
  return Atomics.compareExchange(claims, share, tag, tag | 1) === tag;
}

/**
 * The next share thread `self` runs of job `gen`, after `last` (-1 at the start): its own
 * share first, then every other share still open, in order; -1 when none is left.
 */
export function nextShare(claims: Int32Array, gen: number, parts: number, self: number, last: number): number {
  let s: number;
  if (last < 0) {
    if (self < parts && claimShare(claims, gen, self)) return self;
    s = 0;
  } else {
    s = last === self ? 0 : last + 1;
  }
  for (; s < parts; s++) if (s !== self && claimShare(claims, gen, s)) return s;
  return -1;
}

/**
 * The claim slots start in the handshake's own cache line (after its 8 Int32 words), so a
 * job of up to 8 shares is posted, claimed and reported on one line.
 */
export const CLAIMS_OFFSET = 32;
export const ARGS_OFFSET = Math.ceil((CLAIMS_OFFSET + MAX_SHARES * 4) / 64) * 64;
export const ARGS_COUNT = 24;
export const ERROR_OFFSET = ARGS_OFFSET + ARGS_COUNT * 8;
export const ERROR_BYTES = 1024;
/** Test hook only: an error record a worker is asked to throw (throwInWorkerForTest). */
export const REQUEST_OFFSET = ERROR_OFFSET + ERROR_BYTES;
export const CONTROL_BYTES = REQUEST_OFFSET + ERROR_BYTES;

/**
 * Polls of a flag (about 100 µs here) before sleeping on it: a training step's back-to-back
 * jobs then skip a futex wake-up each (an empty job's round trip is about 1 µs to a
 * spinning worker, 140-290 µs to a sleeping one: bench/threads.ts). Shares are claimed, not
 * assigned, so a worker that spins on a core the host shares never stalls a job; it only
 * costs some time.
 */
export const SPIN = 20000;

export interface ControlViews {
  ctl: Int32Array;
  claims: Int32Array;
  args: Float64Array;
  error: Uint8Array;
  request: Uint8Array;
}

export function controlViews(control: SharedArrayBuffer): ControlViews {
  return {
    ctl: new Int32Array(control, 0, CLAIMS_OFFSET / 4),
    claims: new Int32Array(control, CLAIMS_OFFSET, MAX_SHARES),
    args: new Float64Array(control, ARGS_OFFSET, ARGS_COUNT),
    error: new Uint8Array(control, ERROR_OFFSET, ERROR_BYTES),
    request: new Uint8Array(control, REQUEST_OFFSET, ERROR_BYTES),
  };
}

/** What a failed share leaves in the error slot: which worker, and the error's record (error-transport.ts). */
interface SlotError {
  worker: number;
  error: ErrorRecord;
}

/** Writes `record` (JSON, NUL-terminated) into a slot of ERROR_BYTES. */
function writeSlot(slot: Uint8Array, record: ErrorRecord, wrap?: (r: ErrorRecord) => unknown): void {
  const bytes = new TextEncoder().encode(errorRecordText(record, ERROR_BYTES - 1, wrap));
  slot.fill(0);
  slot.set(bytes.subarray(0, ERROR_BYTES - 1));
}

function readSlot(slot: Uint8Array): string {
  const end = slot.indexOf(0);
  // TextDecoder refuses views of shared memory: copy first.
  return new TextDecoder().decode(slot.slice(0, end < 0 ? ERROR_BYTES : end));
}

export function writeError(v: ControlViews, worker: number, err: unknown): void {
  writeSlot(v.error, serializeError(err), (error) => ({ worker, error }) satisfies SlotError);
}

/** The error a worker reported for job `op`, as its own class (a WorkerError for anything else). */
export function readError(v: ControlViews, op: number): Error {
  const text = readSlot(v.error);
  let slot: Partial<SlotError>;
  try {
    slot = JSON.parse(text) as Partial<SlotError>;
  } catch {
    return new WorkerError(`kernel job ${op} failed in a worker: ${text.slice(0, 300)}`);
  }
  return rebuildError(slot.error, `kernel job ${op} failed in worker ${slot.worker}`);
}

/** Test hook: asks the workers to throw `err` on the next TRAP_OP job whose first argument is 1. */
export function requestThrow(v: ControlViews, err: unknown): void {
  writeSlot(v.request, serializeError(err));
}

/** TRAP_OP for a worker: traps, or (first argument 1) throws the requested error, rebuilt here. */
function testRunner(v: ControlViews, trap: Runner): Runner {
  return (a, t, T) => {
    if (a[0] !== 1) return trap(a, t, T);
    throw rebuildError(JSON.parse(readSlot(v.request)), 'the requested test error');
  };
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
  runners[TRAP_OP] = testRunner(v, runners[TRAP_OP]!);
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
    for (let share = nextShare(v.claims, gen, parts, index, -1); share >= 0; share = nextShare(v.claims, gen, parts, index, share)) {
      try {
        if (!run) throw new WorkerError(`unknown job ${Atomics.load(ctl, OP)}`);
        run(v.args, share, parts);
      } catch (err) {
        if (Atomics.compareExchange(ctl, ERROR, 0, 1) === 0) writeError(v, index, err);
      }
      Atomics.add(ctl, DONE, 1);
      Atomics.notify(ctl, DONE);
    }
  }
}
