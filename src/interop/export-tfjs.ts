// TF.js Layers export: the DAG an ExportPlan selects as one functional model
// (`class_name: "Model"`, Keras 2 serialisation as tfjs-layers 4.22 writes it: one
// InputLayer per graph input in `input_layers`, `inbound_nodes` wiring every layer,
// Concatenate(axis -1) for a concatenation, Activation("softmax") named `probabilities` for
// a classifier's), with the weights in one shard in manifest order. Layers keep their Keras class and config; the
// layer of `{part}.{i}` is named `{part}_{i}` and its weights `{part}_{i}/{param}`, Keras'
// layout unchanged (TF.js shares it). Differences, where TF.js lacks a name:
//   activation silu / swish         -> "swish"
//   activation leaky_relu (slope 0.2) -> the layer with "linear", then a LeakyReLU(alpha 0.2) layer
//   SpatialDropout2D                -> dropped (identity at inference; TF.js has no such class)
// and an UnsupportedError naming the part, layer index and class for what TF.js cannot load:
// activation exponential (no such activation), gelu_approximate (TF.js' "gelu_new" exists but
// its loader camel-cases the name to "geluNew" and then cannot find it), ELU with alpha != 1
// (TF.js: "Non-default alpha value is not supported by the ELU layer yet").

import { UnsupportedError } from '../errors.js';
import type { Autoencoder } from '../models/autoencoder.js';
import { LEAKY_RELU_ACTIVATION_SLOPE } from '../nn/activations.js';
import { exportPlan, type ExportLayer, type ExportOptions } from './export-parts.js';
import { TFJS_CODE_METADATA } from './tfjs-import.js';

/** The version of tfjs-layers whose format this writes (and whose loader the tests use). */
export const TFJS_LAYERS_VERSION = '4.22.0';
export const TFJS_WEIGHTS_FILE = 'group1-shard1of1.bin';

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

/** model.json's content. */
export interface TfjsModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: TfjsWeightSpec[] }[];
  userDefinedMetadata: Record<string, string>;
}

export interface TfjsExport {
  modelJson: TfjsModelJson;
  /** The shard's bytes: every weight, float32 little-endian, in manifest order. */
  weights: Uint8Array;
}

/** Keras activation names as TF.js spells them ('leaky_relu' is handled as a layer). */
const TFJS_ACTIVATIONS: Readonly<Record<string, string>> = {
  linear: 'linear',
  relu: 'relu',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  elu: 'elu',
  selu: 'selu',
  softplus: 'softplus',
  gelu: 'gelu',
  silu: 'swish',
  swish: 'swish',
};

/** Layers TF.js has no class for, identity at inference. */
const DROPPED = new Set(['SpatialDropout2D']);

interface TopologyLayer {
  class_name: string;
  config: Record<string, unknown>;
  name: string;
  inbound_nodes: unknown[];
}

function tfjsActivation(name: string, l: ExportLayer): string {
  const a = Object.hasOwn(TFJS_ACTIVATIONS, name) ? TFJS_ACTIVATIONS[name] : undefined;
  if (!a) {
    throw new UnsupportedError(`TF.js export: ${l.part} layer ${l.index} (${l.layer.className}) uses activation ${JSON.stringify(name)}, which TF.js Layers does not have`);
  }
  return a;
}

/** TF.js layer configs of one of our layers: usually one, two for a fused leaky_relu, none for a dropped layer. */
function tfjsLayers(l: ExportLayer, name: string): { class_name: string; config: Record<string, unknown>; name: string }[] {
  const cls = l.layer.className;
  if (DROPPED.has(cls)) return [];
  if (cls === 'ELU' && (l.layer.config()['alpha'] as number) !== 1) {
    throw new UnsupportedError(`TF.js export: ${l.part} layer ${l.index} (ELU) has alpha ${l.layer.config()['alpha']}; TF.js' ELU layer supports only alpha 1`);
  }
  const config: Record<string, unknown> = { ...l.layer.config(), name, trainable: true, dtype: 'float32' };
  const act = config['activation'];
  if (cls === 'BatchNormalization') config['axis'] = -1;
  if (cls === 'Conv2D' || cls === 'Conv2DTranspose') Object.assign(config, { data_format: 'channels_last', dilation_rate: [1, 1] });
  if (cls === 'MaxPooling2D' || cls === 'UpSampling2D') config['data_format'] = 'channels_last';
  if (typeof act !== 'string') return [{ class_name: cls, config, name }];
  if (act === 'leaky_relu') {
    // An Activation layer becomes the LeakyReLU itself; a Dense / Conv keeps its name, then the slope.
    const leaky = { class_name: 'LeakyReLU', config: { alpha: LEAKY_RELU_ACTIVATION_SLOPE, name: `${name}_leaky_relu`, trainable: true, dtype: 'float32' }, name: `${name}_leaky_relu` };
    if (cls === 'Activation') return [{ ...leaky, config: { ...leaky.config, name }, name }];
    return [{ class_name: cls, config: { ...config, activation: 'linear' }, name }, leaky];
  }
  config['activation'] = tfjsActivation(act, l);
  return [{ class_name: cls, config, name }];
}

