/**
 * The kgan contract: the JSON object in an ONNX file's `metadata_props["kgan.contract"]`,
 * validated with the rules and messages of Python's `kgan_runtime.generator._ContractParser`
 * (CONTRACT.md is the specification; export/contract/cases.json holds both runtimes to it).
 *
 * @example
 * const contract = parseContract(metadata, 'generator.onnx'); // metadata: Map of metadata_props
 * checkGraph(contract, session, 'generator.onnx'); // session: an onnxruntime InferenceSession
 * @module
 */
import { parse as parseLossless } from 'lossless-json';
import { ModelLoadError, oneLine } from './errors.js';
import { MAX_NUM_CLASSES } from './latents.js';
import { JsonFloat, pyRepr } from './pyrepr.js';

/** Key of the ONNX `metadata_props` entry that holds the contract JSON. */
export const CONTRACT_KEY = 'kgan.contract';
/** Value of the contract's `format` field. */
export const FORMAT = 'kgan-generator';
/** The contract `format_version` this runtime reads. */
export const FORMAT_VERSION = 1;

const REQUIRED_KEYS = [
  'format', 'format_version', 'latent_dim', 'inputs', 'outputs', 'layout', 'value_range',
  'num_classes', 'latents',
];
/** Contract dtype -> onnxruntime's type name in Python (used in messages, as Python does). */
const ORT_TYPES = { float32: 'tensor(float)', int32: 'tensor(int32)', uint8: 'tensor(uint8)' };
/** onnxruntime-js type names -> Python's. */
const JS_TO_ORT_TYPES = {
  float32: 'tensor(float)', float64: 'tensor(double)', float16: 'tensor(float16)',
  bfloat16: 'tensor(bfloat16)', int8: 'tensor(int8)', uint8: 'tensor(uint8)', int16: 'tensor(int16)',
  uint16: 'tensor(uint16)', int32: 'tensor(int32)', uint32: 'tensor(uint32)', int64: 'tensor(int64)',
  uint64: 'tensor(uint64)', bool: 'tensor(bool)', string: 'tensor(string)',
};
const OUTPUT_DTYPES = ['float32', 'uint8'];
/** @type {Record<string, number>} */
const LAYOUT_RANKS = { NHWC: 4, NF: 2 };
export const LATENT_INPUT = 'z';
export const LABEL_INPUT = 'labels';
export const OUTPUT = 'samples';

/** @typedef {(number | null)[]} Shape A shape with null for the dynamic batch dimension. */

/**
 * @typedef {object} TensorSpec
 * @property {string} dtype
 * @property {Shape} shape
 */

/**
 * @typedef {object} Contract A validated contract.
 * @property {Record<string, unknown>} raw The parsed JSON object (numbers as parsed).
 * @property {number} latentDim
 * @property {number | null} numClasses
 * @property {'NHWC' | 'NF'} layout
 * @property {[number, number]} valueRange
 * @property {Record<string, TensorSpec>} inputs `z` (and `labels`).
 * @property {TensorSpec} output
 */

/**
 * True for an integer JSON value (a number or BigInt; never a float literal such as `1.0`).
 * @param {unknown} value
 * @returns {value is number | bigint}
 */
function isInt(value) {
  return typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value));
}

/**
 * @param {unknown} value
 * @returns {boolean}
 */
function isFiniteNumber(value) {
  if (value instanceof JsonFloat) return Number.isFinite(value.value);
  if (typeof value === 'bigint') return Number.isFinite(Number(value));
  return typeof value === 'number' && Number.isFinite(value);
}

/** @param {unknown} value @returns {number} */
function toNumber(value) {
  return value instanceof JsonFloat ? value.value : Number(value);
}

/**
 * Parse JSON keeping what Python's json keeps: integer literals stay integers (BigInt beyond
 * 2**53) and literals with a fraction or exponent are floats ({@link JsonFloat}).
 * @param {string} text
 * @returns {unknown}
 */
export function parseJson(text) {
  return parseLossless(text, null, (literal) => {
    if (/^-?\d+$/.test(literal)) {
      const number = Number(literal);
      return Number.isSafeInteger(number) ? number : BigInt(literal);
    }
    return new JsonFloat(literal);
  });
}

/** @param {Shape} shape */
function jsonShape(shape) {
  return `[${shape.map((d) => (d === null ? 'null' : String(d))).join(', ')}]`;
}

/** @param {unknown[]} shape */
function graphShape(shape) {
  const show = (/** @type {unknown} */ d) => (d === null || d === undefined || (typeof d === 'number' && d < 0) ? '?' : String(d));
  return `[${shape.map(show).join(', ')}]`;
}

