// Development only: runs the TypeScript worker (worker-node.ts) under the tsx loader, for
// tests and tsx scripts that use the kernel thread pool from sources. Built packages
// start dist/kernels/threads/worker-node.js directly.
import { register } from 'tsx/esm/api';

register();
await import('./worker-node.ts');
