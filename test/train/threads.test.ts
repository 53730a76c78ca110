// Training gives the same weights, bit for bit, on 1 and on 2 kernel threads, for every
// preset (each output element of a split kernel is computed by one thread in a fixed order).
import { describe, it } from 'vitest';
import { PRESET_NAMES, PRESETS, presetArchitecture } from '../../src/models/presets.js';
import { smallSplits } from './fixtures.js';
import { expectThreadIdentical } from './thread-identity.js';

describe('threads do not change results', () => {
  it.each(PRESET_NAMES)('preset %s: 1 thread and 2 threads train to identical weights', async (preset) => {
    const splits = await smallSplits(192, 40);
    const info = PRESETS[preset]!;
    await expectThreadIdentical(presetArchitecture(preset), splits, { batchSize: 64, noise: info.defaults.noise, loss: info.defaults.loss });
  });
});
