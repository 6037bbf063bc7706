// Latents bit-identical to numpy's default_rng(seed).standard_normal, for many seeds (>= 2**64 too).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { array, firstBitDifference, manifest } from './helpers/fixtures.js';
import { InvalidInputError } from '../src/errors.js';
import { defaultLabels, MAX_NUM_CLASSES, NumpyRandom, sampleLatents } from '../src/latents.js';

test('PCG64 words equal numpy bit_generator.random_raw for seed 0', () => {
  const rng = new NumpyRandom(0);
  assert.deepEqual(manifest.raw_uint64_seed0.map((/** @type {string} */ w) => BigInt(w)), Array.from({ length: 8 }, () => rng.nextUint64()));
});

test('200,000 float64 standard normals equal numpy for 4 seeds (ziggurat tails included)', () => {
  for (const { seed, array: name } of manifest.normals64) {
    const expected = array(name).data;
    const rng = new NumpyRandom(BigInt(seed));
    const got = new Float64Array(expected.length);
    for (let i = 0; i < got.length; i++) got[i] = rng.standardNormal();
    const bad = firstBitDifference(got, expected);
    assert.equal(bad, -1, `seed ${seed}: draw ${bad} is ${got[bad]}, numpy ${expected[bad]}`);
    // Draws beyond the ziggurat's base layer (|x| > 3.654) take the tail branch.
    assert.ok(expected.some((/** @type {number} */ x) => Math.abs(x) > 3.6541528853610088));
  }
});

test(`sampleLatents equals numpy for ${manifest.latents.length} seeds, up to 2**128 and 10**40`, () => {
  assert.ok(manifest.latents.some((/** @type {any} */ c) => BigInt(c.seed) >= 2n ** 64n));
  for (const { seed, n, d, array: name } of manifest.latents) {
    const expected = array(name).data;
    const big = BigInt(seed);
    const z = sampleLatents(n, d, big);
    assert.deepEqual(z.dims, [n, d]);
    assert.ok(z.data instanceof Float32Array);
    assert.equal(firstBitDifference(z.data, expected), -1, `seed ${seed}`);
    if (big <= BigInt(Number.MAX_SAFE_INTEGER)) {
      assert.equal(firstBitDifference(sampleLatents(n, d, Number(big)).data, expected), -1, `seed ${seed} as a number`);
    }
  }
});

test('the draw does not depend on how many latents are drawn at once', () => {
  const all = sampleLatents(10, 7, 5).data;
  assert.deepEqual(sampleLatents(3, 7, 5).data, all.subarray(0, 21));
});

test('no seed gives fresh, different latents', () => {
  const a = sampleLatents(2, 16);
  const b = sampleLatents(2, 16, null);
  assert.notDeepEqual(a.data, b.data);
});

test('bad arguments are InvalidInputError naming the argument', () => {
  /** @type {[() => unknown, RegExp][]} */
  const cases = [
    [() => sampleLatents(0, 4, 0), /^n must be an integer >= 1; got 0\.$/],
    [() => sampleLatents(1.5, 4, 0), /^n must be an integer >= 1; got 1\.5 of type number\.$/],
    [() => sampleLatents(/** @type {any} */ ('2'), 4, 0), /^n must be an integer >= 1; got "2" of type string\.$/],
    [() => sampleLatents(/** @type {any} */ (true), 4, 0), /^n must be an integer >= 1; got true of type boolean\.$/],
    [() => sampleLatents(2, 0, 0), /^latentDim must be an integer >= 1/],
    [() => sampleLatents(2, NaN, 0), /^latentDim must be an integer >= 1; got NaN/],
    [() => sampleLatents(2, 4, -1), /^seed must be an integer >= 0; got -1\.$/],
    [() => sampleLatents(2, 4, -1n), /^seed must be an integer >= 0; got -1\.$/],
    [() => sampleLatents(2, 4, 0.5), /^seed must be an integer >= 0 .*got 0\.5 of type number\.$/],
    [() => sampleLatents(2, 4, 2 ** 60), /^seed must be an integer >= 0 \(a safe integer or a BigInt\)/],
    [() => sampleLatents(2, 4, /** @type {any} */ ('7')), /^seed must be an integer >= 0 .*of type string\.$/],
    [() => sampleLatents(2 ** 20, 2 ** 20, 0), /^1048576 latents of size 1048576 needs about 4\.0 TiB .*more than maxBytes=4294967296/],
    [() => sampleLatents(4, 4, 0, { maxBytes: 63 }), /needs about 64 B \(64 bytes\), more than maxBytes=63/],
    [() => sampleLatents(4, 4, 0, { maxBytes: 0 }), /^maxBytes must be an integer >= 1; got 0\.$/],
    [() => defaultLabels(3, 1), /^numClasses must be an integer >= 2; got 1\.$/],
    [() => defaultLabels(3, MAX_NUM_CLASSES + 1), /^numClasses must be an integer in \[2, 2147483648\]/],
    [() => defaultLabels(0, 3), /^n must be an integer >= 1; got 0\.$/],
  ];
  for (const [fn, message] of cases) {
    assert.throws(fn, (/** @type {Error} */ err) => err instanceof InvalidInputError && message.test(err.message), String(message));
  }
});

test('maxBytes: null lifts the limit; BigInt sizes within 2**53 are accepted', () => {
  assert.equal(sampleLatents(4, 4, 0, { maxBytes: null }).data.length, 16);
  assert.equal(sampleLatents(2n, 3n, 0n).data.length, 6);
});

test('defaultLabels cycles the classes like numpy.arange(n) % k', () => {
  assert.deepEqual(Array.from(defaultLabels(7, 3)), [0, 1, 2, 0, 1, 2, 0]);
  assert.ok(defaultLabels(2, MAX_NUM_CLASSES) instanceof Int32Array);
});
