/**
 * Argument checks shared by the modules (private), with the messages of Python's
 * `kgan_runtime._validation`.
 * @module
 */
import { InvalidInputError } from './errors.js';

/** Default memory budget of one call, 4 GiB (Python's `DEFAULT_MAX_BYTES`). */
export const DEFAULT_MAX_BYTES = 4 * 2 ** 30;

/**
 * A short description of a value for error messages, like Python's `repr`.
 * @param {unknown} value
 * @returns {string}
 */
export function describe(value) {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || value === undefined || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return `a ${value.constructor?.name ?? 'object'}`;
}

/**
 * The type name used in error messages.
 * @param {unknown} value
 * @returns {string}
 */
export function typeName(value) {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}

/**
 * True for a safe-integer number or a BigInt (never a boolean or a numeric string).
 * @param {unknown} value
 * @returns {value is number | bigint}
 */
export function isInt(value) {
  return typeof value === 'bigint' || Number.isSafeInteger(value);
}

/**
 * `value` as a number, or an InvalidInputError naming `name`.
 * Accepts safe integers and BigInts within the safe range.
 * @param {unknown} value
 * @param {string} name
 * @param {{minimum?: number, maximum?: number}} [bounds]
 * @returns {number}
 */
export function checkInt(value, name, { minimum = 1, maximum } = {}) {
  const safe = typeof value === 'bigint'
    ? value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
    : Number.isSafeInteger(value);
  if (!safe) {
    if (typeof value === 'bigint' && value >= BigInt(minimum) && maximum === undefined) {
      throw new InvalidInputError(`${name} must be an integer >= ${minimum} below 2**53; got ${value}.`);
    }
    if (typeof value !== 'bigint') {
      throw new InvalidInputError(
        `${name} must be an integer >= ${minimum}; got ${describe(value)} of type ${typeName(value)}.`,
      );
    }
  }
  const number = Number(value);
  if (typeof value === 'bigint' ? value < BigInt(minimum) : number < minimum) {
    throw new InvalidInputError(`${name} must be an integer >= ${minimum}; got ${value}.`);
  }
  if (maximum !== undefined && (typeof value === 'bigint' ? value > BigInt(maximum) : number > maximum)) {
    throw new InvalidInputError(`${name} must be an integer in [${minimum}, ${maximum}]; got ${value}.`);
  }
  return number;
}

/**
 * A `maxBytes` option: an integer >= 1, or null for no limit (undefined: the default).
 * @param {unknown} value
 * @returns {number | null}
 */
export function checkMaxBytes(value) {
  if (value === undefined) return DEFAULT_MAX_BYTES;
  if (value === null) return null;
  return checkInt(value, 'maxBytes');
}

/**
 * Throw if `nbytes` exceeds `maxBytes`, before anything is allocated.
 * @param {number} nbytes
 * @param {number | null} maxBytes
 * @param {string} what
 */
export function checkBudget(nbytes, maxBytes, what) {
  if (maxBytes !== null && nbytes > maxBytes) {
    throw new InvalidInputError(
      `${what} needs about ${human(nbytes)} (${nbytes} bytes), more than maxBytes=${maxBytes} ` +
        `(${human(maxBytes)}); ask for fewer samples per call or raise maxBytes (null disables the limit).`,
    );
  }
}

/**
 * @param {number} nbytes
 * @returns {string}
 */
function human(nbytes) {
  if (nbytes < 1024) return `${nbytes} B`;
  const exponent = Math.min(Math.floor(Math.log(nbytes) / Math.log(1024)), 6);
  return `${(nbytes / 1024 ** exponent).toFixed(1)} ${'BKMGTPE'[exponent]}iB`;
}

/**
 * A finite number (not NaN, not +-Infinity), or an InvalidInputError naming `name`.
 * @param {unknown} value
 * @param {string} name
 * @returns {number}
 */
export function checkFinite(value, name) {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidInputError(`${name} must be a finite number; got ${describe(value)} of type ${typeName(value)}.`);
  }
  return value;
}
