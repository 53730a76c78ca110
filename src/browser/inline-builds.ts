// The .wasm builds embedded as base64, for ae-wasm.inline.js only. In the source (and so
// in the default bundle) there are none: scripts/build-browser.ts replaces this module
// with one returning the builds when it makes the inline bundle, so the default bundle
// never carries their bytes.

import type { BuildName } from '../kernels/builds.js';

export function inlineBuilds(): Readonly<Partial<Record<BuildName, string>>> | null {
  return null;
}
