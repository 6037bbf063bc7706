// The shared contract conformance cases (export/contract/cases.json) against the JS runtime;
// export/tests/test_contract_cases.py runs the same file against Python's kgan_runtime.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as errors from '../src/errors.js';
import { checkGraph, CONTRACT_KEY, parseContract } from '../src/contract.js';

const DOC = JSON.parse(readFileSync(new URL('../../contract/cases.json', import.meta.url), 'utf8'));

/** @param {any} c */
function metadata(c) {
  if (c.metadata) return new Map(Object.entries(c.metadata));
  if (c.text !== undefined) return new Map([[CONTRACT_KEY, c.text]]);
  const contract = { ...DOC.bases[c.base], ...(c.set ?? {}) };
  for (const key of c.delete ?? []) delete contract[key];
  return new Map([[CONTRACT_KEY, JSON.stringify(contract)]]);
}

/** @param {any} c */
function run(c) {
  const contract = parseContract(metadata(c), DOC.where);
  if (c.graph) {
    const args = (/** @type {any[]} */ list) => list.map(([name, type, shape]) => ({ name, type, shape }));
    checkGraph(contract, { inputs: args(c.graph.inputs), outputs: args(c.graph.outputs) }, DOC.where);
  }
  return contract;
}

for (const c of DOC.cases) {
  test(`contract case: ${c.name}`, () => {
    const expect = c.expect;
    if (expect.error === null) {
      const contract = run(c);
      assert.equal(contract.latentDim, expect.latent_dim);
      assert.equal(contract.numClasses, expect.num_classes);
      assert.equal(contract.layout, expect.layout);
      assert.deepEqual(contract.valueRange, expect.value_range);
      assert.equal(contract.output.dtype, expect.output_dtype);
      assert.deepEqual(contract.output.shape, expect.output_shape);
      assert.deepEqual(Object.keys(contract.inputs), expect.input_names);
      return;
    }
    const ErrorClass = /** @type {any} */ (errors)[expect.error];
    assert.throws(() => run(c), (/** @type {Error} */ err) => {
      assert.ok(err instanceof ErrorClass, `${err.name}: ${err.message}`);
      assert.ok(err instanceof errors.KganRuntimeError);
      assert.ok(err.message.startsWith(`${DOC.where}: `), err.message);
      assert.ok(err.message.includes(expect.message), `${err.message}\nexpected to contain\n${expect.message}`);
      assert.ok(!err.message.includes('\n'));
      return true;
    });
  });
}
