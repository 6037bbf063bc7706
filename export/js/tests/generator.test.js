// KganGenerator on onnxruntime-node and on onnxruntime-web's wasm backend (in Node), against
// the Python runtime's samples of generators exported by kgan's real exporter; bad inputs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { array, FIXTURES, fixturePath, manifest, maxAbsDiff } from './helpers/fixtures.js';
import { serveFolder } from './helpers/server.js';
import {
  InferenceError, InvalidInputError, KganGenerator, KganRuntimeError, loadGenerator, ModelLoadError,
  sampleLatents,
} from '../src/node.js';

ortWeb.env.wasm.numThreads = 1;

const TOLERANCE = { node: 1e-5, web: 1e-4 };

/**
 * Assert `fn` rejects with `ErrorClass` and a message matching `pattern`.
 * @param {() => Promise<unknown>} fn
 * @param {Function} ErrorClass
 * @param {RegExp} pattern
 */
async function rejects(fn, ErrorClass, pattern) {
  await assert.rejects(fn, (/** @type {Error} */ err) => {
    assert.ok(err instanceof ErrorClass, `${err.name}: ${err.message}`);
    assert.ok(err instanceof KganRuntimeError);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'), err.message);
    return true;
  });
}

for (const [backend, load] of /** @type {const} */ ([
  ['node', (/** @type {string} */ file) => loadGenerator(file)],
  ['web', (/** @type {string} */ file) => KganGenerator.load(readFileSync(file), { ort: ortWeb, name: file, executionProviders: ['wasm'] })],
])) {
  describe(`exported generators on onnxruntime-${backend}`, () => {
    for (const [name, info] of Object.entries(/** @type {Record<string, any>} */ (manifest.models))) {
      test(`${name}: contract and samples match Python (within ${TOLERANCE[backend]})`, async () => {
        const gen = await load(fixturePath(info.file));
        assert.equal(gen.latentDim, info.latent_dim);
        assert.equal(gen.numClasses, info.num_classes);
        assert.deepEqual(gen.outputShape, info.output_shape);
        assert.equal(gen.outputDtype, info.output_dtype);
        assert.deepEqual(gen.valueRange, info.value_range);
        assert.equal(gen.layout, info.layout);
        assert.deepEqual(gen.inputNames, info.num_classes ? ['z', 'labels'] : ['z']);
        assert.equal(gen.contract.format, 'kgan-generator');
        for (const r of info.runs) {
          const expected = array(r.array);
          const samples = await gen.sample(r.n, { seed: BigInt(r.seed), labels: r.labels ?? undefined, batchSize: r.batch_size });
          assert.deepEqual(samples.dims, expected.dims);
          assert.equal(samples.data.constructor, expected.data.constructor);
          const diff = maxAbsDiff(samples.data, expected.data);
          // uint8 outputs are rounded in the graph: a float difference far below 1e-4 may flip one
          // value sitting on a rounding boundary by one level.
          assert.ok(diff <= (info.output_dtype === 'uint8' ? 1 : TOLERANCE[backend]), `${name} seed ${r.seed}: max abs diff ${diff}`);
          // The same latents through run(), in one batch: the same numbers.
          const again = await gen.run(sampleLatents(r.n, gen.latentDim, BigInt(r.seed)), r.labels ?? undefined);
          assert.ok(maxAbsDiff(again.data, samples.data) <= (info.output_dtype === 'uint8' ? 1 : 1e-6));
        }
        await gen.release();
      });
    }
  });
}

test('the export names the batch dimension "batch" and keeps the WebGPU-safe convolutions', async () => {
  const session = await ortNode.InferenceSession.create(fixturePath(manifest.models.dcgan.file));
  assert.equal(session.inputMetadata[0].shape[0], 'batch');
  assert.equal(session.outputMetadata[0].shape[0], 'batch');
  await session.release();
});

