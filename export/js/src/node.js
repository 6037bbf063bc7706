/**
 * kgan-runtime for Node: everything in ./index.js, plus loading from a file path with
 * onnxruntime-node by default, and PNG files (fast-png).
 *
 * @example
 * import { loadGenerator, saveGrid } from 'kgan-runtime';
 * const gen = await loadGenerator('generator.onnx'); // onnxruntime-node unless options.ort is given
 * await saveGrid(await gen.sample(64, { seed: 0 }), 'grid.png', { valueRange: gen.valueRange, scale: 4 });
 * @module
 */
import { randomUUID } from 'node:crypto';
import { open, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encode } from 'fast-png';
import { InvalidInputError, ModelLoadError, oneLine } from './errors.js';
import { describe, typeName } from './checks.js';
import { KganGenerator } from './generator.js';
import { makeGrid, scaleGrid } from './images.js';

export * from './index.js';

/** @typedef {import('./generator.js').LoadOptions} LoadOptions */
/** @typedef {import('./images.js').Grid} Grid */
/** @typedef {import('./images.js').Samples} Samples */

/**
 * Load a kgan generator from a file path, a URL or bytes (see {@link KganGenerator.load}).
 * @param {string | URL | Uint8Array | ArrayBuffer} source A path, an http(s)/file URL, or bytes.
 * @param {Partial<LoadOptions> & {threads?: number}} [options] `ort` defaults to onnxruntime-node
 *   (CPU, idle threads sleeping rather than spinning, as in Python); `threads` sets its intra-op
 *   threads.
 * @returns {Promise<KganGenerator>}
 * @throws {ModelLoadError} For a missing, unreadable, non-regular, empty or invalid file.
 * @throws {InvalidInputError} For bad arguments.
 */
export async function loadGenerator(source, options = {}) {
  const ort = options.ort ?? (await import('onnxruntime-node'));
  // As Python's runtime: idle intra-op threads sleep instead of spinning, which keeps batches
  // fast on a busy machine (spinning threads take the cores from the thread doing the work).
  const defaults = options.ort ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } };
  const sessionOptions = { ...defaults, ...(options.sessionOptions ?? {}) };
  if (options.threads !== undefined) {
    if (!Number.isSafeInteger(options.threads) || options.threads < 1 || options.threads > 256) {
      throw new InvalidInputError(`threads must be an integer in [1, 256]; got ${describe(options.threads)}.`);
    }
    Object.assign(sessionOptions, { intraOpNumThreads: options.threads });
  }
  const full = { ...options, ort, sessionOptions };
  const isUrl = source instanceof URL || (typeof source === 'string' && /^https?:\/\//i.test(source));
  if (isUrl && String(source).startsWith('file:')) {
    const file = new URL(String(source));
    return KganGenerator.fromBytes(await readModelFile(file.pathname), file.pathname, full);
  }
  if (typeof source === 'string' && !isUrl) {
    return KganGenerator.fromBytes(await readModelFile(source), source, full);
  }
  if (!(isUrl || source instanceof Uint8Array || source instanceof ArrayBuffer)) {
    throw new InvalidInputError(
      `source must be a path, a URL or bytes; got ${describe(source)} of type ${typeName(source)}.`,
    );
  }
  return KganGenerator.load(source, full);
}

/**
 * Read a model file with the checks of Python's runtime: missing, a folder, not a regular file
 * (a FIFO or device is refused without being read), empty, unreadable.
 * @param {string} file
 * @returns {Promise<Uint8Array>}
 */
async function readModelFile(file) {
  if (file.includes('\0')) throw new ModelLoadError(`cannot read model file ${JSON.stringify(file)}: embedded NUL byte`);
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    const code = /** @type {NodeJS.ErrnoException} */ (err).code;
    if (code === 'ENOENT') throw new ModelLoadError(`model file not found: ${file}`, { cause: err });
    throw new ModelLoadError(`cannot read model file ${file}: ${oneLine(code ?? err)}`, { cause: err });
  }
  if (info.isDirectory()) throw new ModelLoadError(`${file} is a directory; expected an ONNX model file.`);
  if (!info.isFile()) {
    throw new ModelLoadError(`${file} is not a regular file (a pipe, socket or device); expected an ONNX model file.`);
  }
  if (info.size === 0) throw new ModelLoadError(`${file} is empty (0 bytes); expected an ONNX model file.`);
  try {
    const handle = await open(file, 'r');
    try {
      return new Uint8Array(await handle.readFile());
    } finally {
      await handle.close();
    }
  } catch (err) {
    const code = /** @type {NodeJS.ErrnoException} */ (err).code;
    throw new ModelLoadError(`cannot read model file ${file}: ${oneLine(code ?? err)}`, { cause: err });
  }
}

/**
 * Write a grid as a PNG (grey for 1 channel, RGB for 3, RGBA for 4), atomically: a temporary file
 * in the same folder renamed into place, so readers never see half a PNG.
 * @param {Grid} grid
 * @param {string} file
 * @returns {Promise<string>} `file`.
 */
export async function savePng(grid, file) {
  if (![1, 3, 4].includes(grid?.channels)) {
    throw new InvalidInputError(`a PNG needs 1, 3 or 4 channels; got ${describe(grid?.channels)}.`);
  }
  const png = encode({ width: grid.width, height: grid.height, data: grid.data, channels: grid.channels, depth: 8 });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
  try {
    await writeFile(tmp, png, { flag: 'wx' });
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  return file;
}

/**
 * Save a batch of NHWC samples (1 or 3 channels) as one PNG grid, like Python's `save_grid`.
 * @param {Samples} samples
 * @param {string} file
 * @param {{nrow?: number, padding?: number, scale?: number, valueRange?: [number, number], maxBytes?: number | null}} [options]
 * @returns {Promise<string>}
 */
export async function saveGrid(samples, file, { scale = 1, ...options } = {}) {
  const rank = samples?.dims?.length;
  const c = rank === 3 ? 1 : rank === 4 ? samples.dims[3] : null;
  if (![1, 3].includes(c)) {
    throw new InvalidInputError(`saveGrid needs images of shape [n, h, w, c] with c in {1, 3}; got dims ${JSON.stringify(samples?.dims)}.`);
  }
  return savePng(scaleGrid(makeGrid(samples, options), scale), file);
}
