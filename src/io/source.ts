// Bytes from a source given as bytes, a fetch() Response or an absolute URL — the part of
// loading a model file that Node and browsers share. No node: imports.

import { FileError } from '../errors.js';

export type ByteSource = Uint8Array | ArrayBuffer | Response;
/** A model file's place (a path or URL; Node reads paths and file: URLs, browsers resolve against the page) or its bytes. */
export type ModelSource = string | URL | ByteSource;

export function isByteSource(source: unknown): source is ByteSource {
  return source instanceof Uint8Array || source instanceof ArrayBuffer || (typeof Response !== 'undefined' && source instanceof Response);
}

/** The bytes and a name for messages ("<bytes>", or the response's URL). */
export async function readByteSource(source: ByteSource): Promise<{ bytes: Uint8Array; name: string }> {
  if (source instanceof Uint8Array) return { bytes: source, name: '<bytes>' };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source), name: '<bytes>' };
  const name = source.url || '<response>';
  if (!source.ok) throw new FileError(`${name}: HTTP ${source.status} ${source.statusText}`.trimEnd(), name);
  return { bytes: new Uint8Array(await source.arrayBuffer()), name };
}

/** fetch(url)'s body, with a FileError naming the URL when it fails. */
export async function fetchBytes(url: URL): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new FileError(`${url.href}: fetch failed (${(err as Error).message})`, url.href, { cause: err });
  }
  if (!res.ok) throw new FileError(`${url.href}: HTTP ${res.status} ${res.statusText}`.trimEnd(), url.href);
  return new Uint8Array(await res.arrayBuffer());
}
