// What an export writes, independent of the target format: a DAG of nodes — chains of
// layers (one per part), concatenations along the last axis and a classifier's softmax —
// between named graph inputs and outputs. Each layer is rebuilt from the model's
// architecture record with its per-sample shapes, its weights read from the model's
// ParamStore by name `{part}.{i}.{param}`. Built from the record (not the model's live
// chains), so an export reads exactly what a model file stores.
//
//   part        inputs            outputs
//   all         input (+ label)   reconstruction (+ probabilities, when the model has a classifier)
//   encoder     input (+ label)   code (a VAE: z_mean, z_log_var)
//   decoder     code (+ label)    reconstruction
//   classifier  input (+ label)   probabilities
//
// `label` is an input only where the pass reads it (a conditional VAE: one-hot float32
// [N, labels]). A sampling edge exports as its mean (z = z_mean, as reconstruct and decode
// do). `probabilities` is the softmax of the classifier part's logits (models/classifier.ts:
// the part a sparse categorical cross-entropy term reads), exactly what predict returns; a
// model whose output is its classifier (ae-wasm classify) has no reconstruction. `decoder`
// exists where decode does: a decoder part reading the code (or [code, label]) whose
// output needs nothing else. The default wiring gives the chains it always did: encoder,
// (z_mean, z_log_var), decoder.

import { preprocessingMetadata } from '../data/normalize.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { checkOptionKeys, optionKeys } from '../options.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { architectureGraph, partNames, type PartName } from '../models/architecture.js';
import { classifierPart } from '../models/classifier.js';
import type { GraphRecord } from '../models/graph-record.js';
import { walkGraph } from '../models/graph-shapes.js';
import { isGraphInput, topology, type Topology } from '../models/graph-topology.js';
import type { Layer } from '../nn/layer.js';
import { createLayer } from '../nn/registry.js';
import { formatShape, sameShape, sizeOf, type Shape } from '../nn/tensor.js';

export const EXPORT_PARTS = ['encoder', 'decoder', 'all', 'classifier'] as const;
export type ExportPart = (typeof EXPORT_PARTS)[number];

export interface ExportOptions {
  /** Which function of the model to export (default 'all': input -> reconstruction). */
  part?: ExportPart;
}

/** One layer of a chain, built, with its weights by Keras parameter name. */
export interface ExportLayer {
  layer: Layer;
  part: PartName;
  index: number;
  /** `{part}.{index}` — a unique node / layer name prefix. */
  name: string;
  weights: Map<string, Float32Array>;
}

export interface ExportChain {
  kind: 'chain';
  part: PartName;
  /** The chain's input: a graph input's name or another node's output name. */
  input: string;
  output: string;
  inShape: Shape;
  outShape: Shape;
  layers: ExportLayer[];
}

/** Its inputs side by side along the last axis (Keras' Concatenate(axis=-1)). */
export interface ExportConcat {
  kind: 'concat';
  /** A node / layer name: `{first reader}_input`. */
  name: string;
  inputs: string[];
  output: string;
  /** Per sample: the others' leading dimensions, the widths summed. */
  shape: Shape;
}

/** Softmax over the last axis of a classifier's logits [labels]. */
export interface ExportSoftmax {
  kind: 'softmax';
  name: string;
  input: string;
  output: string;
  shape: Shape;
}

export type ExportNode = ExportChain | ExportConcat | ExportSoftmax;

export interface ExportValue {
  name: string;
  /** Per sample (the batch axis is the format's). */
  shape: Shape;
}

export interface ExportPlan {
  part: ExportPart;
  kind: Autoencoder['kind'];
  /** Graph inputs in order: `input` or `code`, then `label` where the pass reads it. */
  inputs: ExportValue[];
  outputs: ExportValue[];
  /** In a forward order: every node after the nodes it reads. */
  nodes: ExportNode[];
  /** Metadata every export carries (ONNX metadata_props, TF.js userDefinedMetadata). */
  metadata: Record<string, string>;
  /** The output name of the node that computes the code, when this export computes it (not the decoder's input). */
  code?: string;
}

/** A graph output before naming: the value (a part) it reads, and whether the softmax of it. */
interface Target {
  value: string;
  name: string;
  softmax?: boolean;
}

/** What a part of the export computes: its outputs, and which values become graph inputs (decoder: the code). */
interface Request {
  targets: Target[];
  inputs: Map<string, string>;
}

/** The graph's facts every part's request reads. */
interface GraphFacts {
  g: GraphRecord;
  topo: Topology;
  classifier: string | null;
  /** The sampling whose mean is the code (a VAE's), or null. */
  codeSample: { key: string; logVar: string } | null;
  /** Every value's per-sample shape, from the record's layers (nothing read or allocated). */
  shapes: Map<string, Shape>;
}

function graphFacts(model: Autoencoder): GraphFacts {
  const arch = model.architecture;
  const g = architectureGraph(arch);
  const topo = topology(partNames(arch), g);
  let codeSample: GraphFacts['codeSample'] = null;
  for (const [key, d] of topo.derived) if (d.kind === 'sample' && d.mean === g.code && !codeSample) codeSample = { key, logVar: d.logVar };
  const shapes = walkGraph(g, topo, model.inputShape, (p, input) => {
    let shape = input;
    arch.parts[p]!.forEach((spec, i) => (shape = createLayer(spec, `${p} layer ${i}`).build(shape)));
    return shape;
  }, false);
  return { g, topo, classifier: classifierPart(arch.graph), codeSample, shapes };
}

