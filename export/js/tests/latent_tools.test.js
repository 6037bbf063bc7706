// Latent tools: identical float32 arrays to Python's kgan_runtime.latent_tools.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { array, firstBitDifference, manifest } from './helpers/fixtures.js';
import { InvalidInputError } from '../src/errors.js';
import {
  interpolate, lerp, slerp, truncate, truncatedLatents, walk,
} from '../src/latent_tools.js';
import { sampleLatents } from '../src/latents.js';

/** @param {any} c */
function call(c) {
  const a = c.args;
  switch (c.fn) {
    case 'lerp': return lerp(a.a, a.b, a.t);
    case 'slerp': return slerp(a.a, a.b, a.t);
    case 'interpolate': return interpolate(BigInt(a.seed_a), BigInt(a.seed_b), a.steps, a.latent_dim, { method: a.method });
    case 'walk': return walk(a.seeds.map(BigInt), a.steps, a.latent_dim, { method: a.method, loop: a.loop });
    case 'truncate': return truncate({ data: Float32Array.from(a.z.flat()), dims: [a.z.length, a.z[0].length] }, a.psi);
    case 'truncated_latents': return truncatedLatents(a.n, a.latent_dim, BigInt(a.seed), a.threshold);
    default: throw new Error(c.fn);
  }
}

test(`${manifest.tools.length} latent-tool results equal Python's bit for bit`, () => {
  for (const [i, c] of manifest.tools.entries()) {
    const expected = array(c.array);
    const got = /** @type {any} */ (call(c));
    const data = got instanceof Float32Array ? got : got.data;
    const dims = got instanceof Float32Array ? [got.length] : got.dims;
    assert.deepEqual(dims, expected.dims, `case ${i} (${c.fn})`);
    const bad = firstBitDifference(data, expected.data);
    assert.equal(bad, -1, `case ${i} (${c.fn} ${JSON.stringify({ ...c.args, a: undefined, b: undefined, z: undefined })}): value ${bad} is ${data[bad]}, Python ${expected.data[bad]}`);
  }
});

test('interpolate ends on the two seeds and walk loops back', () => {
  const z = interpolate(3, 2n ** 64n, 5, 16);
  assert.deepEqual(z.data.subarray(0, 16), sampleLatents(1, 16, 3).data);
  assert.deepEqual(z.data.subarray(64), sampleLatents(1, 16, 2n ** 64n).data);
  const w = walk([1, 2, 3], 4, 8, { loop: true });
  assert.deepEqual(w.dims, [12, 8]);
  assert.deepEqual(w.data.subarray(0, 8), sampleLatents(1, 8, 1).data);
});

test('slerp keeps the norm of equal-norm latents; truncation bounds the values', () => {
  const mid = /** @type {Float32Array} */ (slerp([3, 0, 0], [0, 0, 3], 0.5));
  assert.ok(Math.abs(Math.hypot(...mid) - 3) < 1e-6);
  const z = truncatedLatents(64, 16, 0, 0.5).data;
  assert.ok(z.every((v) => Math.abs(v) <= 0.5));
  const plain = sampleLatents(64, 16, 0).data;
  plain.forEach((v, i) => { if (Math.abs(v) <= 0.5) assert.equal(z[i], v); });
});

test('bad arguments are InvalidInputError naming the argument', () => {
  /** @type {[() => unknown, RegExp][]} */
  const cases = [
    [() => lerp([1, 2], [1], 0.5), /^a and b must have the same length; got 2 and 1\.$/],
    [() => lerp([], [], 0.5), /^a must be a non-empty/],
    [() => slerp(/** @type {any} */ ('ab'), [1, 2], 0.5), /^a must be a non-empty Float32Array/],
    [() => slerp([1, NaN], [1, 2], 0.5), /^a must be finite after conversion to float32; got NaN at index 1\.$/],
    [() => slerp([1e39, 0], [1, 2], 0.5), /^a must be finite after conversion to float32; got Infinity at index 0\.$/],
    [() => lerp([1], [2], NaN), /^t must be a finite number/],
    [() => lerp([1], [2], []), /^t must be a finite number/],
    [() => interpolate(0, 1, 1, 8), /^steps must be an integer >= 2; got 1\.$/],
    [() => interpolate(0, -1, 3, 8), /^seeds\[1\] must be an integer >= 0; got -1\.$/],
    [() => interpolate(0, 1, 3, 8, { method: /** @type {any} */ ('cubic') }), /^method must be one of \["slerp","lerp"\]; got "cubic"\.$/],
    [() => walk([1], 3, 8), /^seeds must be an array of at least 2 seeds/],
    [() => walk([1, 2], 0, 8), /^steps must be an integer >= 1; got 0\.$/],
    [() => walk([1, 2], 2, 8, { loop: /** @type {any} */ ('yes') }), /^loop must be true or false/],
    [() => walk([1, 2], 2 ** 20, 2 ** 12), /latents of size 4096 needs about/],
    [() => truncate([1, 2], Infinity), /^psi must be a finite number; got Infinity of type number\.$/],
    [() => truncate(/** @type {any} */ ({ data: [1, 'x'], dims: [1, 2] }), 0.5), /^z\.data must be a non-empty/],
    [() => truncatedLatents(4, 4, 0, 0.05), /^threshold must be a finite number >= 0\.1; got 0\.05\.$/],
    [() => truncatedLatents(4, 4, null, 1), /^seed must be an integer >= 0 for truncatedLatents; got null\.$/],
    [() => truncatedLatents(4, 4, 0, /** @type {any} */ ('1')), /^threshold must be a finite number/],
  ];
  for (const [fn, message] of cases) {
    assert.throws(fn, (/** @type {Error} */ err) => err instanceof InvalidInputError && message.test(err.message), String(message));
  }
});
