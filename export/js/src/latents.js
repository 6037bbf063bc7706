/**
 * Latents bit-identical to numpy: `default_rng(seed).standard_normal((n, d)).astype(float32)`.
 *
 * numpy's `default_rng(seed)` is the PCG64 bit generator (128-bit LCG, XSL-RR output) seeded
 * through `SeedSequence(seed)`; `standard_normal` is a 256-layer ziggurat on its 64-bit
 * words with numpy's own tables (./ziggurat_tables.js). This module implements the three
 * steps with BigInt where 64/128-bit integers are needed, so that a seed gives the same
 * float32 latents, hence the same images, in Python and JavaScript. CONTRACT.md specifies
 * the algorithm; the tests compare it with numpy for many seeds, including seeds >= 2**64.
 *
 * @example
 * const z = sampleLatents(4, 64, 0); // {data: Float32Array(256), dims: [4, 64]}
 * @module
 */
import { InvalidInputError } from './errors.js';
import { checkBudget, checkInt, checkMaxBytes, describe, typeName } from './checks.js';
import { FI, KI, NOR_INV_R, NOR_R, WI } from './ziggurat_tables.js';

/** Largest supported `numClasses`: class ids are fed to the model as int32. */
export const MAX_NUM_CLASSES = 2 ** 31;

/**
 * @typedef {object} Latents A row-major batch of latent vectors.
 * @property {Float32Array} data `dims[0] * dims[1]` values.
 * @property {[number, number]} dims `[n, latentDim]`.
 */

/** @typedef {number | bigint} Seed A non-negative integer (a safe integer or any BigInt). */

const MASK64 = (1n << 64n) - 1n;
const MASK128 = (1n << 128n) - 1n;
const PCG_MULTIPLIER = (2549297995355413924n << 64n) + 4865540595714422341n;
// numpy.random.SeedSequence's hash constants (bit_generator.pyx).
const INIT_A = 0x43b0d7e5;
const MULT_A = 0x931e8875;
const INIT_B = 0x8b51f9dd;
const MULT_B = 0x58f38ded;
const MIX_MULT_L = 0xca01f9dd;
const MIX_MULT_R = 0x4973f715;
const POOL_SIZE = 4;
const TWO_POW_M53 = 1 / 9007199254740992;

/**
 * Check a seed: a safe integer >= 0, a BigInt >= 0, or null/undefined (fresh entropy).
 * @param {unknown} seed
 * @param {string} [name]
 * @returns {bigint | null}
 */
export function checkSeed(seed, name = 'seed') {
  if (seed === null || seed === undefined) return null;
  if (typeof seed === 'bigint' || Number.isSafeInteger(seed)) {
    const big = BigInt(/** @type {number | bigint} */ (seed));
    if (big >= 0n) return big;
    throw new InvalidInputError(`${name} must be an integer >= 0; got ${seed}.`);
  }
  throw new InvalidInputError(
    `${name} must be an integer >= 0 (a safe integer or a BigInt) or null; got ${describe(seed)} ` +
      `of type ${typeName(seed)}.`,
  );
}

/**
 * numpy's SeedSequence(entropy).generate_state(4, uint64) as two 128-bit integers:
 * the PCG64 initial state and stream.
 * @param {bigint} entropy
 * @returns {[bigint, bigint]}
 */
function seedSequenceState(entropy) {
  const words = [];
  for (let rest = entropy; rest > 0n || words.length === 0; rest >>= 32n) {
    words.push(Number(rest & 0xffffffffn));
  }
  let hashConst = INIT_A;
  /** @param {number} value */
  const hashmix = (value) => {
    value = (value ^ hashConst) >>> 0;
    hashConst = Math.imul(hashConst, MULT_A) >>> 0;
    value = Math.imul(value, hashConst) >>> 0;
    return (value ^ (value >>> 16)) >>> 0;
  };
  /** @param {number} x @param {number} y */
  const mix = (x, y) => {
    const result = (Math.imul(MIX_MULT_L, x) - Math.imul(MIX_MULT_R, y)) >>> 0;
    return (result ^ (result >>> 16)) >>> 0;
  };
  const pool = new Array(POOL_SIZE);
  for (let i = 0; i < POOL_SIZE; i++) pool[i] = hashmix(i < words.length ? words[i] : 0);
  for (let src = 0; src < POOL_SIZE; src++) {
    for (let dst = 0; dst < POOL_SIZE; dst++) {
      if (src !== dst) pool[dst] = mix(pool[dst], hashmix(pool[src]));
    }
  }
  for (let src = POOL_SIZE; src < words.length; src++) {
    for (let dst = 0; dst < POOL_SIZE; dst++) pool[dst] = mix(pool[dst], hashmix(words[src]));
  }
  // generate_state(8 uint32 words), viewed little-endian as 4 uint64 words.
  let hash = INIT_B;
  const state = [];
  for (let i = 0; i < 8; i++) {
    let value = (pool[i % POOL_SIZE] ^ hash) >>> 0;
    hash = Math.imul(hash, MULT_B) >>> 0;
    value = Math.imul(value, hash) >>> 0;
    state.push((value ^ (value >>> 16)) >>> 0);
  }
  const u64 = [0, 2, 4, 6].map((i) => (BigInt(state[i + 1]) << 32n) | BigInt(state[i]));
  return [(u64[0] << 64n) | u64[1], (u64[2] << 64n) | u64[3]];
}

/** @returns {bigint} 128 bits of fresh entropy (numpy's SeedSequence(None) uses 128 too). */
function freshEntropy() {
  const words = new Uint32Array(4);
  globalThis.crypto.getRandomValues(words);
  return words.reduce((acc, w) => (acc << 32n) | BigInt(w), 0n);
}

