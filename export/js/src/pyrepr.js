/**
 * JSON values as Python's `repr` shows them (private), so that the JS runtime's contract errors
 * read like Python's, word for word: `None`, `True`, `'text'`, `[1, 2.0]`, `{'key': None}`.
 *
 * Numbers come from the contract parser as {@link JsonFloat} (a literal with a fraction or an
 * exponent, a Python float) or as a number or BigInt (an integer literal, a Python int).
 * @module
 */

/** A JSON number literal written with a fraction or exponent: a float, as in Python's json. */
export class JsonFloat {
  /** @param {string} source The literal as written. */
  constructor(source) {
    this.source = source;
    this.value = Number(source);
  }

  valueOf() {
    return this.value;
  }
}

/**
 * Python's `repr(float)`: shortest round-trip digits, fixed notation for exponents in
 * [-4, 16), else `1e+16` / `1.5e-07`.
 * @param {number} x
 * @returns {string}
 */
export function pyFloat(x) {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, exp] = x.toExponential().split('e');
  const exponent = Number(exp);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let text;
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) text = `0.${'0'.repeat(-exponent - 1)}${digits}`;
    else if (digits.length <= exponent + 1) text = `${digits}${'0'.repeat(exponent + 1 - digits.length)}.0`;
    else text = `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
  } else {
    const body = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    text = `${body}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return negative ? `-${text}` : text;
}

/**
 * Python's `repr(str)` for the common cases (quotes, backslashes, control characters).
 * @param {string} text
 * @returns {string}
 */
function pyString(text) {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\' || ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${quote}${out}${quote}`;
}

/**
 * `repr()` of a parsed JSON value, as Python would print it.
 * @param {unknown} value
 * @returns {string}
 */
export function pyRepr(value) {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value instanceof JsonFloat) return pyFloat(value.value);
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pyFloat(value);
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return pyString(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    const items = Object.entries(value).map(([k, v]) => `${pyString(k)}: ${pyRepr(v)}`);
    return `{${items.join(', ')}}`;
  }
  return String(value);
}
