/**
 * Latent-space tools, bit-identical to Python's `kgan_runtime.latent_tools` (CONTRACT.md,
 * "Latent tools", defines every operation to the last float).
 *
 * - {@link lerp} / {@link slerp}: linear and spherical interpolation between two latents;
 * - {@link interpolate}: between the latents of two seeds; {@link walk}: through several seeds;
 * - {@link truncate}: the truncation trick by scaling towards the mean (0) by `psi`;
 * - {@link truncatedLatents}: the truncation trick by resampling values beyond a threshold
 *   from the seed's own stream.
 *
 * @example
 * const frames = interpolate(1, 2, 8, gen.latentDim); // 8 latents from seed 1's to seed 2's
 * const images = await gen.run(frames);
 * @module
 */
import { InvalidInputError } from './errors.js';
import { checkBudget, checkInt, checkMaxBytes, describe, typeName } from './checks.js';
import { checkSeed, NumpyRandom, sampleLatents } from './latents.js';

/** @typedef {import('./latents.js').Latents} Latents */
/** @typedef {import('./latents.js').Seed} Seed */
/** @typedef {Float32Array | Float64Array | number[]} Vector */

/** Interpolation methods. */
export const METHODS = ['slerp', 'lerp'];
/** slerp falls back to lerp when sin(angle) is below this (parallel or opposite latents). */
export const SLERP_EPSILON = 1e-7;
/** Smallest `threshold` of {@link truncatedLatents} (8% of draws are kept at 0.1). */
export const MIN_THRESHOLD = 0.1;

/**
 * @param {unknown} v
 * @param {string} name
 * @returns {Float32Array} The vector rounded to float32 (latents are float32).
 */
function vector(v, name) {
  const ok = v instanceof Float32Array || v instanceof Float64Array ||
    (Array.isArray(v) && v.every((x) => typeof x === 'number'));
  if (!ok || /** @type {ArrayLike<number>} */ (v).length === 0) {
    throw new InvalidInputError(
      `${name} must be a non-empty Float32Array, Float64Array or array of numbers; got ${describe(v)} of type ${typeName(v)}.`,
    );
  }
  const out = Float32Array.from(/** @type {ArrayLike<number>} */ (v));
  const bad = out.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new InvalidInputError(`${name} must be finite after conversion to float32; got ${out[bad]} at index ${bad}.`);
  return out;
}

/**
 * @param {unknown} t
 * @returns {number[]}
 */
function times(t) {
  const list = typeof t === 'number' ? [t] : Array.isArray(t) || t instanceof Float64Array || t instanceof Float32Array ? Array.from(t) : null;
  if (!list || list.length === 0 || !list.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new InvalidInputError(`t must be a finite number or a non-empty array of finite numbers; got ${describe(t)}.`);
  }
  return list;
}

/**
 * Sum left to right in float64 (the order both runtimes use).
 * @param {Float32Array} a
 * @param {Float32Array} b
 */