describe('bad arguments: InvalidInputError naming the argument', () => {
  /** @type {KganGenerator} */ let gen;
  /** @type {KganGenerator} */ let cond;
  before(async () => {
    gen = await loadGenerator(fixturePath(manifest.models.dcgan.file));
    cond = await loadGenerator(fixturePath(manifest.models.dcgan_cond_uint8.file));
  });
  after(async () => { await gen.release(); await cond.release(); });

  test('sample', async () => {
    await rejects(() => gen.sample(0), InvalidInputError, /^n must be an integer >= 1; got 0\.$/);
    await rejects(() => gen.sample(/** @type {any} */ (null)), InvalidInputError, /^n must be an integer >= 1; got null of type null\.$/);
    await rejects(() => gen.sample(2, { batchSize: 0 }), InvalidInputError, /^batchSize must be an integer >= 1; got 0\.$/);
    await rejects(() => gen.sample(2, { seed: -5 }), InvalidInputError, /^seed must be an integer >= 0; got -5\.$/);
    await rejects(() => gen.sample(2, { seed: /** @type {any} */ (1.5) }), InvalidInputError, /^seed must be an integer >= 0 .*1\.5/);
    await rejects(() => gen.sample(2, { labels: [0, 1] }), InvalidInputError, /^labels were given but this generator is unconditional/);
    await rejects(() => gen.sample(10 ** 9), InvalidInputError, /^generating 1000000000 samples needs about .* more than maxBytes=4294967296/);
  });

  test('labels', async () => {
    await rejects(() => cond.sample(3, { labels: [0, 1] }), InvalidInputError, /^labels must have shape \(3,\) to match 3 samples, or be one integer; got shape \(2,\)\.$/);
    await rejects(() => cond.sample(3, { labels: [0, 3, 5] }), InvalidInputError, /^labels must lie in \[0, 3\); got 2 value\(s\) out of range, first 3 at index 1\.$/);
    await rejects(() => cond.sample(3, { labels: 7 }), InvalidInputError, /^labels must lie in \[0, 3\); got 3 value\(s\) out of range, first 7 at index 0\.$/);
    await rejects(() => cond.sample(3, { labels: -1 }), InvalidInputError, /^labels must lie in \[0, 3\)/);
    await rejects(() => cond.sample(2, { labels: [0, 1.5] }), InvalidInputError, /^labels must be integers in \[0, 3\); got 1\.5 of type number at index 1\.$/);
    await rejects(() => cond.sample(2, { labels: new Float32Array([0, 1]) }), InvalidInputError, /^labels must be integers in \[0, 3\); got dtype Float32Array\.$/);
    await rejects(() => cond.sample(2, { labels: /** @type {any} */ ('01') }), InvalidInputError, /^labels must be integers of shape \(2,\) or one integer; got "01" of type string\.$/);
    await rejects(() => cond.sample(2, { labels: /** @type {any} */ ([true, false]) }), InvalidInputError, /^labels must be integers in \[0, 3\); got true of type boolean at index 0\.$/);
    const one = await cond.sample(3, { seed: 0, labels: 2 });
    const three = await cond.sample(3, { seed: 0, labels: new Int32Array([2, 2, 2]) });
    assert.deepEqual(one.data, three.data);
    const big = await cond.sample(2, { seed: 0, labels: [1n, 2n] });
    assert.equal(big.dims[0], 2);
  });

  test('z', async () => {
    const d = gen.latentDim;
    await rejects(() => gen.run(new Int32Array(d)), InvalidInputError, /^z must have a real floating dtype \(Float32Array or Float64Array\); got Int32Array\.$/);
    await rejects(() => gen.run({ data: new Uint8Array(d), dims: [1, d] }), InvalidInputError, /^z must have a real floating dtype/);
    await rejects(() => gen.run(new Float32Array(d + 1)), InvalidInputError, /^z must have shape \(batch, 8\) with batch >= 1; got a flat array of 9 values/);
    await rejects(() => gen.run(new Float32Array(0)), InvalidInputError, /^z must have shape \(batch, 8\)/);
    await rejects(() => gen.run([]), InvalidInputError, /^z must have shape \(batch, 8\) with batch >= 1; got \(0, \.\.\.\)\.$/);
    await rejects(() => gen.run([[1, 2]]), InvalidInputError, /^z must have shape \(batch, 8\) with batch >= 1; got \(1, 2\)/);
    await rejects(() => gen.run({ data: new Float32Array(2 * d), dims: [2, d + 1] }), InvalidInputError, /^z must have shape \(batch, 8\) with batch >= 1; got \(2, 9\)\.$/);
    await rejects(() => gen.run({ data: new Float32Array(d), dims: [2, d] }), InvalidInputError, /^z\.data must hold 16 values for dims \(2, 8\); got 8\.$/);
    await rejects(() => gen.run([new Array(d).fill('1')]), InvalidInputError, /^z must hold numbers; got "1" at index \(0, 0\)\.$/);
    const nan = new Float64Array(2 * d); nan[d + 3] = NaN; nan[d + 5] = 1e300;
    await rejects(() => gen.run(nan), InvalidInputError, /^z must be finite; got 2 NaN\/Inf value\(s\) after conversion to float32, first at index \(1, 3\)\.$/);
    await rejects(() => gen.run(/** @type {any} */ ('zzz')), InvalidInputError, /^z must be latents \{data, dims: \[batch, 8\]\}, an array of rows or a Float32Array; got "zzz" of type string\.$/);
    await rejects(() => gen.run(sampleLatents(2, d, 0), undefined, { batchSize: -1 }), InvalidInputError, /^batchSize must be an integer >= 1; got -1\.$/);
    // Every accepted form gives the same samples.
    const z = sampleLatents(3, d, 4);
    const rows = [0, 1, 2].map((i) => Array.from(z.data.subarray(i * d, (i + 1) * d)));
    const outputs = await Promise.all([gen.run(z), gen.run(z.data), gen.run(Float64Array.from(z.data)), gen.run(rows), gen.run(z, null, { batchSize: 1 })]);
    for (const out of outputs.slice(1)) assert.deepEqual(out.data, outputs[0].data);
  });
});

