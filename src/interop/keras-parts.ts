// A flattened Keras graph (keras-topology.ts) onto our architecture record:
//
//   one chain input -> ... -> output          encoder / decoder parts, no graph field; split
//                                             at --encoder-output LAYER (import-model.ts passes
//                                             an ae-wasm export's "ae-wasm.code" metadata the same
//                                             way when no flag names one), else between the two
//                                             nested models of the TensorFlow tutorial's
//                                             Sequential([encoder, decoder]), else after the
//                                             narrowest layer (fewest values per sample, the first
//                                             such) and the activation / normalisation / noise /
//                                             dropout layers right after it
//   encoder -> (z_mean, z_log_var) -> sampling -> decoder, heads one Dense each
//                                             kind "vae", the default wiring (no graph field)
//   anything else that branches or concatenates
//                                             a graph of parts: each maximal chain a part named
//                                             after its last layer, Concatenate a {"concat"}
//                                             source, a sampling layer a {"sample"} source; the
//                                             reconstruction output (the input's shape) gets the
//                                             reconstruction loss, a softmax output a sparse
//                                             categorical cross-entropy on "label" (from logits:
//                                             the softmax becomes part of the loss), a VAE the KL
//                                             term; the code is the part ending at
//                                             --encoder-output, else the sampling's mean, else the
//                                             narrowest part that is no output.
//                                             A functional model's second input is the one-hot
//                                             label (the "label" source, `labels` its width), as
//                                             ae-wasm export writes a conditional VAE.

import { ArgumentError, ShapeError, UnsupportedError } from '../errors.js';
import type { Architecture, ModelKind } from '../models/architecture.js';
import type { ConcatItem, GraphRecord, LossTerm, Source } from '../models/graph-record.js';
import type { LayerSpec } from '../nn/layer.js';
import { createLayer } from '../nn/registry.js';
import { formatShape, sameShape, sizeOf, type Shape } from '../nn/tensor.js';
import { translateLayer, type Translated } from './keras-layers.js';
import { GRAPH_INPUT, GRAPH_LABEL, type KerasGraph, type KerasNode } from './keras-topology.js';

export interface PartOptions {
  /** The layer (its Keras name) whose output is the code. */
  encoderOutput?: string;
  /** What the caller expects; a mismatch is an ArgumentError. */
  kind?: ModelKind;
  /** The reconstruction loss (from the Keras training config when it names one). */
  loss?: 'mse' | 'bce';
}

export interface MappedModel {
  architecture: Architecture;
  /** The Keras node behind each of our layers, by `{part}.{index}`. */
  layers: Map<string, KerasNode>;
  /** The node whose output is the code, and why it was chosen. */
  code: { node: KerasNode; rule: string };
  notes: string[];
}

/** Layers after the narrowest one that still belong to the code (same shape, no new values). */
const CODE_TAIL = new Set(['Activation', 'LeakyReLU', 'ELU', 'BatchNormalization', 'Dropout', 'SpatialDropout2D', 'GaussianNoise']);
const RESERVED_PARTS = new Set(['input', 'label', 'optimizer', 'preprocessing']);

interface Item {
  node: KerasNode;
  t: Translated;
  inputs: string[];
  shape: Shape;
}

