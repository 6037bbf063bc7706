// Grids and PNGs: the same pixels as Python's kgan_runtime.images.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { decode } from 'fast-png';
import { array, manifest } from './helpers/fixtures.js';
import { InvalidInputError, makeGrid, saveGrid, scaleGrid, toRGBA, toUint8 } from '../src/node.js';

test('toUint8 maps value_range to 0..255, rounding half to even and clipping like numpy', () => {
  assert.deepEqual(Array.from(toUint8(new Float32Array([-1, 0, 1, -2, 2, -Infinity, Infinity]))), [0, 128, 255, 0, 255, 0, 255]);
  // 0.5 and 2.5 grey levels round to 0 and 2 (numpy.rint), 1.5 to 2.
  assert.deepEqual(Array.from(toUint8([0.5, 1.5, 2.5, 3.5], [0, 255])), [0, 2, 2, 4]);
  const u8 = new Uint8Array([1, 2]);
  assert.equal(toUint8(u8), u8);
  assert.throws(() => toUint8([0, NaN]), (/** @type {Error} */ e) => e instanceof InvalidInputError && /NaN value\(s\), first at index 1/.test(e.message));
  assert.throws(() => toUint8([0], [1, 1]), /valueRange must be finite with low < high; got \[1, 1\]/);
});

test('makeGrid equals Python make_grid for every exported image generator', () => {
  for (const [name, info] of Object.entries(/** @type {Record<string, any>} */ (manifest.models))) {
    if (!info.grid) continue;
    const samples = array(info.runs[0].array);
    const expected = array(info.grid.array);
    const grid = makeGrid(samples, { nrow: info.grid.nrow, padding: info.grid.padding, valueRange: info.value_range });
    assert.deepEqual([grid.height, grid.width, grid.channels], expected.dims, name);
    assert.deepEqual(grid.data, expected.data, name);
    assert.deepEqual(makeGrid(samples, { valueRange: info.value_range }).data, expected.data, `${name}, default nrow`);
  }
});

test('grid geometry and bad arguments', () => {
  const samples = { data: new Float32Array(5 * 2 * 3), dims: [5, 2, 3] };
  const grid = makeGrid(samples, { nrow: 2, padding: 2 });
  assert.deepEqual([grid.height, grid.width, grid.channels], [3 * 4 + 2, 2 * 5 + 2, 1]);
  assert.throws(() => makeGrid({ data: new Float32Array(4), dims: [4] }), /images must be a non-empty batch of shape \[n, h, w, c\]/);
  assert.throws(() => makeGrid(samples, { nrow: 0 }), /^InvalidInputError: nrow must be an integer >= 1; got 0\.$/);
  assert.throws(() => makeGrid(samples, { padding: -1 }), /padding must be an integer >= 0; got -1\./);
  assert.throws(() => makeGrid(samples, { padding: 10 ** 6 }), /grid needs about .* more than maxBytes/);
  const rgba = toRGBA(scaleGrid({ data: new Uint8Array([7, 8, 9]), height: 1, width: 1, channels: 3 }, 2));
  assert.deepEqual(Array.from(rgba), [7, 8, 9, 255, 7, 8, 9, 255, 7, 8, 9, 255, 7, 8, 9, 255]);
});

test('saveGrid writes a PNG that decodes to the grid (grey and RGB)', async () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'kgan-png-'));
  try {
    for (const name of ['dcgan', 'dcgan_rgb']) {
      const info = manifest.models[name];
      const samples = array(info.runs[0].array);
      const file = path.join(tmp, `${name}.png`);
      assert.equal(await saveGrid(samples, file, { valueRange: info.value_range, scale: 3 }), file);
      const png = decode(readFileSync(file));
      const grid = scaleGrid(makeGrid(samples, { valueRange: info.value_range }), 3);
      assert.deepEqual([png.height, png.width, png.channels], [grid.height, grid.width, grid.channels]);
      assert.deepEqual(Uint8Array.from(png.data), grid.data);
    }
    await assert.rejects(() => saveGrid(array(manifest.models.mlp_points.runs[0].array), path.join(tmp, 'p.png')), /saveGrid needs images of shape/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