describe('unusable files: ModelLoadError naming the file; failing runs: InferenceError', () => {
  /** @type {string} */ let tmp;
  before(() => { tmp = mkdtempSync(path.join(os.tmpdir(), 'kgan-js-')); });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('missing, folder, FIFO, empty, random bytes, truncated, corrupted', async () => {
    const file = (/** @type {string} */ name, /** @type {Uint8Array | string} */ data) => {
      const p = path.join(tmp, name);
      writeFileSync(p, data);
      return p;
    };
    await rejects(() => loadGenerator(path.join(tmp, 'nope.onnx')), ModelLoadError, /^model file not found: .*nope\.onnx$/);
    mkdirSync(path.join(tmp, 'dir.onnx'));
    await rejects(() => loadGenerator(path.join(tmp, 'dir.onnx')), ModelLoadError, /dir\.onnx is a directory; expected an ONNX model file\.$/);
    execFileSync('mkfifo', [path.join(tmp, 'fifo.onnx')]);
    await rejects(() => loadGenerator(path.join(tmp, 'fifo.onnx')), ModelLoadError, /fifo\.onnx is not a regular file \(a pipe, socket or device\)/);
    await rejects(() => loadGenerator(file('empty.onnx', '')), ModelLoadError, /empty\.onnx is empty \(0 bytes\)/);
    await rejects(() => loadGenerator(file('text.onnx', 'hello, world')), ModelLoadError, /text\.onnx: onnxruntime cannot load this file \(not ONNX, truncated or an invalid graph\): /);
    const good = readFileSync(fixturePath(manifest.models.dcgan.file));
    await rejects(() => loadGenerator(file('cut.onnx', good.subarray(0, Math.floor(good.length / 2)))), ModelLoadError, /cut\.onnx: onnxruntime cannot load this file/);
    // Corrupted at random places: always a ModelLoadError or a working generator, never another error.
    let seed = 1;
    for (let k = 0; k < 12; k++) {
      const bytes = Uint8Array.from(good);
      for (let j = 0; j < 8; j++) { seed = (seed * 1103515245 + 12345) % 2 ** 31; bytes[seed % bytes.length] ^= 0xff; }
      try {
        const g = await loadGenerator(bytes, { name: `corrupted ${k}` });
        await g.sample(2, { seed: 0 }).catch((err) => assert.ok(err instanceof InferenceError, err.message));
        await g.release();
      } catch (err) {
        assert.ok(err instanceof ModelLoadError, `${/** @type {Error} */ (err).name}: ${/** @type {Error} */ (err).message}`);
      }
    }
    await rejects(() => KganGenerator.load(new Uint8Array([8, 1, 2]), { ort: ortWeb }), ModelLoadError, /^model bytes: onnxruntime cannot load this file/);
    await rejects(() => loadGenerator(/** @type {any} */ (42)), InvalidInputError, /^source must be a path, a URL or bytes; got 42 of type number\.$/);
    await rejects(() => KganGenerator.load(new Uint8Array(4), /** @type {any} */ ({})), InvalidInputError, /^options\.ort must be the onnxruntime module/);
  });

  test('models whose contract lies, or that fail when run', async () => {
    const at = (/** @type {string} */ name) => fixturePath(name);
    await rejects(() => loadGenerator(at('toy_no_contract.onnx')), ModelLoadError, /toy_no_contract\.onnx: not a kgan generator: the ONNX metadata_props have no 'kgan\.contract' entry \(found keys: \[\]\)/);
    await rejects(() => loadGenerator(at('toy_bad_json.onnx')), ModelLoadError, /toy_bad_json\.onnx: invalid kgan contract: 'kgan\.contract' is not valid JSON/);
    await rejects(() => loadGenerator(at('toy_lying_latent_dim.onnx')), ModelLoadError, /input 'z': the kgan contract says shape \[null, 8\] but the ONNX graph has shape \[N, 9\] \(axis 1 differs\)\.$/);
    await rejects(() => loadGenerator(at('toy_symbolic_latent.onnx')), ModelLoadError, /axis 1 must have the fixed size 8, not a symbolic one\.$/);
    const failing = await loadGenerator(at('toy_fails_at_run.onnx'));
    await rejects(() => failing.sample(1, { seed: 0 }), InferenceError, /toy_fails_at_run\.onnx: onnxruntime failed on a batch of 1: /);
    assert.equal((await failing.sample(3, { seed: 0 })).dims[0], 3);
    const lying = await loadGenerator(at('toy_lying_output.onnx'));
    await rejects(() => lying.sample(2, { seed: 0 }), InferenceError, /toy_lying_output\.onnx: the model returned shape \(2, 4, 4, 1\); the kgan contract promises \(2, 2, 8, 1\)\.$/);
    const nan = await loadGenerator(at('toy_nan.onnx'));
    await rejects(() => nan.sample(2, { seed: 0 }), InferenceError, /toy_nan\.onnx: the model returned \d+ NaN\/Inf value\(s\) in a batch of 2 \(corrupted weights\?\)\.$/);
    const u8 = await loadGenerator(at('toy_uint8.onnx'));
    const z = array(manifest.hostile.toy_uint8_z);
    const out = await u8.run(z);
    assert.ok(out.data instanceof Uint8Array);
    assert.deepEqual(out.data, array(manifest.hostile.toy_uint8_out).data);
    for (const g of [failing, lying, nan, u8]) await g.release();
  });
});

