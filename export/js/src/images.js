/**
 * Generator outputs to pixels: uint8 conversion, grids, RGBA for a canvas
 * (the rules of Python's `kgan_runtime.images`, which the tests compare pixel for pixel).
 *
 * @example
 * const samples = await gen.sample(16, { seed: 0 });
 * const grid = makeGrid(samples, { valueRange: gen.valueRange });
 * ctx.putImageData(toImageData(grid), 0, 0);
 * @module
 */
import { InvalidInputError } from './errors.js';
import { checkBudget, checkInt, checkMaxBytes, describe } from './checks.js';

/**
 * @typedef {object} Samples A row-major batch, as `sample()` and `run()` return it.
 * @property {Float32Array | Uint8Array} data
 * @property {number[]} dims `[n, height, width, channels]` (NHWC), `[n, height, width]`, or `[n, features]` (NF).
 */

/**
 * @typedef {object} Grid A uint8 picture, row-major, `channels` values per pixel.
 * @property {Uint8Array} data
 * @property {number} height
 * @property {number} width
 * @property {number} channels 1 (grey), 3 (RGB) or 4 (RGBA).
 */

/**
 * Round half to even, like numpy's `rint`.
 * @param {number} v
 * @returns {number}
 */
function rint(v) {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : r;
}

/**
 * @param {unknown} valueRange
 * @returns {[number, number]}
 */
function checkValueRange(valueRange) {
  if (!Array.isArray(valueRange) || valueRange.length !== 2 || !valueRange.every((v) => typeof v === 'number')) {
    throw new InvalidInputError(`valueRange must be a pair of numbers [low, high]; got ${describe(valueRange)}.`);
  }
  const [lo, hi] = valueRange;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) {
    throw new InvalidInputError(`valueRange must be finite with low < high; got [${lo}, ${hi}].`);
  }
  return [lo, hi];
}

/**
 * Map values linearly from `valueRange` to uint8 [0, 255]: low -> 0, high -> 255, rounded half to
 * even, clipped (Python's `to_uint8`). A Uint8Array is returned unchanged.
 * @param {ArrayLike<number>} values Float32Array, Float64Array, integer arrays or number arrays.
 * @param {[number, number]} [valueRange] Default [-1, 1].
 * @returns {Uint8Array}
 * @throws {InvalidInputError} For NaN values, non-numbers or a bad `valueRange`.
 * @example
 * toUint8(new Float32Array([-1, 0, 1])); // Uint8Array [0, 128, 255]
 */
export function toUint8(values, valueRange = [-1, 1]) {
  if (values instanceof Uint8Array) return values;
  const [lo, hi] = checkValueRange(valueRange);
  const scale = 255 / (hi - lo);
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (typeof x !== 'number' || Number.isNaN(x)) {
      throw new InvalidInputError(
        typeof x === 'number'
          ? `images contain NaN value(s), first at index ${i}; expected numbers in [${lo}, ${hi}].`
          : `images must hold numbers; got ${describe(x)} at index ${i}.`,
      );
    }
    out[i] = Math.min(255, Math.max(0, rint((x - lo) * scale)));
  }
  return out;
}

/**
 * Tile a batch of images into one uint8 picture (Python's `make_grid`): `nrow` images per row
 * (default ceil(sqrt(n))), `padding` black pixels between images and around the border.
 * @param {Samples} samples NHWC `[n, h, w, c]` or `[n, h, w]`.
 * @param {{nrow?: number, padding?: number, valueRange?: [number, number], maxBytes?: number | null}} [options]
 * @returns {Grid}
 * @throws {InvalidInputError} For a bad shape, `nrow`, `padding`, a grid over `maxBytes` or NaN values.
 * @example
 * makeGrid({ data: new Float32Array(64 * 28 * 28), dims: [64, 28, 28, 1] }, { nrow: 8, padding: 2 }); // 242 x 242 x 1
 */
