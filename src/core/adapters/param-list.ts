/** The parameter declarations a plan is built from: a list appended in torch state-dict order, and Linear / LayerNorm pairs. */
import type { ParamInit, ParamSpec } from './parameters.ts';

export interface LinearParams {
  /** [out, in] weight. */
  weight: ParamSpec;
  /** [out] bias. */
  bias: ParamSpec;
}

export interface NormParams {
  /** [width] gain. */
  weight: ParamSpec;
  /** [width] shift. */
  bias: ParamSpec;
}

/** nn.Linear's default init (kaiming_uniform(a=√5) weight, uniform bias): U(±1/√fan_in) for both. */
export const linearDefault = (fanIn: number): ParamInit => ({ kind: 'uniform', bound: 1 / Math.sqrt(fanIn) });

/** Appends parameter declarations to `params` in declaration (= state-dict) order. */
export class ParamList {
  constructor(readonly params: ParamSpec[], private readonly fixedSeed: number | null) {}

  add(prefix: string, local: string, shape: number[], init: ParamInit, options: { trainable?: boolean; aliases?: string[] } = {}): ParamSpec {
    const spec: ParamSpec = {
      key: `${prefix}.${local}`,
      aliases: (options.aliases ?? []).map((alias) => `${prefix}.${alias}`),
      shape,
      init,
      trainable: options.trainable ?? true,
      local,
      ...(this.fixedSeed !== null ? { fixedSeed: this.fixedSeed } : {}),
    };
    this.params.push(spec);
    return spec;
  }

  linear(prefix: string, local: string, inputs: number, outputs: number, weight: ParamInit, bias: ParamInit): LinearParams {
    return { weight: this.add(prefix, `${local}.weight`, [outputs, inputs], weight), bias: this.add(prefix, `${local}.bias`, [outputs], bias) };
  }
}
