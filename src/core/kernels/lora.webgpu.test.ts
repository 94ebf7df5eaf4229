import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loraDelta, loraDeltaComposed, type Scaling } from '../adapters/hot-paths.ts';
import { initBackend } from '../backend/init-backend.ts';
import { nodeWebGpu } from '../backend/node-webgpu.ts';
import { fusedLoraDelta, loraPath } from './lora.ts';
import { type ArgSpec, arg, directionalDerivative, dot, onBackend, programsDispatched, relativeDiff, valueAndGradients } from './test-support.ts';

// The fused LoRA update (the bottleneck programs without biases, identity activation) on Dawn against its composed
// twin loraDeltaComposed on tfjs's cpu backend, and against finite differences of itself.
const node = await nodeWebGpu();
const gpu = 'gpu' in node ? node.gpu : undefined;

const FORWARD_TOLERANCE = 1e-4;
const GRADIENT_TOLERANCE = 1e-3;

interface Case {
  batch: number;
  seq: number;
  /** in_features */
  inputs: number;
  /** out_features */
  outputs: number;
  rank: number;
  /** A number (alpha / r), a learned [1] tensor, or a [batch, 1, 1] gate. */
  scaling: number | 'learned' | 'gate';
  /** Whether the frozen output y is passed in to be added onto. */
  withY: boolean;
}

/** Arguments in call order: x, lora_A, lora_B, [scale tensor], [y]; and dy. */
function problem(c: Case): { args: ArgSpec[]; dy: ArgSpec } {
  const tag = `lora ${c.batch}x${c.seq}x${c.inputs}→${c.outputs} r${c.rank} ${c.scaling} ${c.withY}`;
  const args = [
    arg(`${tag} x`, [c.batch, c.seq, c.inputs], 2),
    arg(`${tag} a`, [c.rank, c.inputs], 1 / Math.sqrt(c.inputs)),
    arg(`${tag} b`, [c.outputs, c.rank], 1 / Math.sqrt(c.rank)),
    ...(c.scaling === 'learned' ? [arg(`${tag} scale`, [1], 2)] : c.scaling === 'gate' ? [arg(`${tag} gate`, [c.batch, 1, 1])] : []),
    ...(c.withY ? [arg(`${tag} y`, [c.batch, c.seq, c.outputs], 3)] : []),
  ];
  return { args, dy: arg(`${tag} dy`, [c.batch, c.seq, c.outputs]) };
}

function asFunction(c: Case, body: typeof loraDelta) {
  return (...t: tf.Tensor[]) => {
    const [x, a, b] = t as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D];
    const scaling: Scaling = typeof c.scaling === 'number' ? c.scaling : t[3];
    const y = c.withY ? t[t.length - 1] as tf.Tensor3D : undefined;
    return body(x, a, b, scaling, y);
  };
}

async function compareWithComposed(c: Case): Promise<number[]> {
  const { args, dy } = problem(c);
  const got = await valueAndGradients(asFunction(c, fusedLoraDelta), args, dy);
  const want = await onBackend('cpu', () => valueAndGradients(asFunction(c, loraDeltaComposed), args, dy));
  return got.map((g, i) => relativeDiff(g, want[i]));
}

