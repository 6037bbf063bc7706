/**
 * KganGenerator: load a kgan ONNX generator with an onnxruntime the application chooses
 * (onnxruntime-node, or onnxruntime-web in a browser or in Node), validate its contract, sample.
 * The API, checks and error messages mirror Python's `kgan_runtime.OnnxGenerator`.
 *
 * @example
 * import * as ort from 'onnxruntime-web';
 * import { KganGenerator } from 'kgan-runtime';
 * const gen = await KganGenerator.load('generator.onnx', { ort }); // a URL, or bytes
 * const samples = await gen.sample(16, { seed: 0 }); // the same images as Python for seed 0
 * @module
 */
import { fromBinary } from '@bufbuild/protobuf';
import { InferenceError, InvalidInputError, ModelLoadError, oneLine } from './errors.js';
import { checkBudget, checkInt, checkMaxBytes, describe, typeName } from './checks.js';
import {
  checkGraph, LABEL_INPUT, LATENT_INPUT, OUTPUT, parseContract, sessionArgs,
} from './contract.js';
import { checkSeed, defaultLabels, NumpyRandom } from './latents.js';
import { ModelProtoSchema } from './gen/onnx_metadata_pb.js';

/** @typedef {import('./images.js').Samples} Samples */
/** @typedef {import('./latents.js').Seed} Seed */
/** @typedef {import('./contract.js').Contract} Contract */

/**
 * @typedef {object} LoadOptions
 * @property {any} ort The onnxruntime module: `await import('onnxruntime-node')` or
 *   `await import('onnxruntime-web')` (kgan-runtime bundles neither).
 * @property {string} [name] The name errors use for bytes (default `'model bytes'`).
 * @property {string[]} [executionProviders] e.g. `['wasm']`, `['webgpu']`, `['cpu']`.
 * @property {object} [sessionOptions] More onnxruntime session options (override the defaults).
 * @property {number | null} [maxBytes] Memory budget of one call (default 4 GiB; null: none).
 * @property {typeof fetch} [fetch] For URLs (default: the global fetch).
 */

const FLOAT_ARRAYS = [Float32Array, Float64Array];

/**
 * @param {unknown} err
 * @returns {string}
 */
function errorText(err) {
  return oneLine(err instanceof Error ? err.message : String(err));
}

/**
 * The model's `metadata_props` as a Map, decoded with protobuf-es from onnx.proto's
 * ModelProto (only field 14 is decoded; the graph is skipped).
 * @param {Uint8Array} bytes
 * @returns {Map<string, string>}
 */
export function readMetadata(bytes) {
  const model = fromBinary(ModelProtoSchema, bytes, { readUnknownFields: false });
  return new Map(model.metadataProps.map((entry) => [entry.key, entry.value]));
}