/** The request of `part`, or why the model has no such part. */
function partRequest(f: GraphFacts, part: ExportPart): Request | string {
  const { g, topo, classifier } = f;
  const probabilities: Target | null = classifier ? { value: classifier, name: 'probabilities', softmax: true } : null;
  const reconstruction: Target | null = g.output !== classifier ? { value: g.output, name: 'reconstruction' } : null;
  const none = new Map<string, string>();
  switch (part) {
    case 'all':
      return { targets: [reconstruction, probabilities].filter((t): t is Target => t !== null), inputs: none };
    case 'encoder':
      return {
        targets: f.codeSample ? [{ value: g.code, name: 'z_mean' }, { value: f.codeSample.logVar, name: 'z_log_var' }] : [{ value: g.code, name: 'code' }],
        inputs: none,
      };
    case 'classifier':
      return probabilities ? { targets: [probabilities], inputs: none } : 'it has no classifier (no part read by a sparse_categorical_crossentropy loss term)';
    case 'decoder': {
      const decoder = g.decoder ?? (topo.parts.includes('decoder') ? 'decoder' : null);
      if (decoder === null) return 'its graph names no decoder part';
      if (!reconstruction) return `its output is its classifier ${classifier}, not a reconstruction`;
      // As decode fills it: the decoder's input, or the code beside the label in a [code, label] concatenation.
      const read = topo.partInput.get(decoder)!;
      const edge = topo.derived.get(read);
      const code = edge?.kind === 'concat' && edge.sources.length === 2 && edge.sources.includes('label') ? edge.sources.find((s) => s !== 'label')! : read;
      if (isGraphInput(code)) return `its decoder part ${decoder} reads ${code}, not a code`;
      const codeSize = sizeOf(f.shapes.get(g.code)!);
      if (sizeOf(f.shapes.get(code)!) !== codeSize) return `its decoder part ${decoder} reads ${formatShape(f.shapes.get(code)!)}, not the code ${g.code} ${formatShape(f.shapes.get(g.code)!)}`;
      const request = { targets: [reconstruction], inputs: new Map([[code, 'code']]) };
      const { graphInputs } = neededValues(topo, request);
      if (graphInputs.has('input')) return `its output ${g.output} reads the input past the decoder's code`;
      if (!graphInputs.has('code')) return `its output ${g.output} does not read the decoder part ${decoder}`;
      return request;
    }
  }
}

/** The parts an export of this model offers, in EXPORT_PARTS order. */
export function exportParts(model: Autoencoder): ExportPart[] {
  const f = graphFacts(model);
  return EXPORT_PARTS.filter((p) => typeof partRequest(f, p) !== 'string');
}

/** "preset cvae, kind vae, a graph of parts flatten, encoder, ..." — what an error calls the model. */
function describeModel(model: Autoencoder): string {
  const preset = model.training?.preset;
  const parts = model.architecture.graph ? `, a graph of parts ${Object.keys(model.architecture.parts).join(', ')}` : '';
  return `${preset ? `preset ${preset}, ` : ''}kind ${model.kind}${parts}`;
}

/** `part`'s request, checked: one of EXPORT_PARTS that the model has (an ArgumentError naming the model and its parts). */
function checkedRequest(part: unknown, model: Autoencoder, f: GraphFacts): { part: ExportPart; request: Request } {
  const requests = new Map(EXPORT_PARTS.map((p) => [p, partRequest(f, p)]));
  const valid = EXPORT_PARTS.filter((p) => typeof requests.get(p) !== 'string');
  const request = requests.get(part as ExportPart);
  if (request === undefined) throw new ArgumentError(`export: part must be one of ${valid.join(', ')}, got ${JSON.stringify(part)}`);
  if (typeof request !== 'string') return { part: part as ExportPart, request };
  throw new ArgumentError(`export: the model (${describeModel(model)}) has no part ${String(part)}: ${request}; its parts are ${valid.join(', ')}`);
}

/** The values the targets depend on, walking back from them to the graph inputs (a sampling reads only its mean). */
function neededValues(topo: Topology, r: Request): { used: Set<string>; graphInputs: Set<string> } {
  const used = new Set<string>();
  const graphInputs = new Set<string>();
  const visit = (v: string): void => {
    const sub = r.inputs.get(v);
    if (sub !== undefined || isGraphInput(v)) {
      graphInputs.add(sub ?? v);
      return;
    }
    if (used.has(v)) return;
    used.add(v);
    const d = topo.derived.get(v);
    if (d?.kind === 'sample') visit(d.mean);
    else if (d) d.sources.forEach(visit);
    else visit(topo.partInput.get(v)!);
  };
  for (const t of r.targets) visit(t.value);
  return { used, graphInputs };
}

