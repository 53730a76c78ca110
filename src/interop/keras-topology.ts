// A Keras or TF.js Layers model config, in any of the dialects that reach us, flattened to
// one graph of layer nodes: nested Sequential / Functional models are inlined (their layers
// keep the nested model's name in their id and position), InputLayers become the graph's
// input. The dialects:
//   TF.js model.save and tensorflowjs_converter from Keras 2: `batch_input_shape`,
//     inbound_nodes [[["name", node, tensor, {kwargs}], ...]], dtype "float32";
//   Keras 3 (config.json of a .keras file, the converter's model_config from one):
//     `batch_shape`, dtype {"class_name": "DTypePolicy", ...}, `module` / `registered_name`,
//     inbound_nodes [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": [...]}}], "kwargs": {}}].
// Every node also gets `statePath`, where Keras 3's saving_lib keeps the layer's variables
// (keras/src/saving/saving_lib.py, `_save_container_state`): a model's layers are visited in
// `model.layers` order and each is named by its Python class in snake case
// (keras/src/utils/naming.py `to_snake_case`: Dense -> dense, Conv2DTranspose ->
// conv2d_transpose, LeakyReLU -> leaky_re_lu), the second of a class `dense_1`, and so on;
// nested models add `layers/<their name>/layers/...`; the variables sit in `<path>/vars/<i>`.

import { FormatError, UnsupportedError } from '../errors.js';
import { isObject, type JsonObject } from './keras-json.js';

/** The graph's input, as a node id. */
export const GRAPH_INPUT = '<input>';
/** A functional model's second input, the label as a one-hot row (a conditional model's, as ae-wasm export writes it). */
export const GRAPH_LABEL = '<label>';
const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);
/** More layers than any limit of ours allows a model to have (parts x layers per part). */
const MAX_NODES = 4096;

export interface KerasNode {
  /** Unique in the graph: the layer's name after the names of the models around it ("encoder/dense"). */
  id: string;
  name: string;
  className: string;
  /** `registered_name` where Keras 3 wrote one (custom classes: "Custom>Sampling"). */
  registeredName?: string;
  config: JsonObject;
  /** Producer ids (GRAPH_INPUT for the model's input), in argument order. */
  inputs: string[];
  /** For error messages: "model 'ae' > 'encoder' layer 2 (dense_1, Dense)". */
  where: string;
  /** Keras 3 saving_lib path of the layer's state ("layers/sequential/layers/dense"). */
  statePath: string;
  /** Index of the top-level layer this node belongs to (nested models' layers share it). */
  top: number;
}

export interface KerasGraph {
  name: string;
  inputShape: number[];
  /** The label input's width (one-hot classes) when the top model has a second input. */
  labelWidth?: number;
  /** In a forward (topological) order. */
  nodes: KerasNode[];
  /** Ids of the model's outputs, in output_layers order. */
  outputs: string[];
  /** Top-level entries that were nested models, by `top` index. */
  nestedTops: Set<number>;
  topCount: number;
}

interface Scope {
  where: string;
  idPrefix: string;
  statePrefix: string;
  top: number | null;
}

const fail = (msg: string): never => {
  throw new FormatError(msg);
};

/** Flattens a model config `{class_name, config}` (`source` names the file in errors). */
export function flattenModel(model: unknown, source: string): KerasGraph {
  if (!isObject(model)) return fail(`${source}: the model config must be an object {"class_name": ..., "config": {...}}`);
  const cls = model['class_name'];
  if (typeof cls !== 'string' || !MODEL_CLASSES.has(cls)) throw new UnsupportedError(subclassedMessage(source, String(cls)));
  const nodes: KerasNode[] = [];
  const state: State = { nodes, shape: null, nestedTops: new Set<number>(), topCount: 0 };
  const name = modelName(model, source);
  const outputs = expand(model, null, { where: `${source}: model ${JSON.stringify(name)}`, idPrefix: '', statePrefix: '', top: null }, state);
  if (!state.shape) fail(`${source}: model ${JSON.stringify(name)} declares no input shape (no InputLayer, batch_input_shape, batch_shape or build_config)`);
  return { name, inputShape: state.shape!, ...(state.labelWidth !== undefined ? { labelWidth: state.labelWidth } : {}), nodes, outputs, nestedTops: state.nestedTops, topCount: state.topCount };
}

