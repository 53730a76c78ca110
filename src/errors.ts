// Typed errors: each says what was expected, what was found, and where.

/** Base class so callers can catch everything ae-wasm throws on bad input. */
export class AeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A tensor or layer has the wrong shape. */
export class ShapeError extends AeError {}

/** A file (model, IDX, PNG) is malformed, truncated or of the wrong kind. */
export class FormatError extends AeError {}

/** Data is unusable: NaN or infinite values, values out of range, wrong sizes. */
export class DataError extends AeError {}

/** A file could not be read or written (missing, not permitted, disk full): names the path and the reason. */
export class FileError extends AeError {
  constructor(message: string, readonly path: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An argument or option is outside its documented range. */
export class ArgumentError extends AeError {}

/** Memory could not be reserved: names the request, what is in use, and the limit. */
export class HeapError extends AeError {
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
export class WorkerError extends AeError {}

/** The JavaScript engine lacks a feature ae-wasm needs (WebAssembly SIMD): names the feature and where it is available. */
export class UnsupportedError extends AeError {}

/** What a DivergenceError found non-finite. */
export type DivergedQuantity = 'loss' | 'gradient norm' | 'weights' | 'validation loss' | 'test MSE';

/**
 * Training produced a non-finite loss, gradient norm, weights, validation loss or test
 * MSE: names the epoch, the step within it (1-based) and the optimizer step counted
 * from the start of training, what was non-finite and its value.
 */
export class DivergenceError extends AeError {
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
