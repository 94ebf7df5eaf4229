/** Field checks for the method families' config schemas: each returns what is wrong with a value, or undefined. */
import { activationNamed } from '../activation-names.ts';

export type Check = (value: unknown) => string | undefined;

/** A config class's fields, in the dataclass's field order (the order asdict writes), with their checks. */
export type Schema<T> = Record<keyof T, Check>;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
export const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false');
export const positiveInt: Check = (v) => (isInt(v) && v >= 1 ? undefined : 'must be a positive integer');
export const finite: Check = (v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : 'must be a number');
export const probability: Check = (v) => (typeof v === 'number' && v >= 0 && v < 1 ? undefined : 'must be a number in [0, 1)');
export const oneOf = (...allowed: unknown[]): Check => (v) => (allowed.includes(v) ? undefined : `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
export const nullable = (check: Check): Check => (v) => (v === null ? undefined : check(v));
export const text: Check = (v) => (typeof v === 'string' ? undefined : 'must be a string');
export const seed: Check = nullable((v) => (isInt(v) && v >= 0 ? undefined : 'must be a non-negative integer or null'));
export const layerList: Check = (v) => (Array.isArray(v) && v.every((l) => isInt(l) && l >= 0) ? undefined : 'must be a list of layer indices (non-negative integers)');
export const activation: Check = (v) => (typeof v === 'string' && activationNamed(v) ? undefined : 'must name a supported activation (relu, gelu, gelu_new, swish, silu, tanh, sigmoid, leakyrelu, quick_gelu, relu6, mish, linear)');
export const unsupported = (what: string, allowed: unknown): Check => (v) => (v === allowed || (allowed === null && v === undefined) ? undefined : `is not supported by the studio (${what}); leave it ${JSON.stringify(allowed)}`);

/** Copies `values` in the schema's field order (the order Python's asdict writes). */
export function ordered<T>(schema: Schema<T>, values: T): T {
  const out = {} as T;
  for (const key of Object.keys(schema) as (keyof T)[]) out[key] = structuredClone(values[key]);
  return out;
}
