/**
 * Errors thrown by kgan-runtime, the same classes as Python's `kgan_runtime.errors`.
 *
 * Every error is a {@link KganRuntimeError}, so an application can catch everything the
 * runtime throws with one `instanceof` test. Messages are one line and name the file or the
 * argument. onnxruntime's own errors never escape: they are kept as `cause`.
 *
 * @example
 * try {
 *   await gen.sample(16, { seed: 0 });
 * } catch (err) {
 *   if (err instanceof KganRuntimeError) console.error(`sampling failed: ${err.message}`);
 *   else throw err;
 * }
 * @module
 */

/** Base class of every error thrown by kgan-runtime. */
export class KganRuntimeError extends Error {
  /**
   * @param {string} message One line.
   * @param {{cause?: unknown}} [options]
   */
  constructor(message, options) {
    super(oneLine(message), options);
    this.name = new.target.name;
  }
}

/**
 * The model file cannot be used: missing, unreadable, not ONNX, truncated or corrupted, no
 * `kgan.contract`, an invalid contract, or a contract that disagrees with the graph.
 */
export class ModelLoadError extends KganRuntimeError {}

/**
 * An argument is invalid: `n`, `seed`, `batchSize`, latents of the wrong shape or type or
 * with NaN/Inf, labels out of range or given to an unconditional generator, a call over
 * `maxBytes`.
 */
export class InvalidInputError extends KganRuntimeError {}

/**
 * onnxruntime failed while running a model that loaded, or the output breaks the contract
 * (shape, dtype, NaN/Inf values).
 */
export class InferenceError extends KganRuntimeError {}

/**
 * Collapse all whitespace (newlines included) to single spaces.
 * @param {unknown} text
 * @returns {string}
 */
export function oneLine(text) {
  return String(text).split(/\s+/).filter(Boolean).join(' ');
}