/** A TF.js Layers model (model.json + one weights shard) of `part` of the model. */
export function exportTfjs(model: Autoencoder, options: ExportOptions = {}): TfjsExport {
  const plan = exportPlan(model, options, 'exportTfjs(model, options)');
  const layers: TopologyLayer[] = plan.inputs.map((i) => ({
    class_name: 'InputLayer',
    config: { batch_input_shape: [null, ...i.shape], dtype: 'float32', sparse: false, name: i.name },
    name: i.name,
    inbound_nodes: [],
  }));
  const weights: TfjsWeightSpec[] = [];
  const data: Float32Array[] = [];
  // Which TF.js layer produces each node's output (a node reads graph inputs and other nodes' outputs).
  const producer = new Map<string, string>(plan.inputs.map((i) => [i.name, i.name]));
  const inbound = (values: string[]) => [values.map((v) => [producer.get(v)!, 0, 0, {}])];
  for (const node of plan.nodes) {
    if (node.kind !== 'chain') {
      // Concatenate along the last axis; a classifier's softmax as an Activation layer (what ae-wasm import reads back as logits + softmax).
      const [cls, own] = node.kind === 'concat' ? ['Concatenate', { axis: -1 }] : ['Activation', { activation: 'softmax' }];
      const config = { name: node.name, trainable: true, dtype: 'float32', ...own };
      layers.push({ class_name: cls, config, name: node.name, inbound_nodes: inbound(node.kind === 'concat' ? node.inputs : [node.input]) });
      producer.set(node.output, node.name);
      continue;
    }
    let prev = producer.get(node.input)!;
    for (const l of node.layers) {
      const name = `${l.part}_${l.index}`;
      for (const t of tfjsLayers(l, name)) {
        layers.push({ ...t, inbound_nodes: [[[prev, 0, 0, {}]]] });
        prev = t.name;
      }
      for (const [param, values] of l.weights) {
        const spec = l.layer.paramSpecs().find((p) => p.param === param)!;
        weights.push({ name: `${name}/${param}`, shape: [...spec.shape], dtype: 'float32' });
        data.push(values);
      }
    }
    producer.set(node.output, prev);
  }
  const modelTopology = {
    class_name: 'Model',
    config: {
      name: `ae_wasm_${plan.part}`,
      layers,
      input_layers: plan.inputs.map((i) => [i.name, 0, 0]),
      output_layers: plan.outputs.map((o) => [producer.get(o.name)!, 0, 0]),
    },
    keras_version: `tfjs-layers ${TFJS_LAYERS_VERSION}`,
    backend: 'tensor_flow.js',
  };
  const bytes = new Uint8Array(data.reduce((n, d) => n + 4 * d.length, 0));
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (const d of data) {
    for (let i = 0; i < d.length; i++, at += 4) view.setFloat32(at, d[i]!, true);
  }
  return {
    modelJson: {
      format: 'layers-model',
      generatedBy: 'ae-wasm',
      convertedBy: null,
      modelTopology,
      weightsManifest: [{ paths: [TFJS_WEIGHTS_FILE], weights }],
      userDefinedMetadata: {
        ...plan.metadata,
        'ae-wasm.outputs': JSON.stringify(plan.outputs.map((o) => o.name)),
        // The layer whose output is the code: ae-wasm import splits there without --encoder-output.
        ...(plan.code ? { [TFJS_CODE_METADATA]: producer.get(plan.code)! } : {}),
      },
    },
    weights: bytes,
  };
}