test('URLs: fetched and validated; a failed fetch is a ModelLoadError naming the URL', async () => {
  const server = await serveFolder(FIXTURES);
  try {
    const url = `${server.url}dcgan.onnx`;
    const gen = await KganGenerator.load(url, { ort: ortWeb, executionProviders: ['wasm'] });
    assert.equal(gen.source, url);
    const viaNode = await loadGenerator(new URL(url));
    assert.deepEqual((await viaNode.sample(2, { seed: 1 })).dims, [2, 8, 8, 1]);
    await rejects(() => loadGenerator(`${server.url}missing.onnx`), ModelLoadError,
      /^http:\/\/127\.0\.0\.1:\d+\/missing\.onnx: cannot fetch the model: HTTP 404/);
    await rejects(() => KganGenerator.load(`${server.url}toy_no_contract.onnx`, { ort: ortWeb }), ModelLoadError,
      /toy_no_contract\.onnx: not a kgan generator/);
    await rejects(() => KganGenerator.load(url, { ort: ortWeb, fetch: /** @type {any} */ (42) }), ModelLoadError,
      /cannot fetch the model: no fetch\(\) here/);
    for (const g of [gen, viaNode]) await g.release();
  } finally {
    await server.close();
  }
});

test('options: maxBytes bounds a call; threads are checked', async () => {
  const file = fixturePath(manifest.models.dcgan.file);
  const small = await loadGenerator(file, { maxBytes: 1000, threads: 1 });
  assert.equal(small.maxBytes, 1000);
  assert.equal((await small.sample(3, { seed: 0 })).dims[0], 3); // 3 x (8 x 4 + 64 x 4) bytes
  await rejects(() => small.sample(4, { seed: 0 }), InvalidInputError, /^generating 4 samples needs about 1\.1 KiB \(1152 bytes\), more than maxBytes=1000/);
  await rejects(() => small.run(sampleLatents(4, 8, 0)), InvalidInputError, /^generating 4 samples needs about/);
  await small.release();
  const unlimited = await loadGenerator(file, { maxBytes: null });
  assert.equal(unlimited.maxBytes, null);
  await unlimited.release();
  await rejects(() => loadGenerator(file, { threads: 0 }), InvalidInputError, /^threads must be an integer in \[1, 256\]; got 0\.$/);
  await rejects(() => loadGenerator(file, { maxBytes: -1 }), InvalidInputError, /^maxBytes must be an integer >= 1; got -1\.$/);
});