export function mapParts(graph: KerasGraph, source: string, options: PartOptions = {}): MappedModel {
  const notes: string[] = [];
  const items = new Map<string, Item>();
  // Identity nodes (a classifier's Activation("softmax")) alias their input.
  const alias = new Map<string, string>();
  const softmaxAt = new Set<string>();
  const resolve = (id: string) => alias.get(id) ?? id;
  const shapeOf = (id: string): Shape => (id === GRAPH_INPUT ? graph.inputShape : id === GRAPH_LABEL ? [graph.labelWidth!] : items.get(id)!.shape);
  for (const node of graph.nodes) {
    const t = translateLayer(node);
    if ('notes' in t) notes.push(...t.notes);
    const inputs = node.inputs.map(resolve);
    if (t.kind === 'identity') {
      alias.set(node.id, inputs[0]!);
      if (t.softmax) {
        if (inputs[0] === GRAPH_INPUT || items.get(inputs[0]!)?.t.kind !== 'layer') throw new UnsupportedError(`${node.where}: softmax must follow a Dense or Conv layer (its logits are what the loss reads)`);
        softmaxAt.add(inputs[0]!);
        notes.push(`${node.where}: dropped; the layer before it outputs logits and the sparse categorical cross-entropy applies the softmax`);
      }
      continue;
    }
    let shape: Shape;
    if (t.kind === 'layer') {
      if (inputs.length !== 1) throw new UnsupportedError(`${node.where}: reads ${inputs.length} tensors; only Concatenate and a sampling layer read more than one`);
      try {
        shape = createLayer(t.spec, node.where).build(shapeOf(inputs[0]!));
      } catch (err) {
        if (err instanceof ShapeError) throw new ShapeError(`${node.where}: ${err.message}`, { cause: err });
        throw err;
      }
      if (t.softmax) {
        softmaxAt.add(node.id);
        notes.push(`${node.where}: activation softmax mapped to linear; the layer outputs logits and the sparse categorical cross-entropy applies the softmax`);
      }
    } else if (t.kind === 'concat') {
      const shapes = inputs.map(shapeOf);
      const lead = shapes[0]!.slice(0, -1);
      if (!shapes.every((s) => s.length === lead.length + 1 && sameShape(s.slice(0, -1), lead))) {
        throw new ShapeError(`${node.where}: cannot concatenate ${shapes.map(formatShape).join(', ')} along the last axis`);
      }
      shape = [...lead, shapes.reduce((n, s) => n + s[s.length - 1]!, 0)];
    } else {
      const [m, lv] = inputs.map(shapeOf) as [Shape, Shape];
      if (!sameShape(m, lv)) throw new ShapeError(`${node.where}: mean ${formatShape(m)} and log_var ${formatShape(lv)} must have one shape`);
      shape = m;
    }
    items.set(node.id, { node, t, inputs, shape });
  }
  const outputs = graph.outputs.map(resolve);
  for (const [i, o] of outputs.entries()) {
    if (o === GRAPH_INPUT || o === GRAPH_LABEL || items.get(o)!.t.kind !== 'layer') throw new UnsupportedError(`${source}: output ${i} of the model is not a layer's output (it is an input, a concatenation or a sampling)`);
  }
  for (const id of softmaxAt) {
    if (!outputs.includes(id)) throw new UnsupportedError(`${items.get(id)!.node.where}: softmax inside the model (not at an output) is not supported`);
  }
  const consumers = new Map<string, number>();
  for (const it of items.values()) for (const i of it.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);

  let split: KerasNode | undefined;
  if (options.encoderOutput !== undefined) {
    split = graph.nodes.find((n) => n.name === options.encoderOutput || n.id === options.encoderOutput);
    if (!split) throw new ArgumentError(`--encoder-output ${JSON.stringify(options.encoderOutput)}: no such layer in ${source}; its layers are ${graph.nodes.map((n) => n.name).join(', ')}`);
    if (items.get(resolve(split.id))?.t.kind !== 'layer') throw new ArgumentError(`--encoder-output ${JSON.stringify(options.encoderOutput)}: names a ${split.className}, not a layer with an output of its own`);
    split = items.get(resolve(split.id))!.node;
  }

  // Maximal chains: a layer continues its input's part when that input is a layer read by
  // it alone and ends no output (nor, in a graph, --encoder-output's part).
  const partOf = new Map<string, number>();
  const chains: string[][] = [];
  const buildChains = (breakAt: string | undefined) => {
    partOf.clear();
    chains.length = 0;
    for (const [id, it] of items) {
      if (it.t.kind !== 'layer') continue;
      const p = it.inputs[0]!;
      const continues = p !== GRAPH_INPUT && p !== GRAPH_LABEL && items.get(p)!.t.kind === 'layer' && consumers.get(p) === 1 && !outputs.includes(p) && breakAt !== p;
      if (continues) {
        chains[partOf.get(p)!]!.push(id);
        partOf.set(id, partOf.get(p)!);
      } else {
        partOf.set(id, chains.length);
        chains.push([id]);
      }
    }
  };
  buildChains(undefined);
  // A single chain is split into encoder / decoder below; a graph breaks a part at the code.
  if (split && (chains.length > 1 || softmaxAt.size > 0)) buildChains(split.id);
  const samples = [...items.values()].filter((it) => it.t.kind === 'sample');
  const kind: ModelKind = samples.length > 0 ? 'vae' : 'autoencoder';
  if (options.kind !== undefined && options.kind !== kind) {
    throw new ArgumentError(
      `--kind ${options.kind}: ${source} is ${kind === 'vae' ? `a VAE (${samples[0]!.node.where} samples z)` : 'no VAE (no sampling layer reads [z_mean, z_log_var])'}`,
    );
  }
  const recon = outputs.filter((o) => !softmaxAt.has(o));
  if (recon.length !== 1) throw new UnsupportedError(`${source}: the model has ${recon.length} outputs that are not classifier logits; ae-wasm needs exactly one reconstruction output`);
  const reconOut = recon[0]!;
  // A reconstruction of the input's size in another shape (a flat Dense output of an image model) gets a Reshape.
  const reshape = !sameShape(shapeOf(reconOut), graph.inputShape) && sizeOf(shapeOf(reconOut)) === sizeOf(graph.inputShape);
  if (reshape) notes.push(`${items.get(reconOut)!.node.where}: outputs ${formatShape(shapeOf(reconOut))}; a Reshape to the input's ${formatShape(graph.inputShape)} was added after it`);
  if (!reshape && !sameShape(shapeOf(reconOut), graph.inputShape)) {
    throw new ShapeError(`${items.get(reconOut)!.node.where}: the reconstruction output is ${formatShape(shapeOf(reconOut))} but the input is ${formatShape(graph.inputShape)}`);
  }
  const specsOf = (chain: string[]) => chain.map((id) => (items.get(id)!.t as Extract<Translated, { kind: 'layer' }>).spec);
  const loss = options.loss ?? 'mse';

  // One chain: encoder / decoder, split as the header says.
  if (chains.length === 1 && softmaxAt.size === 0 && graph.labelWidth === undefined) {
    const chain = chains[0]!;
    const { at, rule } = chainSplit(chain, items, graph, split);
    if (at >= chain.length - 1) throw new ArgumentError(`--encoder-output ${JSON.stringify(options.encoderOutput)}: is the model's last layer; the decoder needs at least one layer after it`);
    const parts = { encoder: chain.slice(0, at + 1), decoder: chain.slice(at + 1) };
    return finish({ kind, input_shape: [...graph.inputShape], parts: { encoder: specsOf(parts.encoder), decoder: specsOf(parts.decoder) } }, parts, items.get(chain[at]!)!.node, rule);
  }

  // Names: after each chain's last layer, lower-case and checked (graph-record.ts), unique.
  const names: string[] = [];
  for (const chain of chains) {
    let n = items.get(chain[chain.length - 1]!)!.node.name.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 56);
    if (!/^[a-z]/.test(n)) n = `p_${n}`;
    if (RESERVED_PARTS.has(n)) n = `${n}_part`;
    let unique = n;
    for (let k = 2; names.includes(unique); k++) unique = `${n}_${k}`;
    names.push(unique);
  }
  const nameOfLayer = (id: string, at: string): string => {
    if (id === GRAPH_INPUT) return 'input';
    if (id === GRAPH_LABEL) return 'label';
    const p = partOf.get(id);
    if (p === undefined) throw new UnsupportedError(`${at}: reads a ${items.get(id)!.node.className} directly; concatenations and samplings must feed a layer`);
    return names[p]!;
  };
  const sampleOf = (it: Item): { sample: [string, string] } => ({ sample: [nameOfLayer(it.inputs[0]!, it.node.where), nameOfLayer(it.inputs[1]!, it.node.where)] });
  const sourceOf = (id: string, at: string): Source => {
    const it = items.get(id);
    if (!it || it.t.kind === 'layer') return nameOfLayer(id, at);
    if (it.t.kind === 'sample') return sampleOf(it);
    const list: ConcatItem[] = it.inputs.map((i) => {
      const inner = items.get(i);
      if (inner?.t.kind === 'sample') return sampleOf(inner);
      if (inner?.t.kind === 'concat') throw new UnsupportedError(`${it.node.where}: concatenates another concatenation; flatten it to one Concatenate`);
      return nameOfLayer(i, it.node.where);
    });
    return { concat: list };
  };
  const inputs: Record<string, Source> = {};
  chains.forEach((chain, p) => {
    const first = items.get(chain[0]!)!;
    inputs[names[p]!] = sourceOf(first.inputs[0]!, first.node.where);
  });
  const lastOf = (p: number) => chains[p]![chains[p]!.length - 1]!;
  const reconPart = names[partOf.get(reconOut)!]!;

  // The default VAE wiring: encoder -> (z_mean, z_log_var) -> sample -> decoder, heads one Dense each.
  if (kind === 'vae' && chains.length === 4 && samples.length === 1 && softmaxAt.size === 0) {
    const s = sampleOf(samples[0]!).sample;
    const [enc, m, lv, dec] = [names.findIndex((n) => inputs[n] === 'input'), names.indexOf(s[0]), names.indexOf(s[1]), partOf.get(reconOut)!];
    const single = (p: number) => chains[p]!.length === 1 && specsOf(chains[p]!)[0]!.class_name === 'Dense';
    const decodesSample = isSample(inputs[names[dec]!]!);
    if (enc >= 0 && inputs[names[m]!] === names[enc] && inputs[names[lv]!] === names[enc] && decodesSample && single(m) && single(lv)) {
      if (split && partOf.get(split.id) !== m) throw new ArgumentError(`--encoder-output ${JSON.stringify(options.encoderOutput)}: a VAE's code is its mean (${items.get(lastOf(m))!.node.name})`);
      const parts = { encoder: chains[enc]!, z_mean: chains[m]!, z_log_var: chains[lv]!, decoder: chains[dec]! };
      const arch: Architecture = {
        kind,
        input_shape: [...graph.inputShape],
        parts: { encoder: specsOf(parts.encoder), z_mean: specsOf(parts.z_mean), z_log_var: specsOf(parts.z_log_var), decoder: specsOf(parts.decoder) },
      };
      return finish(arch, parts, items.get(lastOf(m))!.node, 'the sampling layer\'s mean');
    }
  }

  // A graph of parts.
  let codePart: number;
  let rule: string;
  if (split) {
    codePart = partOf.get(split.id)!;
    rule = '--encoder-output';
  } else if (samples.length > 0) {
    codePart = names.indexOf(sampleOf(samples[0]!).sample[0]);
    rule = 'the sampling layer\'s mean';
  } else {
    const candidates = chains.map((_, p) => p).filter((p) => !outputs.includes(lastOf(p)));
    if (candidates.length === 0) throw new UnsupportedError(`${source}: every part of the model is an output; name the code layer with --encoder-output`);
    codePart = candidates.reduce((best, p) => (sizeOf(shapeOf(lastOf(p))) < sizeOf(shapeOf(lastOf(best))) ? p : best));
    rule = 'the narrowest part';
  }
  const code = names[codePart]!;
  const losses: LossTerm[] = [{ kind: loss, output: reconPart, target: 'input', weight: 1, reduction: kind === 'vae' ? 'sum' : 'mean' }];
  let labels = graph.labelWidth;
  for (const o of outputs.filter((x) => softmaxAt.has(x))) {
    const width = shapeOf(o)[shapeOf(o).length - 1]!;
    if (shapeOf(o).length !== 1) throw new UnsupportedError(`${items.get(o)!.node.where}: a classifier output must be one vector per sample, got ${formatShape(shapeOf(o))}`);
    if (labels !== undefined && labels !== width) throw new UnsupportedError(`${items.get(o)!.node.where}: a classifier output of ${width} classes beside ${graph.labelWidth !== undefined ? 'a label input' : 'a classifier output'} of ${labels}`);
    labels = width;
    losses.push({ kind: 'sparse_categorical_crossentropy', output: names[partOf.get(o)!]!, target: 'label', weight: 1 });
  }
  for (const s of samples) {
    const [m, lv] = sampleOf(s).sample;
    losses.push({ kind: 'kl', mean: m, log_var: lv, weight: 1 });
  }
  // The decoder reads the code, or [code, label] (a conditional model's decoder).
  const readsCode = (s: Source) => s === code || (typeof s === 'object' && 'concat' in s && s.concat.length === 2 && s.concat.includes('label') && s.concat.includes(code));
  const readers = names.filter((n) => readsCode(inputs[n]!));
  const g: GraphRecord = { inputs, code, output: reconPart, losses };
  if (labels !== undefined) g.labels = labels;
  if (readers.length === 1) g.decoder = readers[0]!;
  else {
    const sampled = names.filter((n) => isSample(inputs[n]!));
    if (sampled.length === 1) g.decoder = sampled[0]!;
  }
  const parts: Record<string, string[]> = {};
  const specs: Record<string, LayerSpec[]> = {};
  names.forEach((n, p) => {
    parts[n] = chains[p]!;
    specs[n] = specsOf(chains[p]!);
  });
  return finish({ kind, input_shape: [...graph.inputShape], parts: specs as Architecture['parts'], graph: g }, parts, items.get(lastOf(codePart))!.node, rule);

  function finish(architecture: Architecture, parts: Record<string, string[]>, codeNode: KerasNode, why: string): MappedModel {
    const layers = new Map<string, KerasNode>();
    for (const [part, ids] of Object.entries(parts)) {
      ids.forEach((id, i) => layers.set(`${part}.${i}`, items.get(id)!.node));
      if (reshape && ids[ids.length - 1] === reconOut) architecture.parts[part]!.push({ class_name: 'Reshape', config: { target_shape: [...graph.inputShape] } });
    }
    return { architecture, layers, code: { node: codeNode, rule: why }, notes };
  }
}

function isSample(src: Source): boolean {
  return typeof src === 'object' && 'sample' in src;
}

/** Where a single chain splits: the index of the encoder's last layer, and the rule that chose it. */
function chainSplit(chain: string[], items: Map<string, Item>, graph: KerasGraph, split: KerasNode | undefined): { at: number; rule: string } {
  if (split) return { at: chain.indexOf(split.id), rule: '--encoder-output' };
  const tops = chain.map((id) => items.get(id)!.node.top);
  if (graph.topCount === 2 && graph.nestedTops.size === 2) {
    const at = tops.lastIndexOf(tops[0]!);
    if (at < chain.length - 1) return { at, rule: 'the boundary between the two nested models' };
  }
  let at = 0;
  const size = (i: number) => sizeOf(items.get(chain[i]!)!.shape);
  for (let i = 1; i < chain.length - 1; i++) if (size(i) < size(at)) at = i;
  while (at + 1 < chain.length - 1 && size(at + 1) === size(at) && CODE_TAIL.has(items.get(chain[at + 1]!)!.node.className)) at++;
  return { at, rule: 'the narrowest layer' };
}