/** What a subclassed model (custom class, no layer list) gets: how to rebuild it. */
export function subclassedMessage(source: string, cls: string): string {
  return (
    `${source}: the model is of class ${JSON.stringify(cls)}, not Sequential or Functional: a subclassed Keras model stores no layer graph, so it cannot be imported. ` +
    'Rebuild it as a Sequential or functional model with the same layers and copy the weights, then save that: ' +
    'enc = keras.Sequential([keras.Input((28, 28, 1)), layers.Flatten(), layers.Dense(64, activation="relu")]); ' +
    'dec = keras.Sequential([keras.Input((64,)), layers.Dense(784, activation="sigmoid"), layers.Reshape((28, 28, 1))]); ' +
    'ae = keras.Sequential([enc, dec]); ae.set_weights(subclassed.get_weights()); ae.save("ae.keras") (README "Importing models")'
  );
}

function modelName(model: JsonObject, source: string): string {
  const cfg = model['config'];
  const n = isObject(cfg) ? cfg['name'] : undefined;
  if (n !== undefined && typeof n !== 'string') fail(`${source}: the model's name must be a string, got ${JSON.stringify(n)}`);
  return (n as string | undefined) ?? 'model';
}

interface State {
  nodes: KerasNode[];
  shape: number[] | null;
  labelWidth?: number;
  nestedTops: Set<number>;
  topCount: number;
}

/** A layer entry's class, name and config, checked. */
function entry(item: unknown, where: string): { cls: string; name: string; config: JsonObject; registered?: string } {
  if (!isObject(item)) return fail(`${where}: a layer must be an object {"class_name": ..., "config": {...}}`);
  const cls = item['class_name'];
  if (typeof cls !== 'string' || cls.length === 0 || cls.length > 128) return fail(`${where}: class_name must be a string, got ${JSON.stringify(cls)?.slice(0, 80)}`);
  const config = item['config'] ?? {};
  if (!isObject(config)) return fail(`${where} (${cls}): config must be an object`);
  const name = (config['name'] ?? item['name']) as unknown;
  if (typeof name !== 'string' || name.length === 0 || name.length > 256) return fail(`${where} (${cls}): the layer's name must be a non-empty string, got ${JSON.stringify(name)?.slice(0, 80)}`);
  const registered = typeof item['registered_name'] === 'string' ? (item['registered_name'] as string) : undefined;
  return { cls, name, config, registered };
}

