/**
 * The `adapters` library's config strings, e.g. `seq_bn[reduction_factor=8, leave_out=[0, 1]]|lora[r=4]`,
 * parsed as its `parse_adapter_config_string` does: split on "|", match `name[kvs]`, rewrite `key=` to `'key':`
 * and read the result as a Python dict literal (ast.literal_eval). Python values map to JSON: True/False →
 * booleans, None → null, tuples → arrays, ints and floats → numbers.
 */
import { AdapterConfigError } from './errors.ts';

export type PythonValue = null | boolean | number | string | PythonValue[] | { [key: string]: PythonValue };

/** One `name[kvs]` chunk of a config string. */
export interface ConfigStringPart {
  /** Preset name, e.g. "seq_bn". */
  name: string;
  /** Field overrides from the brackets. */
  overrides: Record<string, PythonValue>;
}

const CHUNK = /^([^[\]|\n]+)(?:\[(.*)\])?$/s;

export function parseAdapterConfigString(spec: string): ConfigStringPart[] {
  return spec.split('|').map((chunk) => {
    const match = CHUNK.exec(chunk.trim());
    if (!match) throw new AdapterConfigError(`Invalid adapter config string format: "${chunk}" in "${spec}". Write presets like "seq_bn[reduction_factor=8]" joined by "|".`);
    const name = match[1];
    const kvs = (match[2] ?? '').replace(/(\w+)=/g, "'$1':");
    let overrides: PythonValue;
    try {
      overrides = parsePythonLiteral(`{${kvs}}`);
    } catch (err) {
      throw new AdapterConfigError(`Invalid adapter configuration "${match[2]}" in "${name}": ${(err as Error).message}. Write key=value pairs separated by commas, values as Python literals (8, 0.1, True, "relu", [0, 1]).`, undefined, { cause: err });
    }
    return { name, overrides: overrides as Record<string, PythonValue> };
  });
}

/** Reads one Python literal (dict, list, tuple, str, int, float, True/False/None), as ast.literal_eval. */
export function parsePythonLiteral(text: string): PythonValue {
  let at = 0;
  const fail = (what: string): never => { throw new SyntaxError(`${what} at position ${at} of ${JSON.stringify(text)}`); };
  const space = () => { while (at < text.length && /\s/.test(text[at])) at++; };
  const expect = (char: string) => { space(); if (text[at] !== char) fail(`expected "${char}"`); at++; };

  const sequence = (close: string, item: () => void) => {
    space();
    while (text[at] !== close) {
      item();
      space();
      if (text[at] === ',') { at++; space(); } else if (text[at] !== close) fail(`expected "," or "${close}"`);
    }
    at++;
  };

  const string = (): string => {
    const quote = text[at++];
    let out = '';
    while (at < text.length && text[at] !== quote) {
      if (text[at] === '\\') {
        const next = text[at + 1];
        const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' };
        if (!(next in escapes)) fail(`unsupported escape "\\${next}"`);
        out += escapes[next];
        at += 2;
      } else out += text[at++];
    }
    if (at >= text.length) fail('unterminated string');
    at++;
    return out;
  };

  const value = (): PythonValue => {
    space();
    const c = text[at];
    if (c === '{') {
      at++;
      const dict: Record<string, PythonValue> = {};
      sequence('}', () => {
        const key = value();
        if (typeof key !== 'string' && typeof key !== 'number') fail('dict keys must be strings or numbers');
        expect(':');
        dict[String(key)] = value();
      });
      return dict;
    }
    if (c === '[' || c === '(') {
      at++;
      const list: PythonValue[] = [];
      sequence(c === '[' ? ']' : ')', () => { list.push(value()); });
      return list;
    }
    if (c === "'" || c === '"') return string();
    const word = /^(?:True|False|None)\b/.exec(text.slice(at));
    if (word) {
      at += word[0].length;
      return word[0] === 'None' ? null : word[0] === 'True';
    }
    const number = /^[+-]?(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?/.exec(text.slice(at));
    if (number) {
      at += number[0].length;
      return Number(number[0].replace(/_/g, ''));
    }
    return fail('expected a Python literal');
  };

  const result = value();
  space();
  if (at !== text.length) fail('unexpected text after the literal');
  return result;
}