/** @param {unknown} a @param {unknown} b */
function sameDims(a, b) {
  return (a === null && b === null) || (a !== null && b !== null && BigInt(/** @type {any} */ (a)) === BigInt(/** @type {any} */ (b)));
}

/**
 * Sort like Python's `sorted()` on strings (by code point).
 * @param {string[]} names
 */
function sorted(names) {
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Validate the contract in a model's metadata, on its own (no graph).
 * @param {Map<string, string> | Record<string, string>} metadata The model's metadata_props.
 * @param {string} where The file, URL or name to put in error messages.
 * @returns {Contract}
 * @throws {ModelLoadError} If there is no contract or it breaks a rule of CONTRACT.md.
 */
export function parseContract(metadata, where) {
  const entries = metadata instanceof Map ? metadata : new Map(Object.entries(metadata));
  /** @param {string} message */
  const fail = (message) => new ModelLoadError(`${where}: invalid kgan contract: ${message}`);
  const rawText = entries.get(CONTRACT_KEY);
  if (rawText === undefined) {
    throw new ModelLoadError(
      `${where}: not a kgan generator: the ONNX metadata_props have no ${pyRepr(CONTRACT_KEY)} entry ` +
        `(found keys: ${pyRepr(sorted([...entries.keys()]))}); export the generator with kgan.`,
    );
  }
  let raw;
  try {
    raw = parseJson(rawText);
  } catch (err) {
    throw fail(`${pyRepr(CONTRACT_KEY)} is not valid JSON (${oneLine(/** @type {Error} */ (err).message)}).`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || raw instanceof JsonFloat) {
    const kind = raw === null ? 'NoneType' : Array.isArray(raw) ? 'list' : typeof raw === 'string'
      ? 'str' : typeof raw === 'boolean' ? 'bool' : raw instanceof JsonFloat ? 'float' : 'int';
    throw fail(`expected a JSON object; got ${kind}.`);
  }
  const obj = /** @type {Record<string, any>} */ (raw);
  const missing = REQUIRED_KEYS.filter((key) => !Object.hasOwn(obj, key));
  if (missing.length) throw fail(`missing required key(s) ${pyRepr(missing)}.`);

  if (obj.format !== FORMAT) throw fail(`format must be ${pyRepr(FORMAT)}; got ${pyRepr(obj.format)}.`);
  const version = obj.format_version;
  if (!isInt(version)) throw fail(`format_version must be an integer; got ${pyRepr(version)}.`);
  if (BigInt(version) !== BigInt(FORMAT_VERSION)) {
    throw fail(
      `unsupported format_version ${version}; this kgan-runtime reads format_version ${FORMAT_VERSION} ` +
        '(upgrade kgan-runtime for newer models).',
    );
  }
  const latentDim = obj.latent_dim;
  if (!isInt(latentDim) || latentDim < 1) {
    throw fail(`latent_dim must be an integer >= 1; got ${pyRepr(latentDim)}.`);
  }
  const numClasses = obj.num_classes;
  if (numClasses !== null && (!isInt(numClasses) || numClasses < 2 || numClasses > MAX_NUM_CLASSES)) {
    throw fail(
      `num_classes must be null or an integer in [2, ${MAX_NUM_CLASSES}] (labels are int32); ` +
        `got ${pyRepr(numClasses)}.`,
    );
  }
  const layout = obj.layout;
  if (typeof layout !== 'string' || !Object.hasOwn(LAYOUT_RANKS, layout)) {
    throw fail(`layout must be one of ${pyRepr(sorted(Object.keys(LAYOUT_RANKS)))}; got ${pyRepr(layout)}.`);
  }
  if (obj.latents !== 'standard_normal') {
    throw fail(`latents must be 'standard_normal'; got ${pyRepr(obj.latents)}.`);
  }
  if (Object.hasOwn(obj, 'opset') && obj.opset !== null && !(isInt(obj.opset) && obj.opset >= 1)) {
    throw fail(`opset must be an integer >= 1; got ${pyRepr(obj.opset)}.`);
  }
  if (Object.hasOwn(obj, 'versions')) {
    const v = obj.versions;
    if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof JsonFloat) {
      throw fail(`versions must be an object; got ${pyRepr(v)}.`);
    }
  }

  const expectedInputs = numClasses === null ? [LATENT_INPUT] : [LATENT_INPUT, LABEL_INPUT];
  const inputs = tensorMap(obj.inputs, 'inputs', expectedInputs, fail);
  const z = inputs[LATENT_INPUT];
  if (z.dtype !== 'float32') throw fail(`inputs.z.dtype must be 'float32'; got ${pyRepr(z.dtype)}.`);
  if (!(z.shape.length === 2 && z.shape[0] === null && z.shape[1] !== null && sameDims(z.shape[1], latentDim))) {
    throw fail(
      `inputs.z.shape must be [null, ${latentDim}] (latent_dim is ${latentDim}); got ${jsonShape(z.shape)}.`,
    );
  }
  if (numClasses !== null) {
    const labels = inputs[LABEL_INPUT];
    if (labels.dtype !== 'int32') {
      throw fail(`inputs.labels.dtype must be 'int32'; got ${pyRepr(labels.dtype)}.`);
    }
    if (!(labels.shape.length === 1 && labels.shape[0] === null)) {
      throw fail(`inputs.labels.shape must be [null]; got ${jsonShape(labels.shape)}.`);
    }
  }

  const output = tensorMap(obj.outputs, 'outputs', [OUTPUT], fail)[OUTPUT];
  if (!OUTPUT_DTYPES.includes(output.dtype)) {
    throw fail(`outputs.samples.dtype must be one of ${pyRepr(OUTPUT_DTYPES)}; got ${pyRepr(output.dtype)}.`);
  }
  const rank = LAYOUT_RANKS[layout];
  if (output.shape.length !== rank || output.shape[0] !== null || output.shape.slice(1).some((d) => d === null)) {
    const example = layout === 'NHWC' ? '[null, height, width, channels]' : '[null, features]';
    throw fail(
      `outputs.samples.shape must be ${example} for layout ${pyRepr(layout)} ` +
        `(rank ${rank}, dynamic batch, fixed other dimensions); got ${jsonShape(output.shape)}.`,
    );
  }

  const valueRange = obj.value_range;
  if (
    !(Array.isArray(valueRange) && valueRange.length === 2 && valueRange.every(isFiniteNumber) &&
      toNumber(valueRange[0]) < toNumber(valueRange[1]))
  ) {
    throw fail(`value_range must be [low, high] with finite numbers and low < high; got ${pyRepr(valueRange)}.`);
  }
  if (output.dtype === 'uint8' && !(toNumber(valueRange[0]) === 0 && toNumber(valueRange[1]) === 255)) {
    throw fail(`value_range must be [0, 255] for uint8 samples; got ${pyRepr(valueRange)}.`);
  }
  for (const spec of [...Object.values(inputs), output]) {
    if (spec.shape.some((d) => d !== null && !Number.isSafeInteger(d))) {
      // Valid JSON integers beyond 2**53 (Python accepts them): no graph can match them.
      throw fail(`dimensions beyond 2**53 are not supported; got ${jsonShape(spec.shape)}.`);
    }
  }
  return {
    raw: obj,
    latentDim: Number(latentDim),
    numClasses: numClasses === null ? null : Number(numClasses),
    layout: /** @type {'NHWC' | 'NF'} */ (layout),
    valueRange: [toNumber(valueRange[0]), toNumber(valueRange[1])],
    inputs,
    output,
  };
}

/**
 * @param {unknown} value
 * @param {string} key
 * @param {string[]} expected
 * @param {(message: string) => ModelLoadError} fail
 * @returns {Record<string, TensorSpec>}
 */
function tensorMap(value, key, expected, fail) {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof JsonFloat) {
    throw fail(`${key} must be an object; got ${pyRepr(value)}.`);
  }
  const names = Object.keys(value);
  if (JSON.stringify(sorted(names)) !== JSON.stringify(sorted(expected))) {
    throw fail(`${key} must have exactly the names ${pyRepr(expected)}; got ${pyRepr(names)}.`);
  }
  /** @type {Record<string, TensorSpec>} */
  const specs = {};
  for (const name of expected) specs[name] = tensorSpec(/** @type {any} */ (value)[name], `${key}.${name}`, fail);
  return specs;
}