/** A kgan generator loaded in onnxruntime (node or web). Create it with {@link KganGenerator.load}. */
export class KganGenerator {
  /**
   * Load a model from bytes or a URL and validate its kgan contract, also against the graph.
   * (In Node, `loadGenerator` from 'kgan-runtime/node' also takes a file path.)
   * @param {Uint8Array | ArrayBuffer | URL | string} source Bytes, or a URL to fetch.
   * @param {LoadOptions} options
   * @returns {Promise<KganGenerator>}
   * @throws {ModelLoadError} If the model cannot be fetched or loaded, has no kgan contract, or the
   *   contract is invalid or disagrees with the graph.
   * @throws {InvalidInputError} For a bad `source` or option.
   */
  static async load(source, options) {
    const { ort } = options ?? {};
    if (!ort || typeof ort.InferenceSession?.create !== 'function' || typeof ort.Tensor !== 'function') {
      throw new InvalidInputError(
        "options.ort must be the onnxruntime module (import * as ort from 'onnxruntime-web' or 'onnxruntime-node').",
      );
    }
    let bytes;
    let where;
    if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
      bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
      where = options.name ?? 'model bytes';
    } else if (source instanceof URL || typeof source === 'string') {
      where = String(source);
      bytes = await fetchBytes(source, options.fetch ?? globalThis.fetch);
    } else {
      throw new InvalidInputError(
        `source must be a Uint8Array, an ArrayBuffer, a URL or a URL string; got ${describe(source)} of type ${typeName(source)}.`,
      );
    }
    return KganGenerator.fromBytes(bytes, where, options);
  }

  /**
   * @param {Uint8Array} bytes
   * @param {string} where
   * @param {LoadOptions} options
   * @returns {Promise<KganGenerator>}
   */
  static async fromBytes(bytes, where, options) {
    const maxBytes = checkMaxBytes(options.maxBytes);
    if (bytes.length === 0) throw new ModelLoadError(`${where} is empty (0 bytes); expected an ONNX model file.`);
    const { ort } = options;
    /** @type {Record<string, unknown>} */
    const sessionOptions = { graphOptimizationLevel: 'all', ...(options.sessionOptions ?? {}) };
    if (options.executionProviders) sessionOptions.executionProviders = options.executionProviders;
    let session;
    try {
      session = await ort.InferenceSession.create(bytes, sessionOptions);
    } catch (err) {
      throw new ModelLoadError(
        `${where}: onnxruntime cannot load this file (not ONNX, truncated or an invalid graph): ${errorText(err)}`,
        { cause: err },
      );
    }
    try {
      let metadata;
      try {
        metadata = readMetadata(bytes);
      } catch (err) {
        throw new ModelLoadError(`${where}: cannot read ONNX metadata: ${errorText(err)}`, { cause: err });
      }
      const contract = parseContract(metadata, where);
      let graph;
      try {
        graph = sessionArgs(session);
      } catch (err) {
        throw new ModelLoadError(
          `${where}: cannot read the ONNX graph's inputs and outputs (corrupted file?): ${errorText(err)}`,
          { cause: err },
        );
      }
      checkGraph(contract, graph, where);
      return new KganGenerator(session, ort, contract, metadata.get('kgan.contract') ?? '', where, maxBytes,
        /** @type {string[] | undefined} */ (sessionOptions.executionProviders));
    } catch (err) {
      await session.release?.().catch(() => {});
      throw err;
    }
  }

  /**
   * Use {@link KganGenerator.load}.
   * @param {any} session
   * @param {any} ort
   * @param {Contract} contract
   * @param {string} contractText
   * @param {string} where
   * @param {number | null} maxBytes
   * @param {string[] | undefined} providers
   */
  constructor(session, ort, contract, contractText, where, maxBytes, providers) {
    /** @private */ this.session = session;
    /** @private */ this.ort = ort;
    /** @private */ this.spec = contract;
    /** @private */ this.contractText = contractText;
    /** The file, URL or name errors use. */
    this.source = where;
    /** Memory budget of one call in bytes (null: unlimited). */
    this.maxBytes = maxBytes;
    /** The execution providers asked for (undefined: onnxruntime's default). */
    this.executionProviders = providers ? providers.map((p) => (typeof p === 'string' ? p : String(/** @type {any} */ (p).name))) : undefined;
    const outDims = /** @type {number[]} */ (contract.output.shape.slice(1));
    /** @private */ this.sampleSize = outDims.reduce((a, b) => a * b, 1);
    /** @private */ this.bytesPerSample = 4 * contract.latentDim + (contract.numClasses === null ? 0 : 4) +
      this.sampleSize * (contract.output.dtype === 'uint8' ? 1 : 4);
    /** @private @type {Promise<unknown>} */ this.queue = Promise.resolve();
  }

  /** The parsed contract JSON (a fresh copy). @returns {Record<string, any>} */
  get contract() { return JSON.parse(this.contractText); }
  /** Size of one latent vector. */
  get latentDim() { return this.spec.latentDim; }
  /** Number of classes of a conditional generator; null if unconditional. */
  get numClasses() { return this.spec.numClasses; }
  /** Output shape with null for the batch, e.g. `[null, 28, 28, 1]`. */
  get outputShape() { return [...this.spec.output.shape]; }
  /** `'float32'` or `'uint8'`. */
  get outputDtype() { return this.spec.output.dtype; }
  /** `'NHWC'` (images) or `'NF'` (feature vectors). */
  get layout() { return this.spec.layout; }
  /** `[low, high]` of the sample values. */
  get valueRange() { return /** @type {[number, number]} */ ([...this.spec.valueRange]); }
  /** `['z']`, or `['z', 'labels']` if conditional. */
  get inputNames() { return Object.keys(this.spec.inputs); }

  /**
   * Draw `n` latents from `seed` (numpy's stream, all drawn before batching) and generate.
   * @param {number} n >= 1.
   * @param {{seed?: Seed | null, labels?: unknown, batchSize?: number}} [options]
   *   `labels`: conditional generators only, `n` integers in [0, numClasses) or one integer
   *   (default `i % numClasses`). `batchSize`: samples per onnxruntime call (default 256).
   * @returns {Promise<Samples>}
   * @throws {InvalidInputError} For a bad `n`, `seed`, `labels`, `batchSize`, or over `maxBytes`.
   * @throws {InferenceError} If onnxruntime fails, or the output breaks the contract.
   */
  async sample(n, { seed, labels, batchSize = 256 } = {}) {
    n = checkInt(n, 'n');
    batchSize = checkInt(batchSize, 'batchSize');
    const big = checkSeed(seed);
    this.checkBudget(n);
    const labelArray = this.prepareLabels(labels, n);
    const rng = new NumpyRandom(big);
    const z = rng.fillStandardNormal(new Float32Array(n * this.latentDim));
    return this.generate(z, n, labelArray, batchSize);
  }

  /**
   * Generate from latents made by the caller.
   * @param {unknown} z `{data, dims: [batch, latentDim]}` (Float32Array or Float64Array data, as
   *   `sampleLatents` returns), an array of `batch` rows, or a flat Float32Array/Float64Array of
   *   `batch * latentDim` values. Every value must be finite after rounding to float32.
   * @param {unknown} [labels] As in {@link KganGenerator#sample}, with `batch` for `n`.
   * @param {{batchSize?: number}} [options] Samples per onnxruntime call (default: all at once).
   * @returns {Promise<Samples>}
   * @throws {InvalidInputError} For bad `z`, `labels` or `batchSize`, or over `maxBytes`.
   * @throws {InferenceError} If onnxruntime fails, or the output breaks the contract.
   */
  async run(z, labels, { batchSize } = {}) {
    const [data, batch] = this.prepareZ(z);
    if (batchSize !== undefined) batchSize = checkInt(batchSize, 'batchSize');
    const labelArray = this.prepareLabels(labels, batch);
    return this.generate(data, batch, labelArray, batchSize ?? batch);
  }

  /** Release onnxruntime's session. */
  async release() {
    await this.session.release?.();
  }

  /** @private @param {number} n */
  checkBudget(n) {
    checkBudget(n * this.bytesPerSample, this.maxBytes, `generating ${n} samples`);
  }

  /**
   * @private
   * @param {unknown} z
   * @returns {[Float32Array, number]}
   */
  prepareZ(z) {
    const d = this.latentDim;
    const shapeError = (/** @type {string} */ got) =>
      new InvalidInputError(`z must have shape (batch, ${d}) with batch >= 1; got ${got}.`);
    /** @type {ArrayLike<unknown>[] | null} */ let rows = null;
    /** @type {ArrayLike<unknown> | null} */ let flat = null;
    let batch = 0;
    if (z && typeof z === 'object' && !Array.isArray(z) && 'data' in z && 'dims' in z) {
      const { data, dims } = /** @type {{data: unknown, dims: unknown}} */ (z);
      if (!FLOAT_ARRAYS.some((T) => data instanceof T)) {
        throw new InvalidInputError(
          `z must have a real floating dtype (Float32Array or Float64Array data); got ${describe(data)}.`,
        );
      }
      if (!Array.isArray(dims) || dims.length !== 2 || !dims.every((v) => Number.isSafeInteger(v))) {
        throw shapeError(`dims ${describe(dims)}`);
      }
      if (dims[0] < 1 || dims[1] !== d) throw shapeError(`(${dims.join(', ')})`);
      if (/** @type {Float32Array} */ (data).length !== dims[0] * dims[1]) {
        throw new InvalidInputError(`z.data must hold ${dims[0] * dims[1]} values for dims (${dims.join(', ')}); got ${/** @type {Float32Array} */ (data).length}.`);
      }
      flat = /** @type {Float32Array} */ (data);
      batch = dims[0];
    } else if (FLOAT_ARRAYS.some((T) => z instanceof T)) {
      const length = /** @type {Float32Array} */ (z).length;
      if (length === 0 || length % d !== 0) throw shapeError(`a flat array of ${length} values, not a multiple of ${d}`);
      flat = /** @type {Float32Array} */ (z);
      batch = length / d;
    } else if (Array.isArray(z)) {
      if (z.length === 0) throw shapeError('(0, ...)');
      for (const row of z) {
        const isRow = Array.isArray(row) || FLOAT_ARRAYS.some((T) => row instanceof T);
        if (!isRow) {
          throw new InvalidInputError(`z must be an array of rows of ${d} numbers; got a row that is ${describe(row)}.`);
        }
        if (row.length !== d) throw shapeError(`(${z.length}, ${row.length}) (a row of ${row.length} values)`);
      }
      rows = z;
      batch = z.length;
    } else if (ArrayBuffer.isView(z)) {
      throw new InvalidInputError(
        `z must have a real floating dtype (Float32Array or Float64Array); got ${typeName(z)}.`,
      );
    } else {
      throw new InvalidInputError(
        `z must be latents {data, dims: [batch, ${d}]}, an array of rows or a Float32Array; got ${describe(z)} of type ${typeName(z)}.`,
      );
    }
    this.checkBudget(batch);
    const out = new Float32Array(batch * d);
    if (flat) {
      out.set(/** @type {ArrayLike<number>} */ (flat));
    } else {
      for (let i = 0; i < batch; i++) {
        const row = /** @type {ArrayLike<unknown>} */ (/** @type {ArrayLike<unknown>[]} */ (rows)[i]);
        for (let j = 0; j < d; j++) {
          const v = row[j];
          if (typeof v !== 'number') {
            throw new InvalidInputError(`z must hold numbers; got ${describe(v)} at index (${i}, ${j}).`);
          }
          out[i * d + j] = v;
        }
      }
    }
    let bad = 0;
    let first = -1;
    for (let i = 0; i < out.length; i++) {
      if (!Number.isFinite(out[i])) {
        bad++;
        if (first < 0) first = i;
      }
    }
    if (bad) {
      throw new InvalidInputError(
        `z must be finite; got ${bad} NaN/Inf value(s) after conversion to float32, first at index ` +
          `(${Math.floor(first / d)}, ${first % d}).`,
      );
    }
    return [out, batch];
  }

  /**
   * @private
   * @param {unknown} labels
   * @param {number} n
   * @returns {Int32Array | null}
   */
  prepareLabels(labels, n) {
    const k = this.numClasses;
    if (k === null) {
      if (labels !== undefined && labels !== null) {
        throw new InvalidInputError(
          'labels were given but this generator is unconditional (num_classes is null); expected labels=null.',
        );
      }
      return null;
    }
    if (labels === undefined || labels === null) return defaultLabels(n, k, { maxBytes: null });
    /** @type {ArrayLike<unknown>} */
    let values;
    if (typeof labels === 'number' || typeof labels === 'bigint') {
      values = [labels];
    } else if (Array.isArray(labels) || (ArrayBuffer.isView(labels) && !(labels instanceof DataView))) {
      if (FLOAT_ARRAYS.some((T) => labels instanceof T)) {
        throw new InvalidInputError(`labels must be integers in [0, ${k}); got dtype ${typeName(labels)}.`);
      }
      values = /** @type {ArrayLike<unknown>} */ (labels);
      if (values.length !== n) {
        throw new InvalidInputError(
          `labels must have shape (${n},) to match ${n} samples, or be one integer; got shape (${values.length},).`,
        );
      }
    } else {
      throw new InvalidInputError(
        `labels must be integers of shape (${n},) or one integer; got ${describe(labels)} of type ${typeName(labels)}.`,
      );
    }
    const out = new Int32Array(n);
    let bad = 0;
    let firstBad = -1;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!(typeof v === 'bigint' || Number.isInteger(v))) {
        throw new InvalidInputError(
          `labels must be integers in [0, ${k}); got ${describe(v)} of type ${typeName(v)} at index ${i}.`,
        );
      }
      const num = Number(v);
      if (!(num >= 0 && num < k)) {
        bad++;
        if (firstBad < 0) firstBad = i;
      } else {
        out[i] = num;
      }
    }
    if (bad) {
      throw new InvalidInputError(
        `labels must lie in [0, ${k}); got ${values.length === 1 ? (bad ? n : 0) : bad} value(s) out of range, ` +
          `first ${values[firstBad]} at index ${firstBad}.`,
      );
    }
    if (values.length === 1 && n > 1) out.fill(out[0]);
    return out;
  }

  /**
   * @private
   * @param {Float32Array} z
   * @param {number} total
   * @param {Int32Array | null} labels
   * @param {number} batchSize
   * @returns {Promise<Samples>}
   */
  async generate(z, total, labels, batchSize) {
    const d = this.latentDim;
    const dims = [total, .../** @type {number[]} */ (this.spec.output.shape.slice(1))];
    if (total <= batchSize) return { data: await this.runBatch(z, total, labels), dims };
    const data = this.outputDtype === 'uint8' ? new Uint8Array(total * this.sampleSize) : new Float32Array(total * this.sampleSize);
    for (let start = 0; start < total; start += batchSize) {
      const stop = Math.min(start + batchSize, total);
      const part = await this.runBatch(z.subarray(start * d, stop * d), stop - start, labels?.subarray(start, stop) ?? null);
      data.set(part, start * this.sampleSize);
    }
    return { data, dims };
  }

  /**
   * One onnxruntime call, serialized (a session runs one call at a time), checked against the contract.
   * @private
   * @param {Float32Array} z
   * @param {number} batch
   * @param {Int32Array | null} labels
   * @returns {Promise<Float32Array | Uint8Array>}
   */
  runBatch(z, batch, labels) {
    const job = this.queue.then(() => this.runNow(z, batch, labels));
    this.queue = job.catch(() => {});
    return job;
  }

  /**
   * @private
   * @param {Float32Array} z
   * @param {number} batch
   * @param {Int32Array | null} labels
   * @returns {Promise<Float32Array | Uint8Array>}
   */
  async runNow(z, batch, labels) {
    const { Tensor } = this.ort;
    /** @type {Record<string, unknown>} */
    const feeds = { [LATENT_INPUT]: new Tensor('float32', z, [batch, this.latentDim]) };
    if (labels) feeds[LABEL_INPUT] = new Tensor('int32', labels, [batch]);
    let result;
    try {
      result = (await this.session.run(feeds, [OUTPUT]))[OUTPUT];
    } catch (err) {
      throw new InferenceError(`${this.source}: onnxruntime failed on a batch of ${batch}: ${errorText(err)}`, { cause: err });
    }
    const expected = [batch, .../** @type {number[]} */ (this.spec.output.shape.slice(1))];
    const got = result?.dims ? Array.from(result.dims, Number) : null;
    if (!got || got.length !== expected.length || got.some((v, i) => v !== expected[i])) {
      throw new InferenceError(
        `${this.source}: the model returned shape (${got ? got.join(', ') : typeName(result)}); the kgan contract ` +
          `promises (${expected.join(', ')}).`,
      );
    }
    if (result.type !== this.outputDtype) {
      throw new InferenceError(
        `${this.source}: the model returned dtype ${result.type}; the kgan contract promises ${this.outputDtype}.`,
      );
    }
    const data = typeof result.getData === 'function' && result.location && result.location !== 'cpu'
      ? await result.getData(true)
      : result.data;
    if (this.outputDtype === 'float32') {
      let bad = 0;
      for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) bad++;
      if (bad) {
        throw new InferenceError(
          `${this.source}: the model returned ${bad} NaN/Inf value(s) in a batch of ${batch} (corrupted weights?).`,
        );
      }
    }
    result.dispose?.();
    return data;
  }
}

/**
 * @param {URL | string} url
 * @param {typeof fetch | undefined} fetchFn
 * @returns {Promise<Uint8Array>}
 */
async function fetchBytes(url, fetchFn) {
  if (typeof fetchFn !== 'function') {
    throw new ModelLoadError(`${url}: cannot fetch the model: no fetch() here (pass options.fetch, or bytes).`);
  }
  let response;
  try {
    response = await fetchFn(url);
  } catch (err) {
    throw new ModelLoadError(`${url}: cannot fetch the model: ${errorText(err)}`, { cause: err });
  }
  if (!response.ok) {
    throw new ModelLoadError(`${url}: cannot fetch the model: HTTP ${response.status} ${response.statusText}`.trim());
  }
  try {
    return new Uint8Array(await response.arrayBuffer());
  } catch (err) {
    throw new ModelLoadError(`${url}: cannot read the model: ${errorText(err)}`, { cause: err });
  }
}
