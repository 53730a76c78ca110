// Node 20 loads a worker's entry before `--import tsx` hooks apply, so the worker
// registers tsx itself and then imports the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