/**
 * @param {unknown} value
 * @param {string} key
 * @param {(message: string) => ModelLoadError} fail
 * @returns {TensorSpec}
 */
function tensorSpec(value, key, fail) {
  if (
    value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof JsonFloat ||
    !Object.hasOwn(value, 'dtype') || !Object.hasOwn(value, 'shape')
  ) {
    throw fail(`${key} must be an object with 'dtype' and 'shape'; got ${pyRepr(value)}.`);
  }
  const { dtype, shape } = /** @type {{dtype: unknown, shape: unknown}} */ (value);
  if (typeof dtype !== 'string') throw fail(`${key}.dtype must be a string; got ${pyRepr(dtype)}.`);
  if (!Array.isArray(shape) || !shape.every((d) => d === null || (isInt(d) && d >= 1))) {
    throw fail(`${key}.shape must be a list of null or positive integers; got ${pyRepr(shape)}.`);
  }
  return { dtype, shape: /** @type {Shape} */ (shape) };
}

/**
 * @typedef {object} GraphArg What onnxruntime says about one graph input or output.
 * @property {string} name
 * @property {string} type Python's onnxruntime type name, e.g. `tensor(float)`.
 * @property {unknown[]} shape Numbers for fixed sizes, strings or null for symbolic ones.
 */