function buildChain(model: Autoencoder, part: PartName, input: string, output: string, inShape: Shape): ExportChain {
  const specs = model.architecture.parts[part];
  if (!specs) throw new ShapeError(`export: the model has no part ${part}`);
  let shape = inShape;
  const layers = specs.map((spec, index) => {
    const layer = createLayer(spec, `${part} layer ${index}`);
    shape = layer.build(shape);
    const weights = new Map<string, Float32Array>();
    for (const p of layer.paramSpecs()) {
      const name = `${part}.${index}.${p.param}`;
      const stored = model.params.get(name);
      if (!stored || !sameShape(stored.shape, p.shape)) {
        throw new ShapeError(`export: parameter ${name} ${stored ? formatShape(stored.shape) : 'is missing'}; the architecture needs ${formatShape(p.shape)}`);
      }
      weights.set(p.param, model.params.read(stored));
    }
    return { layer, part, index, name: `${part}.${index}`, weights };
  });
  return { kind: 'chain', part, input, output, inShape, outShape: shape, layers };
}

const EXPORT_KEYS = optionKeys<ExportOptions>()('part');

/** Which nodes, inputs and outputs an export of `part` has. */
export function exportPlan(model: Autoencoder, options: ExportOptions = {}, call = 'exportPlan(model, options)'): ExportPlan {
  checkOptionKeys(options, EXPORT_KEYS, call);
  const f = graphFacts(model);
  const { part, request } = checkedRequest(options.part ?? 'all', model, f);
  const { g, topo, shapes } = f;
  const { used, graphInputs } = neededValues(topo, request);

  // Export names: graph inputs and outputs by their role, a part's other output `{part}_output`.
  const names = new Map<string, string>();
  const inputs: ExportValue[] = [];
  if (graphInputs.has('input')) inputs.push({ name: 'input', shape: [...model.inputShape] });
  for (const [value, name] of request.inputs) {
    names.set(value, name);
    if (graphInputs.has(name)) inputs.push({ name, shape: [...shapes.get(value)!] });
  }
  if (graphInputs.has('label')) inputs.push({ name: 'label', shape: [g.labels!] });
  for (const t of request.targets) if (!t.softmax && !names.has(t.value)) names.set(t.value, t.name);
  const nameOf = (v: string): string => (isGraphInput(v) ? v : names.get(v)!);

  const nodes: ExportNode[] = [];
  for (const node of topo.forward.filter((n) => used.has(n))) {
    const d = topo.derived.get(node);
    if (d?.kind === 'sample') {
      names.set(node, nameOf(d.mean));
      continue;
    }
    if (d) {
      const name = `${topo.parts.find((p) => topo.partInput.get(p) === node)}_input`;
      names.set(node, name);
      nodes.push({ kind: 'concat', name, inputs: d.sources.map(nameOf), output: name, shape: [...shapes.get(node)!] });
      continue;
    }
    if (!names.has(node)) names.set(node, `${node}_output`);
    const input = topo.partInput.get(node)!;
    nodes.push(buildChain(model, node, nameOf(input), names.get(node)!, shapes.get(input)!));
  }
  const outputs: ExportValue[] = request.targets.map((t) => ({ name: t.name, shape: [...shapes.get(t.value)!] }));
  for (const t of request.targets) {
    if (t.softmax) nodes.push({ kind: 'softmax', name: t.name, input: nameOf(t.value), output: t.name, shape: [...shapes.get(t.value)!] });
  }
  const codeName = names.get(g.code);
  const code = codeName !== undefined && nodes.some((n) => n.kind === 'chain' && n.output === codeName) ? codeName : undefined;
  return { part, kind: model.kind, inputs, outputs, nodes, metadata: exportMetadata(model, part), ...(code ? { code } : {}) };
}

/**
 * The exported graph takes and returns values in the model's own space, as `encode`,
 * `decode` and `reconstruct` do; the data's preprocessing travels as metadata:
 * `ae-wasm.preprocessing` is the model file's record plus, for minmax and standard, the
 * per-feature `offset` and `divisor` (x_model = (x - offset) / divisor; outputs back with
 * x = y * divisor + offset), so a consumer needs no safetensors reader.
 */
function exportMetadata(model: Autoencoder, part: ExportPart): Record<string, string> {
  const meta: Record<string, string> = {
    'ae-wasm.kind': model.kind,
    'ae-wasm.part': part,
    'ae-wasm.architecture': JSON.stringify(model.architecture),
  };
  if (model.training?.preset) meta['ae-wasm.preset'] = model.training.preset;
  const norm = model.preprocessing;
  if (norm) {
    const record = JSON.parse(preprocessingMetadata(norm)) as Record<string, unknown>;
    if (norm.kind === 'minmax' || norm.kind === 'standard') {
      // As applyNormalization: float64 differences of the stored float32 statistics.
      const lo = norm.min;
      record['offset'] = Array.from(lo ?? norm.mean!);
      record['divisor'] = lo ? Array.from(norm.max!, (hi, i) => (hi === lo[i] ? 1 : hi - lo[i]!)) : Array.from(norm.std!);
    }
    meta['ae-wasm.preprocessing'] = JSON.stringify(record);
  }
  return meta;
}
