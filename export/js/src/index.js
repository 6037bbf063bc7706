/**
 * kgan-runtime for JavaScript (browsers and Node): the parts that need no file system.
 * In Node, import 'kgan-runtime' (./node.js) for file paths, onnxruntime-node by default and PNG files.
 *
 * @example
 * import * as ort from 'onnxruntime-web';
 * import { KganGenerator, makeGrid, toImageData } from 'kgan-runtime';
 * const gen = await KganGenerator.load('generator.onnx', { ort });
 * const grid = makeGrid(await gen.sample(16, { seed: 0 }), { valueRange: gen.valueRange });
 * canvas.getContext('2d').putImageData(toImageData(grid), 0, 0);
 * @module
 */
export { InferenceError, InvalidInputError, KganRuntimeError, ModelLoadError } from './errors.js';
export { DEFAULT_MAX_BYTES } from './checks.js';
export { CONTRACT_KEY, FORMAT, FORMAT_VERSION, parseContract } from './contract.js';
export { KganGenerator, readMetadata } from './generator.js';
export { defaultLabels, MAX_NUM_CLASSES, NumpyRandom, sampleLatents } from './latents.js';
export {
  interpolate, lerp, METHODS, MIN_THRESHOLD, slerp, SLERP_EPSILON, truncate, truncatedLatents, walk,
} from './latent_tools.js';
export { makeGrid, scaleGrid, toImageData, toRGBA, toUint8 } from './images.js';

/** This package's version. */
export const VERSION = '0.1.0';
