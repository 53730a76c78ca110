// A user's own architecture (`--arch FILE.json`): the model file's `architecture` record,
// read as untrusted text and validated completely before anything is allocated — the
// record's structure, every layer's config, every size against the limits (the dry-run
// plan), and that the decoder gives back exactly the input shape (a record with a graph:
// that every loss term's output fits its target). Errors name the source, the part and the
// layer index, or the graph's edge or loss term.

import { AeError, FormatError, ShapeError } from '../errors.js';
import { describeDepthExcess, jsonDepthExcess } from '../io/json-depth.js';
import { duplicateJsonKey } from './json-duplicates.js';
import { formatShape, sameShape } from '../nn/tensor.js';
import { checkVaeHeads, validateArchitecture, type Architecture } from './architecture.js';
import type { ModelLimits } from './limits.js';
import { planArchitecture, type ModelPlan, type PlannedLayer } from './plan.js';

/** The keys an architecture record has (a typo such as "input_shpe" must not pass unnoticed). */
const RECORD_KEYS = ['kind', 'input_shape', 'parts', 'graph'];

/** Parses and checks an architecture record from JSON text; `source` names it in errors (a file path). */
export function architectureFromJson(text: string, source: string, limits: Partial<ModelLimits> = {}): Architecture {
  const deep = jsonDepthExcess(text);
  if (deep) throw new FormatError(`${source}: the architecture ${describeDepthExcess(deep)}`);
  const twice = duplicateJsonKey(text);
  if (twice !== undefined) throw new FormatError(`${source}: the architecture names ${JSON.stringify(twice.slice(0, 64))} twice in one object`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new FormatError(`${source}: the architecture is not valid JSON: ${(err as Error).message}`);
  }
  return checkCustomArchitecture(value, source, limits).architecture;
}

/**
 * Checks a parsed record; returns it with its plan (each layer's output shape). Shape
 * problems are ShapeErrors, everything else in the record a FormatError; both start with `source`.
 */
export function checkCustomArchitecture(value: unknown, source: string, limits: Partial<ModelLimits> = {}): { architecture: Architecture; plan: ModelPlan } {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const key of Object.keys(value)) {
      if (!RECORD_KEYS.includes(key)) throw new FormatError(`${source}: architecture has unknown key ${JSON.stringify(key)}; expected ${RECORD_KEYS.join(', ')}`);
    }
  }
  const arch = validateArchitecture(value, source);
  let plan: ModelPlan;
  try {
    checkVaeHeads(arch);
    plan = planArchitecture(arch, limits);
  } catch (err) {
    if (err instanceof ShapeError) throw new ShapeError(`${source}: ${err.message}`, { cause: err });
    if (err instanceof AeError) throw new FormatError(`${source}: ${err.message}`, { cause: err });
    throw err;
  }
  // A graph's own loss terms checked their shapes in the plan (an output against its target).
  if (arch.graph) return { architecture: arch, plan };
  const last = (part: 'z_log_var' | 'decoder') => plan.layers.filter((l) => l.part === part).pop()!;
  const named = (l: PlannedLayer) => `${l.part} layer ${l.index} (${l.className})`;
  if (arch.kind === 'vae') {
    const lv = last('z_log_var');
    if (!sameShape(lv.outputShape, plan.codeShape)) {
      throw new ShapeError(`${source}: ${named(lv)} outputs ${formatShape(lv.outputShape)} but z_mean outputs ${formatShape(plan.codeShape)}; the two heads must match`);
    }
  }
  if (!sameShape(plan.outputShape, arch.input_shape)) {
    throw new ShapeError(
      `${source}: ${named(last('decoder'))} outputs ${formatShape(plan.outputShape)} but input_shape is ${formatShape(arch.input_shape)}; the decoder must give back the input shape`,
    );
  }
  return { architecture: arch, plan };
}
