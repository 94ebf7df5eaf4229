import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACTIVATIONS, type Activation } from '../adapters/activation-names.ts';
import { bottleneckDelta, bottleneckDeltaComposed, type Scaling } from '../adapters/hot-paths.ts';
import { initBackend } from '../backend/init-backend.ts';
import { nodeWebGpu } from '../backend/node-webgpu.ts';
import { bottleneckPath, fusedBottleneckDelta, fusedMaxWidth } from './bottleneck.ts';
import { type ArgSpec, arg, directionalDerivative, dot, onBackend, programsDispatched, relativeDiff, valueAndGradients } from './test-support.ts';

// The fused bottleneck (shaders/bottleneck-*.wgsl) on Dawn (the `webgpu` package, SwiftShader) against its composed
// twin bottleneckDeltaComposed on tfjs's cpu backend, and against finite differences of itself.
const node = await nodeWebGpu();
const gpu = 'gpu' in node ? node.gpu : undefined;

const FORWARD_TOLERANCE = 1e-4;
const GRADIENT_TOLERANCE = 1e-3;

/** How a case passes scaling: a number, or a tensor of this shape (learned [1], channel [hidden], gate [batch, 1, 1]). */
type ScalingSpec = number | 'learned' | 'channel' | 'gate';

interface Case {
  batch: number;
  seq: number;
  hidden: number;
  /** bottleneck width d */
  width: number;
  act: Activation;
  scaling: ScalingSpec;
  residual: boolean;
}

/** The case's arguments in call order: x, W_down, b_down, W_up, b_up, [scale tensor], [residual]; and dy. */
function problem(c: Case): { args: ArgSpec[]; dy: ArgSpec } {
  const tag = `bottleneck ${c.batch}x${c.seq}x${c.hidden} d${c.width} ${c.act} ${c.scaling} ${c.residual}`;
  const scaleShape = { learned: [1], channel: [c.hidden], gate: [c.batch, 1, 1] };
  const args = [
    arg(`${tag} x`, [c.batch, c.seq, c.hidden], 2),
    arg(`${tag} wDown`, [c.width, c.hidden], 1 / Math.sqrt(c.hidden)),
    arg(`${tag} bDown`, [c.width], 0.5),
    arg(`${tag} wUp`, [c.hidden, c.width], 1 / Math.sqrt(c.width)),
    arg(`${tag} bUp`, [c.hidden], 0.5),
    ...(typeof c.scaling === 'number' ? [] : [arg(`${tag} scale`, scaleShape[c.scaling], 2)]),
    ...(c.residual ? [arg(`${tag} residual`, [c.batch, c.seq, c.hidden])] : []),
  ];
  return { args, dy: arg(`${tag} dy`, [c.batch, c.seq, c.hidden]) };
}

/** The case as a function of its tensors through `body`: fused, routed (hot-paths) or composed. */
function asFunction(c: Case, body: typeof bottleneckDelta) {
  return (...t: tf.Tensor[]) => {
    const [x, wDown, bDown, wUp, bUp] = t as [tf.Tensor3D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D];
    const scaling: Scaling = typeof c.scaling === 'number' ? c.scaling : t[5];
    const residual = c.residual ? t[t.length - 1] as tf.Tensor3D : undefined;
    return body(x, { weight: wDown, bias: bDown }, { weight: wUp, bias: bUp }, c.act, scaling, residual);
  };
}

/** Largest relative difference of the forward and of each gradient, fused on webgpu against composed on cpu. */
async function compareWithComposed(c: Case): Promise<{ forward: number; gradients: number[] }> {
  const { args, dy } = problem(c);
  const got = await valueAndGradients(asFunction(c, fusedBottleneckDelta), args, dy);
  const want = await onBackend('cpu', () => valueAndGradients(asFunction(c, bottleneckDeltaComposed), args, dy));
  const diffs = got.map((g, i) => relativeDiff(g, want[i]));
  return { forward: diffs[0], gradients: diffs.slice(1) };
}

const base: Case = { batch: 2, seq: 5, hidden: 37, width: 3, act: 'gelu', scaling: 2, residual: false };

