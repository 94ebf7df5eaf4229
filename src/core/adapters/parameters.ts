/**
 * Declarations of adapter and head parameters (torch state-dict key, shape, init) and their seeded initial
 * values. The same declarations count parameters for `adapterSummary` (no tensors) and create the
 * tf.Variables of a live adapter, so the two cannot disagree.
 */

import { fnv1a, normalSource, seededRandom } from '../random.ts';

/** How a parameter starts, after torch's init functions of the same name. */
export type ParamInit =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  /** N(0, std²). */
  | { kind: 'normal'; std: number }
  /** U(-bound, bound): nn.Linear's default init and kaiming_uniform(a=√5) both give bound = 1/√fan_in. */
  | { kind: 'uniform'; bound: number }
  /** N(0, std²) redrawn until inside [low, high] (torch.nn.init.trunc_normal_). */
  | { kind: 'truncatedNormal'; std: number; low: number; high: number }
  /** xavier_normal_ on each [rows, cols] slice of a [n, rows, cols] tensor: std = √(2 / (rows + cols)). */
  | { kind: 'xavierNormalSlices' }
  /** A square matrix of `offDiagonal` with ones on the diagonal (BertFusion's value_initialized). */
  | { kind: 'nearIdentity'; offDiagonal: number }
  /** Filled later by the method (prompt tuning "from_string" copies word embeddings). */
  | { kind: 'external' };

export interface ParamSpec {
  /** The torch state-dict key, e.g. "bert.encoder.layer.0.output.adapters.sst2.adapter_down.0.weight". */
  key: string;
  /** Further keys torch's state_dict lists for the same tensor (a module registered under two names). */
  aliases: string[];
  /** torch layout, e.g. [out, in] for a Linear weight. */
  shape: number[];
  init: ParamInit;
  /** Whether training updates it (requires_grad after train_adapter). */
  trainable: boolean;
  /** Seed that replaces the adapter's seed stream for this parameter (config init_weights_seed). */
  fixedSeed?: number;
  /** Name of the parameter inside its module ("adapter_down.0.weight"); with fixedSeed, equal names start equal. */
  local: string;
}

export function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * The parameter's initial values. Each parameter draws from its own stream, seeded by the adapter seed and its
 * key (so values do not depend on creation order), or by fixedSeed and its local name (init_weights_seed:
 * every module starts the same, as the library's fix_seed gives).
 */
export function initialValues(spec: ParamSpec, adapterSeed: number): Float32Array {
  const size = elementCount(spec.shape);
  const out = new Float32Array(size);
  const seed = spec.fixedSeed !== undefined ? fnv1a(`${spec.fixedSeed}:${spec.local}`) : fnv1a(`${adapterSeed}:${spec.key}`);
  const uniform = seededRandom(seed);
  const normal = normalSource(uniform);
  const init = spec.init;
  switch (init.kind) {
    case 'zeros': case 'external': break;
    case 'ones': out.fill(1); break;
    case 'normal': for (let i = 0; i < size; i++) out[i] = init.std * normal(); break;
    case 'uniform': for (let i = 0; i < size; i++) out[i] = init.bound * (2 * uniform() - 1); break;
    case 'truncatedNormal':
      for (let i = 0; i < size; i++) {
        let v: number;
        do v = init.std * normal(); while (v < init.low || v > init.high);
        out[i] = v;
      }
      break;
    case 'nearIdentity': {
      const n = spec.shape[0];
      out.fill(init.offDiagonal);
      for (let i = 0; i < n; i++) out[i * n + i] = 1;
      break;
    }
    case 'xavierNormalSlices': {
      const [, rows, cols] = spec.shape;
      const std = Math.sqrt(2 / (rows + cols));
      for (let i = 0; i < size; i++) out[i] = std * normal();
      break;
    }
  }
  return out;
}
