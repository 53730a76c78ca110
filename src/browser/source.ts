// A model source -> its bytes and a name for messages: a URL (string or URL, resolved
// against the page or worker), a fetch() Response, or the bytes themselves.

import { ArgumentError, FileError } from '../errors.js';
import { fetchBytes, resolveUrl } from './builds.js';

export type ModelSource = string | URL | Response | ArrayBuffer | Uint8Array;

export async function readModelSource(source: ModelSource): Promise<{ bytes: Uint8Array; name: string }> {
  if (source instanceof Uint8Array) return { bytes: source, name: '<bytes>' };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source), name: '<bytes>' };
  if (typeof Response !== 'undefined' && source instanceof Response) {
    const name = source.url || '<response>';
    if (!source.ok) throw new FileError(`${name}: HTTP ${source.status} ${source.statusText}`.trimEnd(), name);
    return { bytes: new Uint8Array(await source.arrayBuffer()), name };
  }
  if (typeof source === 'string' || source instanceof URL) {
    const url = resolveUrl(source, 'loadModel');
    return { bytes: await fetchBytes(url), name: url.href };
  }
  throw new ArgumentError('loadModel: expected a URL, a Response, an ArrayBuffer or a Uint8Array of a .safetensors model file');
}
