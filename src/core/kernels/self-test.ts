import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../backend/backend-info.ts';
import { bottleneckDelta, bottleneckDeltaComposed, ia3Scale, ia3ScaleComposed, loraDelta, loraDeltaComposed } from '../adapters/hot-paths.ts';
import { bottleneckPath } from './bottleneck.ts';
import { ia3Path } from './ia3.ts';
import { linear, linearComposed, linearPath } from './linear.ts';
import { loraPath } from './lora.ts';
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
 * (b) `tf.matMul` 64×48·48×40, (c) the adapter hot paths as the adapters call them (hot-paths.ts: the fused WGSL
 * kernels on webgpu) against their composed twins on cpu — bottleneck, LoRA, (IA)³ — forward and every gradient.
 */
export async function runKernelSelfTest(): Promise<SelfTestReport> {
  const backend = tf.getBackend() as BackendName;
  const checks: ParityCheck[] = [];
  for (const testCase of LINEAR_CASES) checks.push(...await linearParity(testCase.label, testCase.x, testCase.n));
  checks.push(await matMulParity(64, 48, 40));
  checks.push(...await bottleneckParity(), ...await loraParity(), ...await ia3Parity());
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

/** A hot-path computation on [batch, seq, features] tensors, given as its routed and its composed version. */
interface HotPathCase {
  /** Check name prefix, e.g. "bottleneck gelu 2×5×37 d3". */
  label: string;
  path: ParityCheck['path'];
  /** Argument shapes in call order. */
  shapes: number[][];
  /** Output shape, the shape of dy. */
  outShape: number[];
  /** Name of each reported part: the forward, then one per argument gradient. */
  parts: string[];
  routed: (...args: tf.Tensor[]) => tf.Tensor;
  composed: (...args: tf.Tensor[]) => tf.Tensor;
}

/** Forward and all gradients of `routed` on the active backend against `composed` on cpu, with seeded inputs. */
async function hotPathParity(c: HotPathCase): Promise<ParityCheck[]> {
  const args = c.shapes.map((shape, i) => uniformValues(`${c.label} arg ${i}`, size(shape)));
  const dy = uniformValues(`${c.label} dy`, size(c.outShape));
  const run = (f: (...args: tf.Tensor[]) => tf.Tensor) => () => {
    const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => f(...xs))(
      args.map((values, i) => tf.tensor(values, c.shapes[i])), tf.tensor(dy, c.outShape));
    return [value, ...grads];
  };
  const active = await timedOnBackend(tf.getBackend(), run(c.routed));
  const reference = await timedOnBackend('cpu', run(c.composed));
  return c.parts.map((part, i) => check(`${c.label} ${part}`, c.path, maxAbsDiff(active.values[i], reference.values[i]),
    i === 0 ? FORWARD_TOLERANCE : GRADIENT_TOLERANCE, active.ms));
}

/** Bottleneck adapter body with a learned scalar scaling (7 checks: forward, dx, dW_down, db_down, dW_up, db_up, dScale). */
function bottleneckParity(): Promise<ParityCheck[]> {
  const [batch, seq, hidden, d] = [2, 5, 37, 3];
  const body = (f: typeof bottleneckDelta) => (...t: tf.Tensor[]) =>
    f(t[0] as tf.Tensor3D, { weight: t[1] as tf.Tensor2D, bias: t[2] as tf.Tensor1D }, { weight: t[3] as tf.Tensor2D, bias: t[4] as tf.Tensor1D }, 'gelu', t[5]);
  return hotPathParity({
    label: `bottleneck gelu ${batch}×${seq}×${hidden} d${d}`, path: bottleneckPath(d),
    shapes: [[batch, seq, hidden], [d, hidden], [d], [hidden, d], [hidden], [1]], outShape: [batch, seq, hidden],
    parts: ['forward', 'dx', 'dW_down', 'db_down', 'dW_up', 'db_up', 'dScale'],
    routed: body(bottleneckDelta), composed: body(bottleneckDeltaComposed),
  });
}

/** LoRA update, scaling alpha / r = 2 (4 checks: forward, dx, dA, dB). */
function loraParity(): Promise<ParityCheck[]> {
  const [batch, seq, inputs, outputs, r] = [2, 5, 33, 21, 4];
  const body = (f: typeof loraDelta) => (...t: tf.Tensor[]) => f(t[0] as tf.Tensor3D, t[1] as tf.Tensor2D, t[2] as tf.Tensor2D, 2);
  return hotPathParity({
    label: `lora ${batch}×${seq}×${inputs}→${outputs} r${r}`, path: loraPath(r),
    shapes: [[batch, seq, inputs], [r, inputs], [outputs, r]], outShape: [batch, seq, outputs],
    parts: ['forward', 'dx', 'dA', 'dB'], routed: body(loraDelta), composed: body(loraDeltaComposed),
  });
}

/** (IA)³ with one vector per sequence (3 checks: forward, dy, dv). */
function ia3Parity(): Promise<ParityCheck[]> {
  const [batch, seq, out] = [2, 5, 37];
  const body = (f: typeof ia3Scale) => (...t: tf.Tensor[]) => f(t[0] as tf.Tensor3D, t[1]);
  return hotPathParity({
    label: `ia3 ${batch}×${seq}×${out} per sequence`, path: ia3Path({ shape: [batch, seq, out] }, { shape: [batch, 1, out] }),
    shapes: [[batch, seq, out], [batch, 1, out]], outShape: [batch, seq, out],
    parts: ['forward', 'dy', 'dv'], routed: body(ia3Scale), composed: body(ia3ScaleComposed),
  });
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
