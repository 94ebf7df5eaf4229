/**
 * Declared parameters as live tf.Variables named with their torch state-dict keys: created from their seeded initial
 * values, copied out as host tensors under every key torch lists (aliases included), and loaded back from a state
 * dict with its names and shapes checked. A live adapter (adapter.ts) and a fusion layer (fusion.ts) hold theirs here.
 */
import * as tf from '@tensorflow/tfjs';
import type { HostTensor } from '../model/weights.ts';
import { AdapterConfigError, AdapterStateError } from './errors.ts';
import { type ParamSpec, elementCount, initialValues } from './parameters.ts';

export interface LiveParameters {
  /** The live variable of a declared parameter. */
  tensor(spec: ParamSpec): tf.Variable;
  /** Host copies of `specs`' values (torch layout) under every key, in the order of `keys` (default: each key, then its aliases). */
  stateDict(specs: readonly ParamSpec[], keys?: readonly string[]): Map<string, HostTensor>;
  /**
   * Sets values from a state dict; shapes must match. Strict: every parameter present (under its key or an alias)
   * and no unknown key.
   */
  load(tensors: ReadonlyMap<string, HostTensor>, strict: boolean): { missing: string[]; unexpected: string[] };
  dispose(): void;
}

export interface LiveParameterOptions {
  /** Values to start from (default: the seeded initial values). */
  startValues?: (spec: ParamSpec) => Float32Array;
  /** Put before each variable's name (default none: the torch key), so that two live copies can coexist. */
  variablePrefix?: string;
}

/**
 * Creates a variable for each spec (trainable as declared). `owner` names them in messages, e.g. 'Adapter "sst2"'.
 */
export function createLiveParameters(specs: readonly ParamSpec[], seed: number, owner: string, options: LiveParameterOptions = {}): LiveParameters {
  const startValues = options.startValues ?? ((spec: ParamSpec) => initialValues(spec, seed));
  const variables = new Map<string, tf.Variable>();
  /** Every key the state dict may use: parameter keys and their aliases. */
  const knownKeys = new Set<string>();
  try {
    for (const spec of specs) {
      const variableName = `${options.variablePrefix ?? ''}${spec.key}`;
      if (tf.engine().registeredVariables[variableName]) {
        throw new AdapterConfigError(`A live adapter already owns the variable "${variableName}"; dispose the other one (${owner}) first or pick another name.`);
      }
      const initial = tf.tensor(startValues(spec), spec.shape, 'float32');
      const variable = tf.variable(initial, spec.trainable, variableName);
      initial.dispose();
      variables.set(spec.key, variable);
      for (const key of [spec.key, ...spec.aliases]) knownKeys.add(key);
    }
  } catch (err) {
    for (const v of variables.values()) v.dispose();
    throw err;
  }
  const tensor = (spec: ParamSpec): tf.Variable => variables.get(spec.key)!;
  return {
    tensor,
    stateDict(list, keys = list.flatMap((spec) => [spec.key, ...spec.aliases])) {
      const owner = new Map(list.flatMap((spec) => [spec.key, ...spec.aliases].map((key) => [key, spec] as const)));
      const hosts = new Map(list.map((spec) => [spec, tensor(spec).dataSync() as Float32Array]));
      return new Map(keys.map((key) => {
        const spec = owner.get(key)!;
        return [key, { shape: [...spec.shape], data: hosts.get(spec)!.slice() }];
      }));
    },
    load(tensors, strict) {
      const missing: string[] = [];
      const wrongShape: string[] = [];
      const updates: [tf.Variable, HostTensor][] = [];
      for (const spec of specs) {
        const key = [spec.key, ...spec.aliases].find((k) => tensors.has(k));
        if (!key) { missing.push(spec.key); continue; }
        const given = tensors.get(key)!;
        if (given.shape.length !== spec.shape.length || given.shape.some((d, i) => d !== spec.shape[i]) || given.data.length !== elementCount(spec.shape)) {
          wrongShape.push(`${key} (expected [${spec.shape.join(', ')}], got [${given.shape.join(', ')}])`);
        } else updates.push([tensor(spec), given]);
      }
      const unexpected = [...tensors.keys()].filter((k) => !knownKeys.has(k));
      if (wrongShape.length) throw new AdapterStateError(`${owner}: size mismatch for ${wrongShape.join('; ')}. The weights were saved for another config or model size.`, wrongShape);
      if (strict && (missing.length || unexpected.length)) {
        throw new AdapterStateError(
          `${owner} state dict does not match its config: ${missing.length ? `missing ${missing.join(', ')}` : ''}${missing.length && unexpected.length ? '; ' : ''}${unexpected.length ? `unexpected ${unexpected.join(', ')}` : ''}. Check the adapter name and config, or load with strict: false.`,
          [...missing, ...unexpected],
        );
      }
      for (const [variable, given] of updates) tf.tidy(() => variable.assign(tf.tensor(given.data, variable.shape, 'float32')));
      return { missing, unexpected };
    },
    dispose: () => { for (const v of variables.values()) v.dispose(); },
  };
}
