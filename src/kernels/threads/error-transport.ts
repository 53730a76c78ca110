// Errors across a thread boundary (the Node kernel pool's shared error slot, a Web
// Worker's postMessage). A structured clone turns every custom class into a plain Error
// (or fails on a non-cloneable field), so an error crosses as one plain record — its
// class name, message, the class's own fields (FileError.path, HeapError's sizes) and its
// cause chain shortened to text — and is rebuilt on the other side as the same class,
// found by its literal name (errors.ts) in the one registry below.

import * as errors from '../../errors.js';
import { AeError, WorkerError } from '../../errors.js';

export type FieldValue = string | number | boolean | null;

export interface ErrorRecord {
  name: string;
  message: string;
  /** The error's own fields (primitives only): FileError.path, HeapError.requestedBytes, ... */
  fields: Record<string, FieldValue>;
  /** The cause chain as text, "TypeError: x <- RangeError: y", when there is one. */
  cause?: string;
}

type ErrorClass = typeof AeError;

/** Own properties every Error may have; the rest are the class's fields. */
const NOT_FIELDS = new Set(['name', 'message', 'stack', 'cause']);
/** Causes followed, and characters kept, when a chain is shortened to text. */
const CAUSE_DEPTH = 8;
const CAUSE_CHARS = 1000;

const isErrorClass = (v: unknown): v is ErrorClass =>
  typeof v === 'function' && (v === AeError || v.prototype instanceof AeError) && Object.hasOwn(v, 'errorName');

/** Every class errors.ts exports, by the name it spells out (never the possibly minified class name). */
const REGISTRY: ReadonlyMap<string, ErrorClass> = new Map(Object.values(errors).filter(isErrorClass).map((cls) => [cls.errorName, cls]));

/** The registered classes (tests check that each errors.ts class is among them). */
export function registeredErrorNames(): string[] {
  return [...REGISTRY.keys()];
}

/** Never throws, whatever was thrown (a Symbol, an object whose toString throws). */
function textOf(v: unknown): string {
  try {
    return typeof v === 'symbol' ? v.toString() : String(v);
  } catch {
    return `<${typeof v}>`;
  }
}

const isPrimitive = (v: unknown): v is FieldValue => v === null || ['string', 'number', 'boolean'].includes(typeof v);

/** The plain record of anything thrown. */
export function serializeError(err: unknown): ErrorRecord {
  if (!(err instanceof Error)) return { name: 'Error', message: textOf(err), fields: {} };
  const fields: Record<string, FieldValue> = {};
  for (const key of Object.keys(err)) {
    const value = (err as unknown as Record<string, unknown>)[key];
    if (!NOT_FIELDS.has(key) && isPrimitive(value)) fields[key] = value;
  }
  const record: ErrorRecord = { name: textOf(err.name), message: textOf(err.message), fields };
  if (err.cause !== undefined) record.cause = causeText(err.cause);
  return record;
}

function causeText(cause: unknown): string {
  const parts: string[] = [];
  for (let c = cause, depth = 0; c !== undefined && depth < CAUSE_DEPTH; depth++) {
    parts.push(c instanceof Error ? `${textOf(c.name)}: ${textOf(c.message)}` : textOf(c));
    c = c instanceof Error ? c.cause : undefined;
  }
  const text = parts.join(' <- ');
  return text.length > CAUSE_CHARS ? `${text.slice(0, CAUSE_CHARS)}...` : text;
}

/**
 * The error a record describes: the same class with the same message and fields. A name
 * the registry does not know (a RuntimeError from a trap, a record from a newer or older
 * bundle) becomes a WorkerError saying `where` it happened; a malformed record too.
 */
export function rebuildError(record: unknown, where: string): AeError {
  const r = record as Partial<ErrorRecord> | null;
  if (typeof r !== 'object' || r === null || typeof r.name !== 'string' || typeof r.message !== 'string') {
    return new WorkerError(`${where}: an error arrived without a name and message (${textOf(JSON.stringify(record) ?? record).slice(0, 200)})`);
  }
  const cls = REGISTRY.get(r.name);
  if (!cls) return new WorkerError(`${where}: ${r.name}: ${r.message}`);
  // Constructors differ (FileError takes a path, HeapError three sizes): make the object
  // without running them, as the class's own Error, then set what they would have set.
  const err = Reflect.construct(Error, [r.message], cls) as AeError;
  err.name = cls.errorName;
  const fields = typeof r.fields === 'object' && r.fields !== null ? r.fields : {};
  for (const [key, value] of Object.entries(fields)) {
    if (!NOT_FIELDS.has(key) && isPrimitive(value)) Object.defineProperty(err, key, { value, enumerable: true, writable: true, configurable: true });
  }
  if (typeof r.cause === 'string') Object.defineProperty(err, 'cause', { value: r.cause, writable: true, configurable: true });
  return err;
}

/**
 * A record as JSON of at most `maxBytes` UTF-8 bytes (the pool's shared slot is fixed):
 * long strings are shortened until it fits, so it always parses on the other side.
 */
export function errorRecordText(record: ErrorRecord, maxBytes: number, wrap: (r: ErrorRecord) => unknown = (r) => r): string {
  const encoder = new TextEncoder();
  for (let keep = maxBytes; ; keep = Math.floor(keep / 2)) {
    const cut = (s: string) => (s.length > keep ? `${s.slice(0, keep)}...` : s);
    const fields = Object.fromEntries(Object.entries(record.fields).map(([k, v]) => [cut(k), typeof v === 'string' ? cut(v) : v]));
    const short: ErrorRecord = { name: cut(record.name), message: cut(record.message), fields };
    if (record.cause !== undefined) short.cause = cut(record.cause);
    const text = JSON.stringify(wrap(short));
    if (encoder.encode(text).length <= maxBytes || keep === 0) return text;
  }
}