function dot(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * The slerp weights `[wa, wb]` of `a` and `b` at each t, or null when slerp falls back to lerp.
 * @param {Float32Array} a
 * @param {Float32Array} b
 * @param {number[]} ts
 * @returns {[number, number][] | null}
 */
function slerpWeights(a, b, ts) {
  const na = Math.sqrt(dot(a, a));
  const nb = Math.sqrt(dot(b, b));
  if (na === 0 || nb === 0) return null;
  const cos = Math.min(1, Math.max(-1, dot(a, b) / (na * nb)));
  const omega = Math.acos(cos);
  const so = Math.sin(omega);
  if (so < SLERP_EPSILON) return null;
  return ts.map((t) => [Math.sin((1 - t) * omega) / so, Math.sin(t * omega) / so]);
}

/**
 * @param {Float32Array} a
 * @param {Float32Array} b
 * @param {[number, number][]} weights
 * @returns {Float32Array}
 */
function combine(a, b, weights) {
  const d = a.length;
  const out = new Float32Array(weights.length * d);
  weights.forEach(([wa, wb], row) => {
    for (let i = 0; i < d; i++) out[row * d + i] = wa * a[i] + wb * b[i];
  });
  return out;
}

/**
 * @param {unknown} a
 * @param {unknown} b
 * @param {unknown} t
 * @param {'lerp' | 'slerp'} method
 * @returns {Float32Array | Latents}
 */
function between(a, b, t, method) {
  const va = vector(a, 'a');
  const vb = vector(b, 'b');
  if (va.length !== vb.length) {
    throw new InvalidInputError(`a and b must have the same length; got ${va.length} and ${vb.length}.`);
  }
  const ts = times(t);
  const weights = (method === 'slerp' && slerpWeights(va, vb, ts)) || ts.map((x) => /** @type {[number, number]} */ ([1 - x, x]));
  const data = combine(va, vb, weights);
  return typeof t === 'number' ? data : { data, dims: [ts.length, va.length] };
}

/**
 * Linear interpolation `(1 - t) a + t b`, in float64, rounded to float32.
 * @param {Vector} a
 * @param {Vector} b
 * @param {number | number[]} t One t (returns a vector) or several (returns `[t.length, d]` latents).
 * @returns {Float32Array | Latents}
 * @example
 * lerp([0, 2], [2, 0], 0.25); // Float32Array [0.5, 1.5]
 */
export function lerp(a, b, t) {
  return between(a, b, t, 'lerp');
}

/**
 * Spherical interpolation (Shoemake; White 2016 for GAN latents):
 * `sin((1 - t) w) / sin w * a + sin(t w) / sin w * b`, w the angle between a and b,
 * which keeps the norm typical of Gaussian latents along the way. Falls back to {@link lerp}
 * for a zero vector or when sin w < {@link SLERP_EPSILON}.
 * @param {Vector} a
 * @param {Vector} b
 * @param {number | number[]} t
 * @returns {Float32Array | Latents}
 * @example
 * slerp([1, 0], [0, 1], 0.5); // Float32Array [0.7071068, 0.7071068]
 */
export function slerp(a, b, t) {
  return between(a, b, t, 'slerp');
}

/**
 * @param {unknown} method
 * @returns {'lerp' | 'slerp'}
 */
function checkMethod(method) {
  if (typeof method !== 'string' || !METHODS.includes(method)) {
    throw new InvalidInputError(`method must be one of ${JSON.stringify(METHODS)}; got ${describe(method)}.`);
  }
  return /** @type {'lerp' | 'slerp'} */ (method);
}

/**
 * `steps` latents from seed A's latent to seed B's (`sampleLatents(1, d, seed)`), at
 * t = i / (steps - 1): frames of an interpolation video.
 * @param {Seed} seedA
 * @param {Seed} seedB
 * @param {number} steps >= 2.
 * @param {number} latentDim
 * @param {{method?: 'slerp' | 'lerp', maxBytes?: number | null}} [options]
 * @returns {Latents}
 * @example
 * const z = interpolate(0, 1, 5, 64); // z.dims: [5, 64]; rows 0 and 4 are seeds 0 and 1
 */
export function interpolate(seedA, seedB, steps, latentDim, { method = 'slerp', maxBytes } = {}) {
  steps = checkInt(steps, 'steps', { minimum: 2 });
  return walk([seedA, seedB], steps - 1, latentDim, { method, maxBytes });
}

/**
 * A latent walk through the latents of `seeds` (keyframes): `steps` frames per segment at
 * t = j / steps, then the last keyframe; with `loop`, a last segment back to the first seed
 * instead (for a seamless animation). `(seeds.length - 1) * steps + 1` frames, or
 * `seeds.length * steps` with `loop`.
 * @param {Seed[]} seeds At least 2.
 * @param {number} steps Frames per segment (>= 1).
 * @param {number} latentDim
 * @param {{method?: 'slerp' | 'lerp', loop?: boolean, maxBytes?: number | null}} [options]
 * @returns {Latents}
 * @example
 * walk([3, 1, 4], 10, 64, { loop: true }).dims; // [30, 64]
 */
export function walk(seeds, steps, latentDim, { method = 'slerp', loop = false, maxBytes } = {}) {
  if (!Array.isArray(seeds) || seeds.length < 2) {
    throw new InvalidInputError(`seeds must be an array of at least 2 seeds; got ${describe(seeds)}.`);
  }
  seeds.forEach((s, i) => checkSeed(s, `seeds[${i}]`));
  steps = checkInt(steps, 'steps');
  latentDim = checkInt(latentDim, 'latentDim');
  const how = checkMethod(method);
  if (typeof loop !== 'boolean') throw new InvalidInputError(`loop must be true or false; got ${describe(loop)}.`);
  const segments = loop ? seeds.length : seeds.length - 1;
  const frames = segments * steps + (loop ? 0 : 1);
  checkBudget(frames * latentDim * 4, checkMaxBytes(maxBytes), `${frames} latents of size ${latentDim}`);
  const keys = seeds.map((s) => sampleLatents(1, latentDim, s, { maxBytes: null }).data);
  const ts = Array.from({ length: steps }, (_, j) => j / steps);
  const data = new Float32Array(frames * latentDim);
  for (let k = 0; k < segments; k++) {
    const part = /** @type {Latents} */ (between(keys[k], keys[(k + 1) % keys.length], ts, how));
    data.set(part.data, k * steps * latentDim);
  }
  if (!loop) data.set(keys[keys.length - 1], segments * steps * latentDim);
  return { data, dims: [frames, latentDim] };
}

/**
 * The truncation trick by scaling: `psi * z` in float64, rounded to float32 (the latent prior's
 * mean is 0, so this pulls every latent towards the mean; psi = 1 leaves z unchanged).
 * @param {Latents | Vector} z Latents `{data, dims}` or one vector.
 * @param {number} psi A finite number, usually in [0, 1].
 * @returns {Latents | Float32Array} The same form as `z`.
 * @example
 * truncate(sampleLatents(4, 64, 0), 0.7);
 */
export function truncate(z, psi) {
  if (typeof psi !== 'number' || !Number.isFinite(psi)) {
    throw new InvalidInputError(`psi must be a finite number; got ${describe(psi)} of type ${typeName(psi)}.`);
  }
  if (z && typeof z === 'object' && 'data' in z && 'dims' in z) {
    const values = vector(/** @type {any} */ (z).data, 'z.data');
    const dims = /** @type {[number, number]} */ ([.../** @type {Latents} */ (z).dims]);
    return { data: values.map((v) => psi * v), dims };
  }
  return vector(z, 'z').map((v) => psi * v);
}

/**
 * The truncation trick by resampling: `sampleLatents(n, latentDim, seed)`, then every value
 * whose magnitude exceeds `threshold` is replaced, in row-major order, by the next value of the
 * same seed's stream (standard normals rounded to float32) whose magnitude does not.
 * @param {number} n
 * @param {number} latentDim
 * @param {Seed} seed A seed is required (the replacements come from its stream).
 * @param {number} threshold A finite number >= {@link MIN_THRESHOLD}, e.g. 1 or 2.
 * @param {{maxBytes?: number | null}} [options]
 * @returns {Latents}
 * @example
 * truncatedLatents(16, 64, 0, 1.5); // every |value| <= 1.5
 */
export function truncatedLatents(n, latentDim, seed, threshold, { maxBytes } = {}) {
  n = checkInt(n, 'n');
  latentDim = checkInt(latentDim, 'latentDim');
  const big = checkSeed(seed);
  if (big === null) throw new InvalidInputError('seed must be an integer >= 0 for truncatedLatents; got null.');
  if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold < MIN_THRESHOLD) {
    throw new InvalidInputError(`threshold must be a finite number >= ${MIN_THRESHOLD}; got ${describe(threshold)}.`);
  }
  checkBudget(n * latentDim * 4, checkMaxBytes(maxBytes), `${n} latents of size ${latentDim}`);
  const rng = new NumpyRandom(big);
  const data = rng.fillStandardNormal(new Float32Array(n * latentDim));
  for (let i = 0; i < data.length; i++) {
    while (Math.abs(data[i]) > threshold) data[i] = rng.standardNormal();
  }
  return { data, dims: [n, latentDim] };
}
