// The fixtures written by tests/make_fixtures.py (the Python side): manifest.json and raw arrays.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const MANIFEST = path.join(FIXTURES, 'manifest.json');
if (!existsSync(MANIFEST)) {
  throw new Error(
    `no test fixtures in ${FIXTURES}: run \`python export/js/tests/make_fixtures.py\` from the repository root ` +
      '(make test-js does it).',
  );
}
/** @type {any} */
export const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8'));

const TYPED = { float32: Float32Array, float64: Float64Array, uint8: Uint8Array, int32: Int32Array };

/**
 * A fixture array as a typed array plus its dims.
 * @param {string} name
 * @returns {{data: any, dims: number[]}}
 */
export function array(name) {
  const info = manifest.arrays[name];
  if (!info) throw new Error(`no fixture array ${name}`);
  const bytes = readFileSync(path.join(FIXTURES, info.file));
  const Type = TYPED[/** @type {keyof TYPED} */ (info.dtype)];
  const data = new Type(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { data, dims: info.dims };
}

/** @param {string} name */
export function fixturePath(name) {
  return path.join(FIXTURES, name);
}

/**
 * Largest absolute difference of two arrays of equal length.
 * @param {ArrayLike<number>} a
 * @param {ArrayLike<number>} b
 */
export function maxAbsDiff(a, b) {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/**
 * Index of the first value that differs bit for bit (NaN-safe, -0 vs 0 distinguished), or -1.
 * @param {Float32Array | Float64Array} a
 * @param {Float32Array | Float64Array} b
 */
export function firstBitDifference(a, b) {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}
