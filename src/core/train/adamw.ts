/**
 * AdamW exactly as torch.optim.AdamW updates a parameter (decoupled weight decay, bias-corrected moments,
 * per-parameter step count):
 *
 *   step += 1
 *   θ ← θ · (1 − lr · λ)                         (only parameters that take weight decay)
 *   m ← β1 · m + (1 − β1) · g
 *   v ← β2 · v + (1 − β2) · g²
 *   θ ← θ − lr / (1 − β1^step) · m / (√v / √(1 − β2^step) + ε)
 *
 * A parameter without a gradient in an update (e.g. an adapter layer skipped by AdapterDrop) is left alone, as
 * torch skips parameters whose .grad is None.
 */
import * as tf from '@tensorflow/tfjs';

/** A parameter the trainer updates. */
export interface TrainableParameter {
  /** The torch state-dict name, e.g. "bert.encoder.layer.0.output.adapters.sst2.adapter_up.bias"; decides weight decay. */
  name: string;
  /** The live values, updated in place. */
  variable: tf.Variable;
}

export interface AdamWOptions {
  /** Coefficients of the running means of the gradient and its square (torch default [0.9, 0.999]). */
  betas?: [number, number];
  /** Added to the denominator for stability (torch default 1e-8). */
  eps?: number;
  /** Decoupled weight decay λ (torch default 0.01); not applied to biases and LayerNorm weights. */
  weightDecay?: number;
}

/** Name parts of parameters that never take weight decay: biases and LayerNorm weights (as transformers' Trainer excludes them). */
const NO_DECAY_PARTS = ['bias', 'LayerNorm', 'layer_norm', '_ln', 'adapter_norm'];

/** Whether weight decay applies to the parameter called `name`. */
export function takesWeightDecay(name: string): boolean {
  return !NO_DECAY_PARTS.some((part) => name.includes(part));
}

/** One parameter's optimizer state on the host, for checkpoints. */
export interface ParameterMoments {
  /** The parameter's name. */
  name: string;
  /** Updates applied to this parameter so far (bias correction uses it). */
  step: number;
  /** Running mean of the gradient (exp_avg), same shape as the parameter. */
  m: Float32Array;
  /** Running mean of the squared gradient (exp_avg_sq), same shape as the parameter. */
  v: Float32Array;
}

interface Slot {
  parameter: TrainableParameter;
  decays: boolean;
  step: number;
  /** exp_avg, shaped like the parameter. */
  m: tf.Variable;
  /** exp_avg_sq, shaped like the parameter. */
  v: tf.Variable;
}

export class AdamW {
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  private readonly slots: Map<string, Slot>;

  constructor(parameters: TrainableParameter[], options: AdamWOptions = {}) {
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    const [beta1, beta2] = this.betas;
    if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) throw new RangeError(`AdamW betas must be in [0, 1), got [${beta1}, ${beta2}].`);
    if (!(this.eps >= 0)) throw new RangeError(`AdamW eps must be at least 0, got ${this.eps}.`);
    if (!(this.weightDecay >= 0)) throw new RangeError(`AdamW weight decay must be at least 0, got ${this.weightDecay}.`);
    this.slots = new Map();
    for (const parameter of parameters) {
      if (this.slots.has(parameter.name)) throw new Error(`AdamW: parameter "${parameter.name}" is listed twice.`);
      this.slots.set(parameter.name, {
        parameter,
        decays: takesWeightDecay(parameter.name),
        step: 0,
        m: tf.tidy(() => tf.variable(tf.zerosLike(parameter.variable), false)),
        v: tf.tidy(() => tf.variable(tf.zerosLike(parameter.variable), false)),
      });
    }
  }

  /**
   * One update with learning rate `lr`. `gradients` maps parameter names to gradients; each is multiplied by
   * `gradientScale` first (gradient averaging and clipping fold into it). Parameters without a gradient are skipped.
   */
  step(gradients: Map<string, tf.Tensor>, lr: number, gradientScale = 1): void {
    const [beta1, beta2] = this.betas;
    for (const [name, gradient] of gradients) {
      const slot = this.slots.get(name);
      if (!slot) throw new Error(`AdamW: gradient for unknown parameter "${name}".`);
      slot.step += 1;
      const correction1 = 1 - beta1 ** slot.step;
      const correction2 = 1 - beta2 ** slot.step;
      tf.tidy(() => {
        const g = gradientScale === 1 ? gradient : gradient.mul(gradientScale);
        const m = slot.m.mul(beta1).add(g.mul(1 - beta1));
        const v = slot.v.mul(beta2).add(g.square().mul(1 - beta2));
        slot.m.assign(m);
        slot.v.assign(v);
        const theta = slot.parameter.variable;
        const decayed = slot.decays && this.weightDecay > 0 ? theta.mul(1 - lr * this.weightDecay) : theta;
        const denominator = v.sqrt().div(Math.sqrt(correction2)).add(this.eps);
        theta.assign(decayed.sub(m.div(denominator).mul(lr / correction1)));
      });
    }
  }

  /** The moments and step counts, read back to the host. */
  async state(): Promise<ParameterMoments[]> {
    return Promise.all([...this.slots.values()].map(async (slot) => ({
      name: slot.parameter.name,
      step: slot.step,
      m: await slot.m.data() as Float32Array,
      v: await slot.v.data() as Float32Array,
    })));
  }

  /** Restores moments and step counts saved by `state()`; every parameter must be present with its shape. */
  loadState(moments: ParameterMoments[]): void {
    const byName = new Map(moments.map((p) => [p.name, p]));
    for (const [name, slot] of this.slots) {
      const saved = byName.get(name);
      if (!saved) throw new Error(`AdamW state has no moments for parameter "${name}".`);
      if (saved.m.length !== slot.m.size || saved.v.length !== slot.v.size) {
        throw new Error(`AdamW state for "${name}" holds ${saved.m.length} values; the parameter has ${slot.m.size}.`);
      }
      slot.step = saved.step;
      tf.tidy(() => {
        slot.m.assign(tf.tensor(saved.m, slot.m.shape, 'float32'));
        slot.v.assign(tf.tensor(saved.v, slot.v.shape, 'float32'));
      });
    }
  }

  /** Frees the moment tensors. */
  dispose(): void {
    for (const slot of this.slots.values()) {
      slot.m.dispose();
      slot.v.dispose();
    }
  }
}