/**
 * The inputs and outputs of an onnxruntime-js session (`inputMetadata`, onnxruntime >= 1.22).
 * @param {any} session
 * @returns {{inputs: GraphArg[], outputs: GraphArg[]}}
 */
export function sessionArgs(session) {
  /** @param {any[] | undefined} metadata @param {string[]} names */
  const convert = (metadata, names) => {
    if (!Array.isArray(metadata)) {
      throw new Error('this onnxruntime has no inputMetadata/outputMetadata (kgan-runtime needs onnxruntime >= 1.22)');
    }
    if (metadata.length !== names.length) throw new Error('metadata and names disagree');
    return metadata.map((m) => ({
      name: String(m.name),
      type: m.isTensor === false ? 'non-tensor' : (JS_TO_ORT_TYPES[/** @type {keyof JS_TO_ORT_TYPES} */ (m.type)] ?? `tensor(${m.type})`),
      shape: Array.isArray(m.shape) ? [...m.shape] : [],
    }));
  };
  return { inputs: convert(session.inputMetadata, session.inputNames), outputs: convert(session.outputMetadata, session.outputNames) };
}

/**
 * Throw if the contract lies about the graph's names, dtypes, ranks or fixed sizes.
 * Inputs must state every size the contract fixes (`latent_dim`); output sizes may be symbolic
 * (they are then checked on every run).
 * @param {Contract} contract
 * @param {{inputs: GraphArg[], outputs: GraphArg[]}} graph From {@link sessionArgs}.
 * @param {string} where
 */
export function checkGraph(contract, graph, where) {
  checkArgs('input', graph.inputs, contract.inputs, true, where);
  checkArgs('output', graph.outputs, { [OUTPUT]: contract.output }, false, where);
}

/**
 * @param {string} kind
 * @param {GraphArg[]} args
 * @param {Record<string, TensorSpec>} declared
 * @param {boolean} strict
 * @param {string} where
 */
function checkArgs(kind, args, declared, strict, where) {
  const actual = new Map(args.map((a) => [a.name, a]));
  const graphNames = sorted(args.map((a) => a.name));
  if (actual.size !== args.length || JSON.stringify(graphNames) !== JSON.stringify(sorted(Object.keys(declared)))) {
    throw new ModelLoadError(
      `${where}: the kgan contract declares ${kind}s ${pyRepr(sorted(Object.keys(declared)))} but the ` +
        `ONNX graph has ${kind}s ${pyRepr(graphNames)}.`,
    );
  }
  for (const [name, spec] of Object.entries(declared)) {
    const arg = /** @type {GraphArg} */ (actual.get(name));
    const at = `${where}: ${kind} ${pyRepr(name)}`;
    const expectedType = ORT_TYPES[/** @type {keyof ORT_TYPES} */ (spec.dtype)];
    if (arg.type !== expectedType) {
      throw new ModelLoadError(
        `${at}: the kgan contract says dtype ${spec.dtype} (${expectedType}) but the ONNX graph has ${arg.type}.`,
      );
    }
    const shape = arg.shape;
    if (shape.length === 0) {
      if (strict) {
        throw new ModelLoadError(
          `${at}: the kgan contract says shape ${jsonShape(spec.shape)} but the ONNX graph does not state ` +
            'the rank of this input.',
        );
      }
      continue;
    }
    if (shape.length !== spec.shape.length) {
      throw new ModelLoadError(
        `${at}: the kgan contract says shape ${jsonShape(spec.shape)} (rank ${spec.shape.length}) but the ` +
          `ONNX graph has shape ${graphShape(shape)} (rank ${shape.length}).`,
      );
    }
    for (let axis = 0; axis < shape.length; axis++) {
      const declaredDim = spec.shape[axis];
      const graphDim = shape[axis];
      if (!(typeof graphDim === 'number' && Number.isInteger(graphDim) && graphDim >= 0)) {
        if (strict && declaredDim !== null) {
          throw new ModelLoadError(
            `${at}: the kgan contract says shape ${jsonShape(spec.shape)} but the ONNX graph has shape ` +
              `${graphShape(shape)}: axis ${axis} must have the fixed size ${declaredDim}, not a symbolic one.`,
          );
        }
        continue;
      }
      if (declaredDim === null || graphDim !== declaredDim) {
        throw new ModelLoadError(
          `${at}: the kgan contract says shape ${jsonShape(spec.shape)} but the ONNX graph has shape ` +
            `${graphShape(shape)} (axis ${axis} differs).`,
        );
      }
    }
  }
}
