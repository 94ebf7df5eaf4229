/**
 * The tensor primitives every forward pass shares (encoder, adapters, heads, the kernels' composed twins), each
 * written once: torch.nn.Linear's x · Wᵀ + b, torch.nn.LayerNorm, and transformers' activations.
 */
import * as tf from '@tensorflow/tfjs';
import type { Activation } from './adapters/activation-names.ts';

/** A Linear layer's parameters in torch layout. */
export interface LinearMap {
  /** [out, in] weight. */
  weight: tf.Tensor2D;
  /** [out] bias; absent for a Linear without one. */
  bias?: tf.Tensor1D;
  /**
   * Set on an uploaded encoder weight, which no run trains: backward then computes dX = dY · W alone and keeps
   * nothing of the forward pass (tfjs' own gradients keep x for dW and the product for the bias add's shapes:
   * at bert-base about a third of a step's activations).
   */
  frozen?: boolean;
}

/**
 * x · weightᵀ + bias over the last axis of x ([..., in] → [..., out]), as torch.nn.Linear, on the stored [out, in]
 * weight: every backend reads the transposed operand in place (on wasm the studio's own GEMM, wasm-gemm.ts), so
 * no weight is copied into another layout. Not tf.fused.matMul:
 * with transposeB and a bias, tfjs-backend-wasm 4.22 adds the wrong bias elements ([[1,2,3],[4,5,6]] ·
 * [[1,0,1],[0,1,0]]ᵀ + [10,20] gives [[14,22],[30,25]] instead of [[14,22],[20,25]]; encoder-backends.test.ts).
 */
export function linear<T extends tf.Tensor>(x: T, map: LinearMap): T {
  const inputs = x.shape[x.rank - 1];
  const rows = x.reshape([-1, inputs]) as tf.Tensor2D;
  const y = map.frozen ? frozenLinear(rows, map) : withBias(tf.matMul(rows, map.weight, false, true), map.bias);
  return y.reshape([...x.shape.slice(0, -1), map.weight.shape[0]]) as T;
}

const withBias = (product: tf.Tensor2D, bias?: tf.Tensor1D) => (bias ? product.add(bias) : product);

/** rows · Wᵀ + b for a frozen W and b: the gradient reaches only the rows, as dY · W. */
function frozenLinear(rows: tf.Tensor2D, map: LinearMap): tf.Tensor2D {
  const product = tf.customGrad((input) => ({
    value: withBias(tf.matMul(input as tf.Tensor2D, map.weight, false, true), map.bias),
    gradFunc: (dy) => tf.matMul(dy as tf.Tensor2D, map.weight),
  }));
  return product(rows) as tf.Tensor2D;
}

/**
 * x · c for a constant c, keeping nothing for backward (dx = dy · c): tf.mul keeps both operands, which for
 * attention's scores / sqrt(headDim) held a [batch, heads, seq, seq] tensor per layer until backward.
 */
export function scaleBy<T extends tf.Tensor>(x: T, c: number): T {
  const scaled = tf.customGrad((input) => ({ value: (input as tf.Tensor).mul(c), gradFunc: (dy) => (dy as tf.Tensor).mul(c) }));
  return scaled(x) as T;
}

/** A LayerNorm's affine parameters. */
export interface NormMap {
  /** [width] scale (gamma). */
  weight: tf.Tensor1D;
  /** [width] shift (beta). */
  bias: tf.Tensor1D;
}

/**
 * (x - mean) / sqrt(biased variance + eps) · weight + bias over the last axis, as torch.nn.LayerNorm, keeping for
 * backward only x̂ = (x - mean) · rstd and rstd (torch keeps x, mean and rstd): the composed ops kept four tensors
 * of x's size. dx = rstd · (g - mean(g) - x̂ · mean(g · x̂)) with g = dy · weight; dweight = Σ dy · x̂, dbias = Σ dy.
 */
export function layerNorm<T extends tf.Tensor>(x: T, norm: NormMap, eps: number): T {
  const normalized = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, weight, bias] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const { mean, variance } = tf.moments(input, -1, true);
    const rstd = tf.rsqrt(variance.add(eps));
    const xHat = input.sub(mean).mul(rstd);
    // The weight too: it may be an intermediate of the step (an adapter's), which only saved tensors outlive.
    save([xHat, rstd, weight]);
    return {
      value: xHat.mul(weight).add(bias),
      // tfjs runs a custom gradient outside any tidy, so its temporaries would live to the end of backward.
      gradFunc: (dy, [kept, keptRstd, keptWeight]) => tf.tidy(() => {
        const rows = kept.size / kept.shape[kept.rank - 1];
        const g = (dy as tf.Tensor).mul(keptWeight);
        const dx = g.sub(g.mean(-1, true)).sub(kept.mul(g.mul(kept).mean(-1, true))).mul(keptRstd);
        const flat = (t: tf.Tensor) => t.reshape([rows, -1]);
        return [dx, flat((dy as tf.Tensor).mul(kept)).sum(0), flat(dy as tf.Tensor).sum(0)];
      }),
    };
  });
  return normalized(x, norm.weight, norm.bias) as T;
}

/** Exact GELU, x/2 · (1 + erf(x/√2)). */
function geluOf(x: tf.Tensor): tf.Tensor {
  return x.mul(tf.erf(x.mul(Math.SQRT1_2)).add(1)).mul(0.5);
}

/**
 * Exact GELU keeping only x for backward, GELU'(x) = Φ(x) + x·φ(x): the composed form kept four tensors of its
 * input's size (the feed-forward's widest) for every layer until the backward pass reached it.
 */
const exactGelu = tf.customGrad((x, save) => {
  (save as tf.GradSaveFunc)([x as tf.Tensor]);
  return {
    value: geluOf(x as tf.Tensor),
    // In a tidy: tfjs runs a custom gradient outside any, and cdf, pdf and their products would otherwise live to
    // the end of backward (four tensors of the feed-forward's width per layer).
    gradFunc: (dy, [kept]) => tf.tidy(() => {
      const cdf = tf.erf(kept.mul(Math.SQRT1_2)).add(1).mul(0.5);
      const pdf = tf.exp(kept.square().mul(-0.5)).mul(1 / Math.sqrt(2 * Math.PI));
      return (dy as tf.Tensor).mul(cdf.add(kept.mul(pdf)));
    }),
  };
});

/** Applies the activation elementwise; the formulas are transformers' (activations.py). */
export function applyActivation<T extends tf.Tensor>(x: T, act: Activation): T {
  switch (act) {
    case 'relu': return tf.relu(x);
    case 'relu6': return tf.relu6(x);
    case 'gelu': case 'gelu_python': return exactGelu(x) as T;
    // Tanh approximation: x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³))).
    case 'gelu_new': case 'gelu_fast': case 'gelu_pytorch_tanh':
      return x.mul(tf.tanh(x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI))).add(1)).mul(0.5);
    case 'quick_gelu': return x.mul(tf.sigmoid(x.mul(1.702)));
    case 'silu': case 'swish': return x.mul(tf.sigmoid(x));
    case 'tanh': return tf.tanh(x);
    case 'sigmoid': return tf.sigmoid(x);
    // torch's default negative slope.
    case 'leakyrelu': case 'leaky_relu': return tf.leakyRelu(x, 0.01);
    case 'mish': return x.mul(tf.tanh(tf.softplus(x)));
    case 'linear': return x;
  }
}