/** Keras' snake-case class names as saving_lib uses them for state paths. */
export function snakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** The Python class saving_lib names a layer by (a functional model is keras' Functional class). */
function pythonClass(cls: string): string {
  return cls === 'Model' ? 'Functional' : cls;
}

/** A per-sample shape from a [null, d1, d2, ...] batch shape. */
function batchShape(v: unknown, where: string): number[] {
  if (!Array.isArray(v) || v.length < 2 || !v.slice(1).every((d) => Number.isInteger(d) && d >= 1 && d <= 1 << 24)) {
    return fail(`${where}: the input shape must be [null, positive integers...], got ${JSON.stringify(v)?.slice(0, 80)}`);
  }
  return v.slice(1) as number[];
}

function declaredShape(config: JsonObject, where: string): number[] | null {
  for (const key of ['batch_input_shape', 'batch_shape']) if (config[key] !== undefined && config[key] !== null) return batchShape(config[key], `${where} ${key}`);
  if (config['input_shape'] !== undefined && config['input_shape'] !== null) {
    const s = config['input_shape'];
    return batchShape(Array.isArray(s) && s[0] === null ? s : [null, ...(Array.isArray(s) ? s : [s])], `${where} input_shape`);
  }
  return null;
}

function buildShape(item: JsonObject, where: string): number[] | null {
  const bc = item['build_config'];
  if (isObject(bc) && bc['input_shape'] !== undefined && bc['input_shape'] !== null) return batchShape(bc['input_shape'], `${where} build_config.input_shape`);
  return null;
}

function setShape(state: State, shape: number[], where: string): void {
  if (state.shape && (state.shape.length !== shape.length || state.shape.some((d, i) => d !== shape[i]))) {
    fail(`${where}: declares input shape [${shape.join(', ')}] but the model's input is [${state.shape.join(', ')}]`);
  }
  state.shape = shape;
}

function addNode(state: State, node: KerasNode): void {
  if (state.nodes.length >= MAX_NODES) fail(`${node.where}: more than ${MAX_NODES} layers`);
  if (state.nodes.some((n) => n.id === node.id)) fail(`${node.where}: a second layer named ${JSON.stringify(node.name)} in the same model`);
  state.nodes.push(node);
}

/**
 * Inlines `model` reading `input` (null at the top: its InputLayer is the graph's input);
 * returns the ids of its outputs.
 */
function expand(model: JsonObject, input: string | null, scope: Scope, state: State): string[] {
  const cls = model['class_name'] as string;
  let cfg = model['config'];
  // Keras 1-era Sequential configs are the layer list itself.
  if (Array.isArray(cfg)) cfg = { layers: cfg };
  if (!isObject(cfg) || !Array.isArray(cfg['layers'])) return fail(`${scope.where}: config.layers must be a list`);
  const layers = cfg['layers'] as unknown[];
  if (input === null) {
    const declared = isObject(cfg) ? cfg['build_input_shape'] : undefined;
    if (declared !== undefined && declared !== null) setShape(state, batchShape(declared, `${scope.where} build_input_shape`), scope.where);
    const built = buildShape(model, scope.where);
    if (built) setShape(state, built, scope.where);
  }
  if (cls === 'Sequential') return [expandSequential(layers, input, scope, state)];
  return expandFunctional(cfg, layers, input, scope, state);
}

function stateName(counts: Map<string, number>, cls: string): string {
  const base = snakeCase(pythonClass(cls));
  const n = counts.get(base);
  counts.set(base, n === undefined ? 0 : n + 1);
  return n === undefined ? base : `${base}_${n + 1}`;
}

function expandSequential(layers: unknown[], input: string | null, scope: Scope, state: State): string {
  let prev = input ?? GRAPH_INPUT;
  const counts = new Map<string, number>();
  layers.forEach((item, i) => {
    const where = `${scope.where} layer ${i}`;
    const e = entry(item, where);
    const at = `${where} (${e.name}, ${e.cls})`;
    // The graph's input shape: the top model's, or (nested Sequentials) the first model's that reads the input.
    const readsInput = prev === GRAPH_INPUT && !state.shape;
    if (e.cls === 'InputLayer') {
      if (input === null || readsInput) setShape(state, declaredShape(e.config, at) ?? fail(`${at}: no batch_input_shape or batch_shape`), at);
      return;
    }
    const top = scope.top ?? state.topCount++;
    if (readsInput && i <= 1) {
      const s = declaredShape(e.config, at) ?? buildShape(item as JsonObject, at);
      if (s) setShape(state, s, at);
    }
    const statePath = `${scope.statePrefix}layers/${stateName(counts, e.cls)}`;
    if (MODEL_CLASSES.has(e.cls)) {
      if (scope.top === null) state.nestedTops.add(top);
      const outs = expand(item as JsonObject, prev, { where: `${scope.where} > ${JSON.stringify(e.name)}`, idPrefix: `${scope.idPrefix}${e.name}/`, statePrefix: `${statePath}/`, top }, state);
      if (outs.length !== 1) fail(`${at}: a nested model inside a Sequential must have one output, it has ${outs.length}`);
      prev = outs[0]!;
      return;
    }
    const id = `${scope.idPrefix}${e.name}`;
    addNode(state, { id, name: e.name, className: e.cls, registeredName: e.registered, config: e.config, inputs: [prev], where: at, statePath, top });
    prev = id;
  });
  return prev;
}

/** [name, node, tensor] references of one inbound node, in either dialect. */
function inboundRefs(nodes: unknown, at: string): { name: string; tensor: number }[] {
  if (!Array.isArray(nodes)) return fail(`${at}: inbound_nodes must be a list`);
  if (nodes.length === 0) return [];
  if (nodes.length > 1) throw new UnsupportedError(`${at}: the layer is called ${nodes.length} times (a shared layer); each layer must be used once`);
  const node = nodes[0];
  const refs: { name: string; tensor: number }[] = [];
  const ref = (v: unknown): void => {
    if (!Array.isArray(v) || v.length < 3 || typeof v[0] !== 'string' || !Number.isInteger(v[1]) || !Number.isInteger(v[2]) || (v[2] as number) < 0) {
      return fail(`${at}: an inbound tensor must be ["layer", node, tensor], got ${JSON.stringify(v)?.slice(0, 80)}`);
    }
    refs.push({ name: v[0] as string, tensor: v[2] as number });
  };
  if (Array.isArray(node)) {
    for (const r of node) ref(r);
    return refs;
  }
  if (!isObject(node)) return fail(`${at}: an inbound node must be a list of tensors or {"args": [...], "kwargs": {...}}`);
  // Keras 3: the call's arguments, with each tensor a {"class_name": "__keras_tensor__"} record.
  const walk = (v: unknown, depth: number): void => {
    if (depth > 4) return;
    if (Array.isArray(v)) v.forEach((x) => walk(x, depth + 1));
    else if (isObject(v) && v['class_name'] === '__keras_tensor__') {
      const cfg = v['config'];
      ref(isObject(cfg) ? cfg['keras_history'] : undefined);
    }
  };
  walk(node['args'], 0);
  return refs;
}

/** output_layers / input_layers: one ["name", 0, 0] or a list of them. */
function tensorList(v: unknown, key: string, where: string): { name: string; tensor: number }[] {
  if (!Array.isArray(v)) return fail(`${where}: ${key} must be a list`);
  const list = typeof v[0] === 'string' ? [v] : v;
  return list.map((r) => {
    if (!Array.isArray(r) || typeof r[0] !== 'string' || !Number.isInteger(r[2])) return fail(`${where}: ${key} entries must be ["layer", node, tensor], got ${JSON.stringify(r)?.slice(0, 80)}`);
    return { name: r[0] as string, tensor: r[2] as number };
  });
}

function expandFunctional(cfg: JsonObject, layers: unknown[], input: string | null, scope: Scope, state: State): string[] {
  // What each layer name produces: its node id, a nested model's outputs, an InputLayer the model's input.
  const produced = new Map<string, string[]>();
  const inputsDeclared = tensorList(cfg['input_layers'], 'input_layers', scope.where);
  // The top model may have a second input: the label, one-hot [classes] (fed from the data's labels).
  const labelInput = input === null && inputsDeclared.length === 2 ? inputsDeclared[1]!.name : null;
  if (inputsDeclared.length !== 1 && labelInput === null) {
    throw new UnsupportedError(`${scope.where}: the model has ${inputsDeclared.length} inputs; ae-wasm models read one input, and at the top a second one, the label as a one-hot row`);
  }
  const counts = new Map<string, number>();
  const resolve = (r: { name: string; tensor: number }, at: string): string => {
    const t = produced.get(r.name);
    if (!t) return fail(`${at}: reads ${JSON.stringify(r.name)}, which no earlier layer of this model is`);
    if (r.tensor >= t.length) return fail(`${at}: reads output ${r.tensor} of ${JSON.stringify(r.name)}, which has ${t.length}`);
    return t[r.tensor]!;
  };
  layers.forEach((item, i) => {
    const where = `${scope.where} layer ${i}`;
    const e = entry(item, where);
    const at = `${where} (${e.name}, ${e.cls})`;
    if (produced.has(e.name)) fail(`${at}: a second layer named ${JSON.stringify(e.name)}`);
    const top = scope.top ?? (e.cls === 'InputLayer' ? -1 : state.topCount++);
    const statePath = `${scope.statePrefix}layers/${stateName(counts, e.cls)}`;
    if (e.cls === 'InputLayer' && e.name === labelInput) {
      const shape = declaredShape(e.config, at) ?? fail(`${at}: no batch_input_shape or batch_shape`);
      if (shape.length !== 1) throw new UnsupportedError(`${at}: the second input is read as the label, a one-hot row [classes]; it is [${shape.join(', ')}]`);
      state.labelWidth = shape[0]!;
      produced.set(e.name, [GRAPH_LABEL]);
      return;
    }
    if (e.cls === 'InputLayer') {
      if (e.name !== inputsDeclared[0]!.name) throw new UnsupportedError(`${at}: a second input; ae-wasm models read one input`);
      if (input === null) setShape(state, declaredShape(e.config, at) ?? fail(`${at}: no batch_input_shape or batch_shape`), at);
      produced.set(e.name, [input ?? GRAPH_INPUT]);
      return;
    }
    const refs = inboundRefs((item as JsonObject)['inbound_nodes'] ?? [], at);
    if (refs.length === 0) fail(`${at}: has no inbound node (it reads nothing)`);
    const inputs = refs.map((r) => resolve(r, at));
    if (MODEL_CLASSES.has(e.cls)) {
      if (inputs.length !== 1) throw new UnsupportedError(`${at}: a nested model called on ${inputs.length} tensors; nested models must read one`);
      if (scope.top === null) state.nestedTops.add(top);
      produced.set(e.name, expand(item as JsonObject, inputs[0]!, { where: `${scope.where} > ${JSON.stringify(e.name)}`, idPrefix: `${scope.idPrefix}${e.name}/`, statePrefix: `${statePath}/`, top }, state));
      return;
    }
    const id = `${scope.idPrefix}${e.name}`;
    addNode(state, { id, name: e.name, className: e.cls, registeredName: e.registered, config: e.config, inputs, where: at, statePath, top });
    produced.set(e.name, [id]);
  });
  for (const d of inputsDeclared) if (!produced.has(d.name)) fail(`${scope.where}: input_layers names ${JSON.stringify(d.name)}, which is no InputLayer of the model`);
  return tensorList(cfg['output_layers'], 'output_layers', scope.where).map((r) => resolve(r, `${scope.where} output_layers`));
}
