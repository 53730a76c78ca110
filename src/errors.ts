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

/**
 * A computation produced a non-finite or impossible number (a model output of NaN, a
 * negative cross-entropy): names the quantity, the first offending sample and the likely cause.
 */
export class NumericError extends AeError {}

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