describe.skipIf(!gpu)(`fused LoRA on Dawn${gpu ? '' : ` (skipped: ${'unavailable' in node ? node.unavailable : ''})`}`, () => {
  beforeAll(async () => {
    await initBackend('webgpu', { gpu });
  });

  it('takes the WGSL path for ranks 1…64 and the composed path beyond', () => {
    expect(loraPath(1)).toBe('wgsl');
    expect(loraPath(64)).toBe('wgsl');
    expect(loraPath(65)).toBe('composed');
  });

  // Odd feature counts, one row, partial row tiles, in ≠ out, ranks 1 … 64, scaling as number, learned or gate.
  it.each([
    [1, 1, 37, 37, 1, 2, false], [2, 33, 37, 130, 8, 0.5, true], [3, 5, 130, 37, 16, 'learned', false],
    [2, 7, 64, 64, 4, 'gate', true], [1, 9, 33, 65, 64, 'learned', true],
  ] as const)('batch %i, seq %i, %i → %i, rank %i, scaling %s, y %s matches the composed twin', async (batch, seq, inputs, outputs, rank, scaling, withY) => {
    const [forward, ...gradients] = await compareWithComposed({ batch, seq, inputs, outputs, rank, scaling, withY });
    expect(forward).toBeLessThanOrEqual(FORWARD_TOLERANCE);
    expect(gradients).toHaveLength(3 + (typeof scaling === 'number' ? 0 : 1) + (withY ? 1 : 0));
    for (const g of gradients) expect(g).toBeLessThanOrEqual(GRADIENT_TOLERANCE);
  });

  it('gradients match finite differences of the fused forward', async () => {
    const c: Case = { batch: 2, seq: 3, inputs: 37, outputs: 21, rank: 3, scaling: 'learned', withY: true };
    const { args, dy } = problem(c);
    const f = asFunction(c, fusedLoraDelta);
    const [, ...grads] = await valueAndGradients(f, args, dy);
    for (let i = 0; i < args.length; i++) {
      const u = arg(`lora direction ${i}`, args[i].shape).values;
      const numeric = await directionalDerivative(f, args, dy, i, u, 1e-2);
      const analytic = dot(grads[i], u);
      expect(Math.abs(numeric - analytic), `argument ${i}: numeric ${numeric}, analytic ${analytic}`)
        .toBeLessThanOrEqual(2e-3 * Math.max(1, Math.abs(analytic)));
    }
  });

  it('hot-paths loraDelta runs the bottleneck programs without biases on webgpu', async () => {
    const c: Case = { batch: 1, seq: 4, inputs: 24, outputs: 40, rank: 6, scaling: 2, withY: false };
    const { args, dy } = problem(c);
    let routed: Float32Array[] = [];
    const programs = await programsDispatched(async () => { routed = await valueAndGradients(asFunction(c, loraDelta), args, dy); });
    expect(programs.filter((k) => k.startsWith('adapterStudio.')).map((k) => k.split('_')[0])).toEqual([
      'adapterStudio.bottleneck.forward.d6.act0.nobias.constant', 'adapterStudio.bottleneck.backwardRows.d6.act0.nobias.constant',
      'adapterStudio.bottleneck.backwardInput.d6.act0.nobias.constant', 'adapterStudio.bottleneck.weightGrads.d6.act0.nobias.constant',
    ]);
    const want = await onBackend('cpu', () => valueAndGradients(asFunction(c, loraDeltaComposed), args, dy));
    routed.forEach((g, i) => expect(relativeDiff(g, want[i])).toBeLessThanOrEqual(GRADIENT_TOLERANCE));
  });

  it('names the shapes when they do not fit, and refuses ranks beyond the tiles', () => {
    const x = tf.zeros([1, 2, 8]) as tf.Tensor3D;
    expect(() => fusedLoraDelta(x, tf.zeros([4, 9]) as tf.Tensor2D, tf.zeros([8, 4]) as tf.Tensor2D, 1))
      .toThrow('fusedLoraDelta: x [1,2,8], lora_A [4,9], lora_B [8,4] do not fit');
    expect(() => fusedLoraDelta(x, tf.zeros([65, 8]) as tf.Tensor2D, tf.zeros([8, 65]) as tf.Tensor2D, 1))
      .toThrow('fusedLoraDelta: rank 65 cannot run fused');
  });

  it('keeps tf.memory() steady over 100 forward + backward steps', async () => {
    const c: Case = { batch: 2, seq: 16, inputs: 64, outputs: 64, rank: 8, scaling: 'learned', withY: true };
    const { args, dy } = problem(c);
    const tensors = args.map((a) => tf.tensor(a.values, a.shape));
    const dyTensor = tf.tensor(dy.values, dy.shape);
    const f = asFunction(c, fusedLoraDelta);
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
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    tf.dispose([...tensors, dyTensor]);
  });
});
