// activation: the adapter non-linearities and their derivatives, elementwise on f32, with the formulas of
// transformers' activations.py (and F.leaky_relu for "leakyrelu") as src/core/adapters/activations.ts composes
// them; the derivatives are the ones tfjs's autodiff takes through those compositions (relu' = 0 at 0, relu6' = 1
// on (0, 6], leaky_relu' = 0.01 at 0).
//
// Spliced into the bottleneck programs by src/core/kernels/bottleneck-programs.ts, after a prelude that sets
// `const ACT : i32` to one of the codes below (ACTIVATION_CODES there).
//   0 linear        1 relu          2 relu6        3 gelu (erf)    4 gelu_new (tanh)   5 quick_gelu
//   6 silu / swish  7 tanh          8 sigmoid      9 leakyrelu    10 mish

const SQRT_HALF : f32 = 0.7071067811865476;        // 1/√2
const INV_SQRT_2PI : f32 = 0.3989422804014327;     // 1/√(2π)
const SQRT_2_OVER_PI : f32 = 0.7978845608028654;   // √(2/π)
const GELU_CUBIC : f32 = 0.044715;
const QUICK_GELU : f32 = 1.702;
const LEAKY_SLOPE : f32 = 0.01;                    // torch's default negative slope

// erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), the approximation tfjs's own erf kernels use.
fn erfApprox(x : f32) -> f32 {
  let t = 1.0 / (1.0 + 0.3275911 * abs(x));
  let poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  return sign(x) * (1.0 - poly * exp(-x * x));
}

// tanh without the overflow of (e^2x − 1)/(e^2x + 1) for large |x| (the form tfjs's tanh kernel uses).
fn tanhStable(x : f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}

fn sigmoid(x : f32) -> f32 {
  return 1.0 / (1.0 + exp(-x));
}

// log(1 + e^x) with tfjs's thresholds (its softplus kernel), exact to f32 at both tails.
fn softplus(x : f32) -> f32 {
  let threshold = log(1.1920928955078125e-7) + 2.0;
  if (x > -threshold) { return x; }
  if (x < threshold) { return exp(x); }
  return log(exp(x) + 1.0);
}

fn activate(z : f32) -> f32 {
  switch (ACT) {
    case 1: { return max(z, 0.0); }
    case 2: { return clamp(z, 0.0, 6.0); }
    case 3: { return 0.5 * z * (1.0 + erfApprox(z * SQRT_HALF)); }
    case 4: { return 0.5 * z * (1.0 + tanhStable(SQRT_2_OVER_PI * (z + GELU_CUBIC * z * z * z))); }
    case 5: { return z * sigmoid(QUICK_GELU * z); }
    case 6: { return z * sigmoid(z); }
    case 7: { return tanhStable(z); }
    case 8: { return sigmoid(z); }
    case 9: { return select(LEAKY_SLOPE * z, z, z > 0.0); }
    case 10: { return z * tanhStable(softplus(z)); }
    default: { return z; }
  }
}

// d activate(z) / dz
fn activateGrad(z : f32) -> f32 {
  switch (ACT) {
    case 1: { return select(0.0, 1.0, z > 0.0); }
    case 2: { return select(0.0, 1.0, z > 0.0 && z <= 6.0); }
    case 3: { return 0.5 * (1.0 + erfApprox(z * SQRT_HALF)) + z * INV_SQRT_2PI * exp(-0.5 * z * z); }
    case 4: {
      let t = tanhStable(SQRT_2_OVER_PI * (z + GELU_CUBIC * z * z * z));
      return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_CUBIC * z * z);
    }
    case 5: {
      let s = sigmoid(QUICK_GELU * z);
      return s + QUICK_GELU * z * s * (1.0 - s);
    }
    case 6: {
      let s = sigmoid(z);
      return s * (1.0 + z * (1.0 - s));
    }
    case 7: {
      let t = tanhStable(z);
      return 1.0 - t * t;
    }
    case 8: {
      let s = sigmoid(z);
      return s * (1.0 - s);
    }
    case 9: { return select(LEAKY_SLOPE, 1.0, z > 0.0); }
    case 10: {
      let t = tanhStable(softplus(z));
      return t + z * (1.0 - t * t) * sigmoid(z);
    }
    default: { return 1.0; }
  }
}

fn activateVec(z : vec4<f32>) -> vec4<f32> {
  return vec4<f32>(activate(z.x), activate(z.y), activate(z.z), activate(z.w));
}

fn activateGradVec(z : vec4<f32>) -> vec4<f32> {
  return vec4<f32>(activateGrad(z.x), activateGrad(z.y), activateGrad(z.z), activateGrad(z.w));
}
