/** Gradient accumulation over micro-batches, the global gradient norm and clipping as torch.nn.utils.clip_grad_norm_. */
import * as tf from '@tensorflow/tfjs';

/** Sums the gradients of the micro-batches of one update, by parameter name; owns the sums until disposed. */
export class GradientSum {
  /** Summed gradient of each parameter that received one. */
  readonly sums = new Map<string, tf.Tensor>();
  /** Micro-batches added. */
  count = 0;

  /** Adds one micro-batch's gradients and disposes them. */
  add(gradients: Map<string, tf.Tensor>): void {
    for (const [name, gradient] of gradients) {
      const previous = this.sums.get(name);
      if (previous) {
        this.sums.set(name, previous.add(gradient));
        previous.dispose();
        gradient.dispose();
      } else {
        this.sums.set(name, gradient);
      }
    }
    this.count += 1;
  }

  dispose(): void {
    for (const t of this.sums.values()) t.dispose();
    this.sums.clear();
    this.count = 0;
  }
}

/** √(Σ g²) over every element of every gradient (the 2-norm of all gradients concatenated); NaN or ∞ when any value is. */
export async function globalNorm(gradients: Iterable<tf.Tensor>): Promise<number> {
  const list = [...gradients];
  if (list.length === 0) return 0;
  // stack + sum, not addN: addN binds one buffer per input, past WebGPU's 8 storage buffers per stage.
  const squared = tf.tidy(() => tf.stack(list.map((g) => g.square().sum())).sum() as tf.Scalar);
  try {
    return Math.sqrt((await squared.data())[0]);
  } finally {
    squared.dispose();
  }
}

/**
 * The factor clip_grad_norm_ multiplies every gradient by: min(1, maxNorm / (totalNorm + 1e-6)).
 * `maxNorm` undefined or ≤ 0 means no clipping.
 */
export function clipCoefficient(totalNorm: number, maxNorm: number | undefined): number {
  if (maxNorm === undefined || maxNorm <= 0) return 1;
  return Math.min(1, maxNorm / (totalNorm + 1e-6));
}