/**
 * numpy's `Generator(PCG64(SeedSequence(seed)))` restricted to what kgan needs:
 * 64-bit words, doubles in [0, 1) and standard normals, in numpy's order.
 *
 * @example
 * const rng = new NumpyRandom(0);
 * rng.standardNormal(); // 0.12573022246361205, like numpy.random.default_rng(0).standard_normal()
 */
export class NumpyRandom {
  /** @param {Seed | null} [seed] A non-negative integer; null/undefined for fresh entropy. */
  constructor(seed) {
    const entropy = checkSeed(seed) ?? freshEntropy();
    const [initState, initSeq] = seedSequenceState(entropy);
    this.inc = ((initSeq << 1n) | 1n) & MASK128;
    this.state = 0n;
    this.step();
    this.state = (this.state + initState) & MASK128;
    this.step();
    /** High and low 32 bits of the last 64-bit word (kept as numbers for speed). */
    this.hi = 0;
    this.lo = 0;
  }

  /** @private */
  step() {
    this.state = (this.state * PCG_MULTIPLIER + this.inc) & MASK128;
  }

  /** Draw the next 64-bit word (PCG64 XSL-RR) into `this.hi` / `this.lo`. */
  next64() {
    this.step();
    const state = this.state;
    const xored = ((state >> 64n) ^ state) & MASK64;
    const rot = state >> 122n;
    const word = ((xored >> rot) | (xored << ((64n - rot) & 63n))) & MASK64;
    this.hi = Number(word >> 32n);
    this.lo = Number(word & 0xffffffffn);
  }

  /** @returns {bigint} The next 64-bit word, like numpy's `bit_generator.random_raw()`. */
  nextUint64() {
    this.next64();
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** @returns {number} A double in [0, 1): the next word's top 53 bits times 2**-53. */
  nextDouble() {
    this.next64();
    return (this.hi * 2097152 + (this.lo >>> 11)) * TWO_POW_M53;
  }

  /** @returns {number} One standard normal float64, numpy's `random_standard_normal`. */
  standardNormal() {
    for (;;) {
      this.next64();
      const { hi, lo } = this;
      const idx = lo & 0xff;
      const sign = (lo >>> 8) & 1;
      // rabs: bits 9..60 of the word (52 bits, exact in a double).
      const rabs = (hi & 0x1fffffff) * 8388608 + (lo >>> 9);
      let x = rabs * WI[idx];
      if (sign) x = -x;
      if (rabs < KI[idx]) return x;
      if (idx === 0) {
        for (;;) {
          const xx = -NOR_INV_R * Math.log1p(-this.nextDouble());
          const yy = -Math.log1p(-this.nextDouble());
          if (yy + yy > xx * xx) {
            // numpy tests bit 8 of rabs, i.e. bit 17 of the word.
            return (rabs / 256) % 2 >= 1 ? -(NOR_R + xx) : NOR_R + xx;
          }
        }
      }
      if ((FI[idx - 1] - FI[idx]) * this.nextDouble() + FI[idx] < Math.exp(-0.5 * x * x)) return x;
    }
  }

  /**
   * Fill `out` with standard normals rounded to float32 (numpy's `.astype(float32)`).
   * @param {Float32Array} out
   * @returns {Float32Array}
   */
  fillStandardNormal(out) {
    for (let i = 0; i < out.length; i++) out[i] = this.standardNormal();
    return out;
  }
}

/**
 * Draw `n` latent vectors exactly as kgan does in Python:
 * `numpy.random.default_rng(seed).standard_normal((n, latentDim)).astype(numpy.float32)`.
 *
 * @param {number} n Number of vectors (>= 1).
 * @param {number} latentDim Size of each vector (>= 1).
 * @param {Seed | null} [seed] Non-negative integer (BigInt for seeds beyond 2**53); null or
 *   undefined for fresh entropy (not reproducible).
 * @param {{maxBytes?: number | null}} [options] Refuse a result over `maxBytes` bytes
 *   (default 4 GiB; null: no limit), before allocating.
 * @returns {Latents}
 * @throws {InvalidInputError} For a bad `n`, `latentDim`, `seed` or `maxBytes`, or a result over
 *   `maxBytes`.
 * @example
 * sampleLatents(2, 3, 0).data; // Float32Array [0.1257302, -0.1321049, 0.6404227, 0.1049001, -0.5356694, 0.3615951]
 */
export function sampleLatents(n, latentDim, seed, { maxBytes } = {}) {
  n = checkInt(n, 'n');
  latentDim = checkInt(latentDim, 'latentDim');
  const big = checkSeed(seed);
  checkBudget(n * latentDim * 4, checkMaxBytes(maxBytes), `${n} latents of size ${latentDim}`);
  const rng = new NumpyRandom(big);
  return { data: rng.fillStandardNormal(new Float32Array(n * latentDim)), dims: [n, latentDim] };
}

/**
 * Labels used when a conditional generator is sampled without labels: `i % numClasses`.
 * @param {number} n Number of labels (>= 1).
 * @param {number} numClasses 2 to 2**31.
 * @param {{maxBytes?: number | null}} [options]
 * @returns {Int32Array}
 * @example
 * defaultLabels(5, 3); // Int32Array [0, 1, 2, 0, 1]
 */
export function defaultLabels(n, numClasses, { maxBytes } = {}) {
  n = checkInt(n, 'n');
  numClasses = checkInt(numClasses, 'numClasses', { minimum: 2, maximum: MAX_NUM_CLASSES });
  checkBudget(n * 4, checkMaxBytes(maxBytes), `${n} labels`);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = i % numClasses;
  return labels;
}

