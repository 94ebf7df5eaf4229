/** Typed reads of config.json keys with transformers' class defaults, shared by the family modules. */
import type { HiddenAct } from '../config.ts';
import { ModelLoadError, UnsupportedModelError } from '../errors.ts';

type Json = Record<string, unknown>;

/** config.json's activation names (transformers' ACT2FN keys) → the forms the encoder implements. */
const ACTIVATIONS: Record<string, HiddenAct> = {
  gelu: 'gelu',
  gelu_python: 'gelu',
  gelu_new: 'gelu_new',
  gelu_pytorch_tanh: 'gelu_new',
  gelu_fast: 'gelu_new',
  quick_gelu: 'quick_gelu',
  relu: 'relu',
  silu: 'silu',
  swish: 'silu',
};

export function badConfig(repoId: string, message: string): ModelLoadError {
  return new ModelLoadError(`config.json of "${repoId}" ${message}. Check that the repository holds a complete transformers config.`, 'BadConfig', repoId);
}

/** Reads a positive (or, with `allowZero`, non-negative) integer, falling back to transformers' class default. */
export function int(json: Json, key: string, fallback: number, repoId: string, allowZero = false): number {
  const value = json[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || (value === 0 && !allowZero)) {
    throw badConfig(repoId, `has ${key} = ${JSON.stringify(value)}, expected a ${allowZero ? 'non-negative' : 'positive'} integer`);
  }
  return value;
}

/** Reads a positive finite number, falling back to transformers' class default. */
export function num(json: Json, key: string, fallback: number, repoId: string): number {
  const value = json[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw badConfig(repoId, `has ${key} = ${JSON.stringify(value)}, expected a positive number`);
  }
  return value;
}

/** Reads the feed-forward activation (default "gelu"); throws UnsupportedModelError for one the encoder lacks. */
export function activation(json: Json, key: string, repoId: string): HiddenAct {
  const name = json[key] ?? 'gelu';
  const act = typeof name === 'string' ? ACTIVATIONS[name] : undefined;
  if (!act) {
    throw new UnsupportedModelError(
      `Model "${repoId}" uses activation ${JSON.stringify(name)}, which the studio's encoder does not implement; supported: ${Object.keys(ACTIVATIONS).join(', ')}.`,
      repoId,
    );
  }
  return act;
}
