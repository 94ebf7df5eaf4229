/**
 * JSON text as Python's `json.dump(obj, f, indent=2, sort_keys=True)` writes it (what `save_adapter` writes
 * into adapter_config.json / head_config.json), with the config fields Python types as float written as
 * floats: JSON.stringify(4.0) is "4", which Python reads back as int, and the `adapters` library then
 * rejects `"scaling": 4` ("Unknown scaling type").
 */

/** Config fields that Python writes as floats ("1.0"); `scaling` (when a number), vera_d and vera_b must be. */
export const PYTHON_FLOAT_FIELDS: ReadonlySet<string> = new Set(['scaling', 'dropout', 'phm_init_range', 'stochastic_depth', 'vera_d', 'vera_b']);

/** Python's repr of a float: shortest round-trip digits, scientific outside 1e-4 ≤ |x| < 1e16, always a "." or "e". */
export function pythonFloatRepr(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`${x} has no JSON form; adapter configs hold finite numbers only.`);
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, exponentText] = x.toExponential().split('e');
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let body: string;
  if (exponent < -4 || exponent >= 16) {
    const rest = digits.slice(1);
    body = `${digits[0]}${rest ? `.${rest}` : ''}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  } else if (exponent < 0) {
    body = `0.${'0'.repeat(-exponent - 1)}${digits}`;
  } else {
    const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
    body = `${whole}.${digits.slice(exponent + 1) || '0'}`;
  }
  return negative ? `-${body}` : body;
}

/** A JSON string literal with non-ASCII escaped as \uXXXX (Python's ensure_ascii=True). */
function pythonString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `json.dumps(value, indent=2, sort_keys=True)`; numbers under a key in `floatKeys` are written as Python floats. */
export function pythonJsonDumps(value: unknown, floatKeys: ReadonlySet<string> = PYTHON_FLOAT_FIELDS): string {
  const write = (v: unknown, indent: string, asFloat: boolean): string => {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'number') return asFloat ? pythonFloatRepr(v) : Number.isInteger(v) ? String(v) : pythonFloatRepr(v);
    if (typeof v === 'string') return pythonString(v);
    const inner = `${indent}  `;
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return `[\n${v.map((item) => inner + write(item, inner, asFloat)).join(',\n')}\n${indent}]`;
    }
    const entries = Object.entries(v as Record<string, unknown>).filter(([, item]) => item !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([key, item]) => `${inner}${pythonString(key)}: ${write(item, inner, floatKeys.has(key))}`).join(',\n')}\n${indent}}`;
  };
  return write(value, '', false);
}
