// Test-only bundle (built minified like the shipped ones, test/browser/errors.test.ts): the
// error classes and the worker-boundary transport, for a page and a Web Worker to use.
export * from '../../src/errors.js';
export { rebuildError, serializeError } from '../../src/kernels/threads/error-transport.js';
