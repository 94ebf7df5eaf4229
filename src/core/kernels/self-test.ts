import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../backend/backend-info.ts';
import { linear, linearComposed, linearPath } from './linear.ts';
import { maxAbsDiff, uniformValues } from './parity.ts';
import type { ParityCheck, SelfTestReport } from './self-test-report.ts';

/** Largest |active − cpu| accepted: float32 sums of up to 64 products differ by rounding only. */
const FORWARD_TOLERANCE = 1e-4;
const GRADIENT_TOLERANCE = 1e-3;

/** Odd sizes on purpose: none is a multiple of the kernel's 64×64×16 tile. */
const LINEAR_CASES: { label: string; x: number[]; n: number }[] = [
  { label: '7×37×19', x: [7, 37], n: 19 },
  { label: '1×33×64×48', x: [1, 33, 64], n: 48 },
];

/**
 * Runs our kernels and a tfjs op on the active backend and the same computation on tfjs's cpu backend, and
 * reports the largest element-wise differences: (a) `linear` forward and its gradients dx, dW, db at odd sizes,
 * (b) `tf.matMul` 64×48·48×40.
 */
export async function runKernelSelfTest(): Promise<SelfTestReport> {
  const backend = tf.getBackend() as BackendName;
  const checks: ParityCheck[] = [];
  for (const testCase of LINEAR_CASES) checks.push(...await linearParity(testCase.label, testCase.x, testCase.n));
  checks.push(await matMulParity(64, 48, 40));
  return { backend, checks, passed: checks.every((c) => c.passed) };
}

async function linearParity(label: string, xShape: number[], n: number): Promise<ParityCheck[]> {
  const k = xShape[xShape.length - 1];
  const yShape = [...xShape.slice(0, -1), n];
  const data = {
    x: uniformValues(`linear ${label} x`, size(xShape)),
    w: uniformValues(`linear ${label} w`, n * k),
    b: uniformValues(`linear ${label} b`, n),
    dy: uniformValues(`linear ${label} dy`, size(yShape)),
  };
  const run = (f: (x: tf.Tensor, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor) => () => {
    const x = tf.tensor(data.x, xShape);
    const w = tf.tensor2d(data.w, [n, k]);
    const b = tf.tensor1d(data.b);
    const { value, grads } = tf.valueAndGrads((...args: tf.Tensor[]) => f(args[0], args[1] as tf.Tensor2D, args[2] as tf.Tensor1D))(
      [x, w, b], tf.tensor(data.dy, yShape));
    return [value, ...grads];
  };
  const path = linearPath();
  const active = await timedOnBackend(tf.getBackend(), run(linear));
  const reference = await timedOnBackend('cpu', run((x, w, b) =>
    tf.reshape(linearComposed(tf.reshape(x, [-1, k]) as tf.Tensor2D, w, b), yShape)));
  const parts = [['forward', FORWARD_TOLERANCE], ['dx', GRADIENT_TOLERANCE], ['dW', GRADIENT_TOLERANCE], ['db', GRADIENT_TOLERANCE]] as const;
  return parts.map(([part, tolerance], i) =>
    check(`linear ${label} ${part}`, path, maxAbsDiff(active.values[i], reference.values[i]), tolerance, active.ms));
}

async function matMulParity(m: number, k: number, n: number): Promise<ParityCheck> {
  const a = uniformValues(`matMul ${m}x${k}x${n} a`, m * k);
  const b = uniformValues(`matMul ${m}x${k}x${n} b`, k * n);
  const run = () => [tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n]))];
  const active = await timedOnBackend(tf.getBackend(), run);
  const reference = await timedOnBackend('cpu', run);
  return check(`matMul ${m}×${k}×${n}`, 'tfjs', maxAbsDiff(active.values[0], reference.values[0]), FORWARD_TOLERANCE, active.ms);
}

function check(name: string, path: ParityCheck['path'], maxAbsError: number, tolerance: number, ms: number): ParityCheck {
  return { name, path, maxAbsError, tolerance, passed: maxAbsError <= tolerance, ms };
}

/** Runs `compute` on backend `name` (switching there and back if needed) and reads its outputs back. */
async function timedOnBackend(name: string, compute: () => tf.Tensor[]): Promise<{ values: Float32Array[]; ms: number }> {
  const previous = tf.getBackend();
  if (name !== previous) await tf.setBackend(name);
  try {
    const start = performance.now();
    const outputs = tf.tidy(compute);
    const values = await Promise.all(outputs.map((t) => t.data() as Promise<Float32Array>));
    const ms = performance.now() - start;
    tf.dispose(outputs);
    return { values, ms };
  } finally {
    if (name !== previous) await tf.setBackend(previous);
  }
}

const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);