describe.skipIf(!gpu)(`fused bottleneck on Dawn${gpu ? '' : ` (skipped: ${'unavailable' in node ? node.unavailable : ''})`}`, () => {
  beforeAll(async () => {
    await initBackend('webgpu', { gpu });
  });

  it('takes the WGSL path up to width 64 on this device and the composed path beyond', () => {
    expect(fusedMaxWidth()).toBe(64);
    expect(bottleneckPath(1)).toBe('wgsl');
    expect(bottleneckPath(64)).toBe('wgsl');
    expect(bottleneckPath(65)).toBe('composed');
  });

  // Every activation name the adapters library accepts, forward and all five gradients.
  it.each(ACTIVATIONS.map((act) => [act]))('%s matches the composed twin (forward ≤ 1e-4, gradients ≤ 1e-3 relative)', async (act) => {
    const { forward, gradients } = await compareWithComposed({ ...base, act });
    expect(forward).toBeLessThanOrEqual(FORWARD_TOLERANCE);
    for (const g of gradients) expect(g).toBeLessThanOrEqual(GRADIENT_TOLERANCE);
  });

  // Hidden sizes that are not multiples of the 32-wide tiles, one row, several row tiles with a partial last one,
  // widths 1, 3, 4, 48, 64 (the K-split layouts below 8, 6 and 8 column registers per thread).
  it.each([
    [1, 1, 37, 1, 'relu'], [1, 1, 130, 48, 'gelu'], [2, 33, 37, 3, 'swish'], [3, 7, 130, 48, 'gelu_new'],
    [2, 9, 64, 4, 'leakyrelu'], [1, 17, 37, 64, 'tanh'], [1, 40, 130, 5, 'gelu'],
  ] as const)('batch %i, seq %i, hidden %i, width %i, %s matches the composed twin', async (batch, seq, hidden, width, act) => {
    const { forward, gradients } = await compareWithComposed({ ...base, batch, seq, hidden, width, act });
    expect(forward).toBeLessThanOrEqual(FORWARD_TOLERANCE);
    for (const g of gradients) expect(g).toBeLessThanOrEqual(GRADIENT_TOLERANCE);
  });

  // Scaling inside the kernels (learned scalar, per channel, with its gradient), outside them (a gate), and the
  // residual added in the same pass (its gradient is dy).
  it.each([
    ['learned', false, 3], ['channel', false, 48], ['gate', false, 3], [0.25, true, 3], ['learned', true, 48], ['channel', true, 5],
  ] as const)('scaling %s, residual %s, width %i matches the composed twin incl. the scaling gradient', async (scaling, residual, width) => {
    const { forward, gradients } = await compareWithComposed({ ...base, hidden: 130, width, scaling, residual });
    expect(forward).toBeLessThanOrEqual(FORWARD_TOLERANCE);
    expect(gradients).toHaveLength(5 + (typeof scaling === 'number' ? 0 : 1) + (residual ? 1 : 0));
    for (const g of gradients) expect(g).toBeLessThanOrEqual(GRADIENT_TOLERANCE);
  });

  // ⟨∇L, u⟩ from the fused backward against central differences of the fused forward itself, for every argument.
  it.each([['gelu', 'learned'], ['swish', 'channel'], ['tanh', 0.5]] as const)(
    'gradients match finite differences of the fused forward (%s, scaling %s, residual)', async (act, scaling) => {
      const c: Case = { ...base, batch: 1, seq: 6, hidden: 37, width: 5, act, scaling, residual: true };
      const { args, dy } = problem(c);
      const f = asFunction(c, fusedBottleneckDelta);
      const [, ...grads] = await valueAndGradients(f, args, dy);
      for (let i = 0; i < args.length; i++) {
        const u = arg(`direction ${act} ${i}`, args[i].shape).values;
        const numeric = await directionalDerivative(f, args, dy, i, u, 1e-2);
        const analytic = dot(grads[i], u);
        expect(Math.abs(numeric - analytic), `argument ${i}: numeric ${numeric}, analytic ${analytic}`)
          .toBeLessThanOrEqual(2e-3 * Math.max(1, Math.abs(analytic)));
      }
    });

  it('hot-paths bottleneckDelta runs our four programs on webgpu, and the composed twin beyond width 64', async () => {
    const fusedCase: Case = { ...base, width: 7 };
    const fusedProblem = problem(fusedCase);
    const programs = await programsDispatched(() => valueAndGradients(asFunction(fusedCase, bottleneckDelta), fusedProblem.args, fusedProblem.dy));
    expect(programs.filter((k) => k.startsWith('adapterStudio.')).map((k) => k.split('.')[2]))
      .toEqual(['forward', 'backwardRows', 'backwardInput', 'weightGrads']);

    const wide: Case = { ...base, width: 65, act: 'relu' };
    const { args, dy } = problem(wide);
    let routed: Float32Array[] = [];
    const widePrograms = await programsDispatched(async () => { routed = await valueAndGradients(asFunction(wide, bottleneckDelta), args, dy); });
    expect(widePrograms.filter((k) => k.startsWith('adapterStudio.'))).toEqual([]);
    const want = await onBackend('cpu', () => valueAndGradients(asFunction(wide, bottleneckDeltaComposed), args, dy));
    routed.forEach((g, i) => expect(relativeDiff(g, want[i])).toBeLessThanOrEqual(GRADIENT_TOLERANCE));
    expect(() => asFunction(wide, fusedBottleneckDelta)(...args.map((a) => tf.tensor(a.values, a.shape))))
      .toThrow('a bottleneck of width 65 cannot run fused on the webgpu backend (fused widths: 1…64)');
  });

  it('names the shapes when they do not fit', () => {
    const x = tf.zeros([1, 2, 8]) as tf.Tensor3D;
    const down = { weight: tf.zeros([3, 9]) as tf.Tensor2D, bias: tf.zeros([3]) as tf.Tensor1D };
    const up = { weight: tf.zeros([8, 3]) as tf.Tensor2D, bias: tf.zeros([8]) as tf.Tensor1D };
    expect(() => fusedBottleneckDelta(x, down, up, 'relu', 1)).toThrow('fusedBottleneckDelta: x [1,2,8], down [3,9] + [3], up [8,3] + [8] do not fit');
  });

  it('keeps tf.memory() steady over 100 forward + backward steps', async () => {
    const c: Case = { ...base, batch: 2, seq: 16, hidden: 64, width: 4, scaling: 'learned', residual: true };
    const { args, dy } = problem(c);
    const tensors = args.map((a) => tf.tensor(a.values, a.shape));
    const dyTensor = tf.tensor(dy.values, dy.shape);
    const f = asFunction(c, fusedBottleneckDelta);
    const step = async () => {
      const outputs = tf.tidy(() => {
        const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => f(...xs))(tensors, dyTensor as tf.Tensor3D);
        return [value, ...grads];
      });
      await Promise.all(outputs.map((t) => t.data()));
      tf.dispose(outputs);
    };
    await step();
    const before = tf.memory();
    for (let i = 0; i < 100; i++) await step();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    tf.dispose([...tensors, dyTensor]);
  });
});