export function makeGrid(samples, { nrow, padding = 1, valueRange = [-1, 1], maxBytes } = {}) {
  const dims = samples?.dims;
  if (!samples || !Array.isArray(dims) || !(dims.length === 3 || dims.length === 4) ||
      !dims.every((d) => Number.isSafeInteger(d) && d >= 1)) {
    throw new InvalidInputError(
      `images must be a non-empty batch of shape [n, h, w, c] or [n, h, w]; got dims ${JSON.stringify(dims)}.`,
    );
  }
  const [n, h, w, c = 1] = dims;
  if (!samples.data || samples.data.length !== n * h * w * c) {
    throw new InvalidInputError(`images data must hold ${n * h * w * c} values for dims ${JSON.stringify(dims)}.`);
  }
  let ncol = nrow === undefined || nrow === null ? Math.floor(Math.sqrt(n - 1)) + 1 : checkInt(nrow, 'nrow');
  // Math.sqrt is exact for perfect squares; correct any rounding for huge n.
  while (ncol * ncol < n && nrow == null) ncol++;
  ncol = Math.min(ncol, n);
  padding = checkInt(padding, 'padding', { minimum: 0 });
  const rows = Math.ceil(n / ncol);
  const height = rows * (h + padding) + padding;
  const width = ncol * (w + padding) + padding;
  checkBudget(height * width * c, checkMaxBytes(maxBytes), `a [${height}, ${width}, ${c}] grid`);
  const pixels = toUint8(samples.data, valueRange);
  const data = new Uint8Array(height * width * c);
  for (let i = 0; i < n; i++) {
    const y0 = padding + Math.floor(i / ncol) * (h + padding);
    const x0 = padding + (i % ncol) * (w + padding);
    for (let y = 0; y < h; y++) {
      const src = ((i * h + y) * w) * c;
      data.set(pixels.subarray(src, src + w * c), ((y0 + y) * width + x0) * c);
    }
  }
  return { data, height, width, channels: c };
}

/**
 * Nearest-neighbour upscaling of a grid by an integer factor.
 * @param {Grid} grid
 * @param {number} scale >= 1
 * @returns {Grid}
 */
export function scaleGrid(grid, scale) {
  scale = checkInt(scale, 'scale');
  if (scale === 1) return grid;
  const { height, width, channels: c } = grid;
  const data = new Uint8Array(height * scale * width * scale * c);
  const rowLength = width * scale * c;
  for (let y = 0; y < height; y++) {
    const row = new Uint8Array(rowLength);
    for (let x = 0; x < width; x++) {
      const px = grid.data.subarray((y * width + x) * c, (y * width + x + 1) * c);
      for (let k = 0; k < scale; k++) row.set(px, (x * scale + k) * c);
    }
    for (let k = 0; k < scale; k++) data.set(row, (y * scale + k) * rowLength);
  }
  return { data, height: height * scale, width: width * scale, channels: c };
}

/**
 * RGBA pixels (opaque) of a grey, RGB or RGBA grid, for `ImageData` or a PNG.
 * @param {Grid} grid
 * @returns {Uint8ClampedArray}
 * @throws {InvalidInputError} If `channels` is not 1, 3 or 4.
 */
export function toRGBA(grid) {
  const { data, height, width, channels } = grid;
  if (![1, 3, 4].includes(channels)) {
    throw new InvalidInputError(`images must have 1 or 3 channels to be shown; got ${channels}.`);
  }
  const out = new Uint8ClampedArray(height * width * 4);
  for (let p = 0; p < height * width; p++) {
    if (channels === 1) {
      out[4 * p] = out[4 * p + 1] = out[4 * p + 2] = data[p];
      out[4 * p + 3] = 255;
    } else {
      out[4 * p] = data[channels * p];
      out[4 * p + 1] = data[channels * p + 1];
      out[4 * p + 2] = data[channels * p + 2];
      out[4 * p + 3] = channels === 4 ? data[4 * p + 3] : 255;
    }
  }
  return out;
}

/**
 * An `ImageData` for `CanvasRenderingContext2D.putImageData` (browsers, or any global ImageData).
 * @param {Grid} grid
 * @returns {ImageData}
 */
export function toImageData(grid) {
  return new ImageData(/** @type {Uint8ClampedArray<ArrayBuffer>} */ (toRGBA(grid)), grid.width, grid.height);
}
