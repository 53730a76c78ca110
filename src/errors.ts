// Typed errors: each says what was expected, what was found, and where.
//
// Every class spells its own name: `static readonly errorName = '...'`. Minifiers rename
// classes (FormatError becomes `f` in the browser bundle), so a name read from the
// constructor is not stable; this one is, and `err.name` is what users branch on. The
// worker boundaries rebuild errors by this name too (src/kernels/threads/error-transport.ts),
// which finds every exported class that declares it. test/errors.test.ts checks each class.

/** Base class so callers can catch everything ae-wasm throws on bad input. */
export class AeError extends Error {
  static readonly errorName: string = 'AeError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // A caller's own subclass without an errorName keeps its (unminified) class name.
    this.name = Object.hasOwn(new.target, 'errorName') ? (new.target as typeof AeError).errorName : new.target.name;
  }
}

/** A tensor or layer has the wrong shape. */
export class ShapeError extends AeError {
  static override readonly errorName = 'ShapeError';
}

/** A file (model, IDX, PNG) is malformed, truncated or of the wrong kind. */
export class FormatError extends AeError {
  static override readonly errorName = 'FormatError';
}

/** Data is unusable: NaN or infinite values, values out of range, wrong sizes. */
export class DataError extends AeError {
  static override readonly errorName = 'DataError';
}

/** A file could not be read or written (missing, not permitted, disk full): names the path and the reason. */
export class FileError extends AeError {
  static override readonly errorName = 'FileError';

  constructor(message: string, readonly path: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A computation produced a non-finite or impossible number (a model output of NaN, a
 * negative cross-entropy): names the quantity, the first offending sample and the likely cause.
 */
export class NumericError extends AeError {
  static override readonly errorName = 'NumericError';
}

/**
 * A file made under one model was given another (an .aec container decoded with a model
 * other than the one that compressed it): names both models' hashes.
 */
export class ModelMismatchError extends AeError {
  static override readonly errorName = 'ModelMismatchError';
}

/** An argument or option is outside its documented range. */
export class ArgumentError extends AeError {
  static override readonly errorName = 'ArgumentError';
}

/** Memory could not be reserved: names the request, what is in use, and the limit. */
export class HeapError extends AeError {
  static override readonly errorName = 'HeapError';

  constructor(
    message: string,
    readonly requestedBytes: number,
    readonly capacityBytes: number,
    readonly maximumBytes: number,
  ) {
    super(message);
  }
}

/** A kernel worker could not start, failed a job, or stopped answering: names the worker or job. */
export class WorkerError extends AeError {
  static override readonly errorName = 'WorkerError';
}

/** The JavaScript engine lacks a feature ae-wasm needs (WebAssembly SIMD): names the feature and where it is available. */
export class UnsupportedError extends AeError {
  static override readonly errorName = 'UnsupportedError';
}

/** What a DivergenceError found non-finite. */
export type DivergedQuantity = 'loss' | 'gradient norm' | 'weights' | 'validation loss' | 'test MSE';

/**
 * Training produced a non-finite loss, gradient norm, weights, validation loss or test
 * MSE: names the epoch, the step within it (1-based) and the optimizer step counted
 * from the start of training, what was non-finite and its value.
 */
export class DivergenceError extends AeError {
  static override readonly errorName = 'DivergenceError';
  constructor(
    message: string,
    readonly epoch: number,
    readonly step: number,
    readonly globalStep: number,
    readonly quantity: DivergedQuantity,
    readonly value: number,
  ) {
    super(message);
  }
}
