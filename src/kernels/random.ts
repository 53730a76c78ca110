// The JS kernels' random numbers: the counter-based generator (src/random/generator.ts),
// the spec that assembly/random.ts is held to. It lives in the random/ leaf so that data/
// can draw from the same streams without importing kernels/.
export { blockKey, logUnit, normalAt, randomBits, triple32, uniformAt } from '../random/generator.js';
