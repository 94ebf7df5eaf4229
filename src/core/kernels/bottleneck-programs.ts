/**
 * The four WGSL programs of the fused bottleneck (shaders/bottleneck-*.wgsl) as tfjs-backend-webgpu programs: the
 * forward, and the backward as three passes (row tile → [a | g_z], input gradient, parameter gradients). Each is
 * compiled per variant — bottleneck width, activation, biases, how scaling arrives, residual — because the width
 * sizes the workgroup tiles and the rest picks code; the prelude built here declares those choices as WGSL
 * constants and accessor functions. LoRA is the same computation without biases and with the identity activation.
 */
import * as tf from '@tensorflow/tfjs';
import activationWgsl from '../../../shaders/activation.wgsl?raw';
import backwardInputWgsl from '../../../shaders/bottleneck-backward-input.wgsl?raw';
import backwardRowsWgsl from '../../../shaders/bottleneck-backward-rows.wgsl?raw';
import downWgsl from '../../../shaders/bottleneck-down.wgsl?raw';
import forwardWgsl from '../../../shaders/bottleneck-forward.wgsl?raw';
import tilesWgsl from '../../../shaders/bottleneck-tiles.wgsl?raw';
import weightGradsWgsl from '../../../shaders/bottleneck-weight-grads.wgsl?raw';
import type { Activation } from '../adapters/activation-names.ts';
import { type ProgramUniform, runProgram, type WgslProgramSpec } from './program.ts';

/**
 * Tile geometry shared by the WGSL and the dispatch code. TPS × TPS = 64 threads per workgroup, each with a 4 × 4
 * register block: on SwiftShader a 256-thread workgroup that contains barriers measured ~20× costlier to launch and
 * to synchronise than a 64-thread one, and 64 is a natural size on GPUs too (two warps, one wavefront).
 */
const TILE = {
  /** Threads per side of the workgroup. */
  tps: 8,
  /** Rows staged per step of the weight-gradient reductions (≥ tps). */
  mSlice: 32,
};
/** Rows (tokens) per row-tile workgroup, k staged per reduce step, and output columns per expand step: 4 per thread. */
const ROWS = 4 * TILE.tps;
const K_SLICE = 4 * TILE.tps;
const COLS = 4 * TILE.tps;
/** Widest bottleneck the tiles hold: 8 named column accumulators per thread (bottleneck-tiles.wgsl). */
export const MAX_TILE_WIDTH = 8 * TILE.tps;
const WORKGROUP: [number, number, number] = [TILE.tps, TILE.tps, 1];

/** The ACT codes of shaders/activation.wgsl. */
const ACTIVATION_CODES: Record<Activation, number> = {
  linear: 0, relu: 1, relu6: 2, gelu: 3, gelu_python: 3, gelu_new: 4, gelu_fast: 4, gelu_pytorch_tanh: 4,
  quick_gelu: 5, silu: 6, swish: 6, tanh: 7, sigmoid: 8, leakyrelu: 9, leaky_relu: 9, mish: 10,
};

/** How the factor s multiplying the up-projection reaches the kernels. */
export type ScaleMode =
  /** A number, passed as a uniform; no gradient. */
  | 'constant'
  /** A one-element tensor (learned scalar): read as scale[0], gradient Σ over all outputs. */
  | 'scalar'
  /** A tensor with one factor per output column (scaling "channel"): scale[n], gradient per column. */
  | 'channel';

/** What a compiled variant of the bottleneck programs is specialised on. */
export interface BottleneckVariant {
  /** D: bottleneck width (LoRA rank r). */
  width: number;
  activation: Activation;
  /** Whether down and up carry biases (bottleneck adapters) or not (LoRA). */
  hasBias: boolean;
  scale: ScaleMode;
  /** Whether the forward adds a residual [M, N] onto its output. */
  residual: boolean;
}

/** Sizes of one call: M rows of K inputs mapped to N outputs. */
export interface BottleneckSizes {
  m: number;
  k: number;
  n: number;
  /** The factor for ScaleMode 'constant' (1 otherwise). */
  scaleValue: number;
}

/** The reduce-tile layout of bottleneck-tiles.wgsl for width d: j lanes, k split, columns per thread. */
function reduceLayout(d: number) {
  const jLanes = d >= TILE.tps ? TILE.tps : 2 ** Math.ceil(Math.log2(d));
  return { jLanes, kSplit: TILE.tps / jLanes, jPerThread: Math.ceil(d / jLanes) };
}

/**
 * Workgroup memory in bytes that the largest of the four programs needs at width d (the forward: the reduce tiles
 * xTile, wTile plus the expand tiles chunk, hidden). Compare with the device's maxComputeWorkgroupStorageSize.
 */
export function bottleneckWorkgroupBytes(d: number): number {
  const { jLanes, jPerThread } = reduceLayout(d);
  const forward = K_SLICE * ROWS + jLanes * jPerThread * K_SLICE + 2 * COLS * d;
  const weightGrads = TILE.mSlice * (4 * TILE.tps + TILE.tps * Math.ceil(d / TILE.tps));
  return 4 * Math.max(forward, weightGrads);
}

function prelude(v: BottleneckVariant, accessors: string[]): string {
  const { jLanes, kSplit, jPerThread } = reduceLayout(v.width);
  return [
    '// Variant constants and accessors (src/core/kernels/bottleneck-programs.ts).',
    `const TPS : i32 = ${TILE.tps};`,
    `const K_SLICE : i32 = ${K_SLICE};`,
    `const M_SLICE : i32 = ${TILE.mSlice};`,
    `const D : i32 = ${v.width};`,
    `const J_LANES : i32 = ${jLanes};`,
    `const K_SPLIT : i32 = ${kSplit};`,
    `const J_PER_THREAD : i32 = ${jPerThread};`,
    `const ACT : i32 = ${ACTIVATION_CODES[v.activation]};`,
    `const HAS_BIAS : i32 = ${v.hasBias ? 1 : 0};`,
    `const SCALE_GRAD : bool = ${v.scale !== 'constant'};`,
    ...accessors,
  ].join('\n');
}

/** The prelude's accessors: each reads its buffer when the variant binds it, and yields 0 (or the uniform scale) otherwise. */
const accessor = {
  downBias: (v: BottleneckVariant) => `fn downBias(j : i32) -> f32 { return ${v.hasBias ? 'bDown[j]' : '0.0'}; }`,
  upBias: (bound: boolean) => `fn upBias(n : i32) -> f32 { return ${bound ? 'bUp[n]' : '0.0'}; }`,
  upWeight: (bound: boolean) => `fn upWeight(n : i32, j : i32) -> f32 { return ${bound ? 'wUp[n * D + j]' : '0.0'}; }`,
  scaleAt: (v: BottleneckVariant) => `fn scaleAt(n : i32) -> f32 { return ${
    v.scale === 'constant' ? 'uniforms.scaleValue' : v.scale === 'scalar' ? 'scale[0]' : 'scale[n]'}; }`,
  residualAt: (v: BottleneckVariant) => `fn residualAt(i : i32) -> f32 { return ${v.residual ? 'residual[i]' : '0.0'}; }`,
};

const UNIFORMS = 'M : i32, K : i32, N : i32, scaleValue : f32,';

function uniformValues(s: BottleneckSizes): ProgramUniform[] {
  return [{ type: 'int32', data: [s.m] }, { type: 'int32', data: [s.k] }, { type: 'int32', data: [s.n] }, { type: 'float32', data: [s.scaleValue] }];
}

function variantKey(program: string, v: BottleneckVariant): string {
  return `adapterStudio.bottleneck.${program}.d${v.width}.act${ACTIVATION_CODES[v.activation]}.${v.hasBias ? 'bias' : 'nobias'}.${v.scale}${v.residual ? '.residual' : ''}`;
}

function rowTileSpec(program: string, v: BottleneckVariant, s: BottleneckSizes, variableNames: string[], outputShape: number[], code: string[]): WgslProgramSpec {
  return {
    key: variantKey(program, v), variableNames, outputShape, workgroupSize: WORKGROUP,
    dispatch: [Math.ceil(s.m / ROWS), 1, 1], entry: 'tiled', uniforms: UNIFORMS, code: code.join('\n'),
  };
}

/** Parameters of one bottleneck call as the kernels see them (2-D rows, torch-layout weights). */
export interface BottleneckOperands {
  /** [M, K] input rows. */
  x: tf.Tensor2D;
  /** [D, K] down-projection weight. */
  wDown: tf.Tensor2D;
  /** [D] down-projection bias, when the variant has biases. */
  bDown?: tf.Tensor1D;
  /** [N, D] up-projection weight. */
  wUp: tf.Tensor2D;
  /** [N] up-projection bias, when the variant has biases. */
  bUp?: tf.Tensor1D;
  /** The scaling tensor for ScaleMode 'scalar' ([1 element]) or 'channel' ([N] elements). */
  scale?: tf.Tensor;
}

function optional<T>(present: boolean, ...items: T[]): T[] {
  return present ? items : [];
}

/** out [M, N] = s ⊙ (act(x · W_downᵀ + b_down) · W_upᵀ + b_up) (+ residual [M, N]). */
export function runBottleneckForward(v: BottleneckVariant, s: BottleneckSizes, o: BottleneckOperands, residual?: tf.Tensor2D): tf.Tensor2D {
  const names = ['x', 'wDown', ...optional(v.hasBias, 'bDown'), 'wUp', ...optional(v.hasBias, 'bUp'),
    ...optional(v.scale !== 'constant', 'scale'), ...optional(v.residual, 'residual')];
  const inputs = [o.x, o.wDown, ...optional(v.hasBias, o.bDown!), o.wUp, ...optional(v.hasBias, o.bUp!),
    ...optional(v.scale !== 'constant', o.scale!), ...optional(v.residual, residual!)];
  const code = [prelude(v, [accessor.downBias(v), accessor.upBias(v.hasBias), accessor.scaleAt(v), accessor.residualAt(v)]),
    activationWgsl, tilesWgsl, downWgsl, forwardWgsl];
  return runProgram(rowTileSpec('forward', v, s, names, [s.m, s.n], code), inputs, uniformValues(s)) as tf.Tensor2D;
}

/** Backward pass 1: [M, 2D] = [a = act(z) | g_z = ((s ⊙ dy) · W_up) ⊙ act'(z)], z recomputed. */
export function runBottleneckBackwardRows(v: BottleneckVariant, s: BottleneckSizes, o: BottleneckOperands, dy: tf.Tensor2D): tf.Tensor2D {
  const names = ['x', 'wDown', ...optional(v.hasBias, 'bDown'), 'dy', 'wUp', ...optional(v.scale !== 'constant', 'scale')];
  const inputs = [o.x, o.wDown, ...optional(v.hasBias, o.bDown!), dy, o.wUp, ...optional(v.scale !== 'constant', o.scale!)];
  const code = [prelude(v, [accessor.downBias(v), accessor.scaleAt(v)]), activationWgsl, tilesWgsl, downWgsl, backwardRowsWgsl];
  return runProgram(rowTileSpec('backwardRows', v, s, names, [s.m, 2 * v.width], code), inputs, uniformValues(s)) as tf.Tensor2D;
}

/** Backward pass 2: dX [M, K] = g_z · W_down, g_z read from pass 1's rows. */
export function runBottleneckBackwardInput(v: BottleneckVariant, s: BottleneckSizes, rows: tf.Tensor2D, wDown: tf.Tensor2D): tf.Tensor2D {
  const code = [prelude(v, []), tilesWgsl, backwardInputWgsl];
  return runProgram(rowTileSpec('backwardInput', v, s, ['rows', 'wDown'], [s.m, s.k], code), [rows, wDown], uniformValues(s)) as tf.Tensor2D;
}

/** The parameter gradients of one bottleneck call. */
export interface BottleneckParameterGrads {
  /** [D, K] */
  wDown: tf.Tensor2D;
  /** [D], with biases */
  bDown?: tf.Tensor1D;
  /** [N, D] */
  wUp: tf.Tensor2D;
  /** [N], with biases */
  bUp?: tf.Tensor1D;
  /** [N] per-column contributions to the scaling gradient, when scaling is a tensor (sum them for a scalar). */
  scaleColumns?: tf.Tensor1D;
}

/** Backward pass 3: every parameter gradient in one dispatch (one flat output), split here into tensors. */
export function runBottleneckWeightGrads(
  v: BottleneckVariant, s: BottleneckSizes, o: BottleneckOperands, rows: tf.Tensor2D, dy: tf.Tensor2D,
): BottleneckParameterGrads {
  const d = v.width;
  const scaleGrad = v.scale !== 'constant';
  const upBiasBound = scaleGrad && v.hasBias;
  const names = ['x', 'rows', 'dy', ...optional(scaleGrad, 'wUp'), ...optional(upBiasBound, 'bUp'), ...optional(scaleGrad, 'scale')];
  const inputs = [o.x, rows, dy, ...optional(scaleGrad, o.wUp), ...optional(upBiasBound, o.bUp!), ...optional(scaleGrad, o.scale!)];
  // The flat output's parts in the order bottleneck-weight-grads.wgsl writes them, with their sizes.
  const segments: [keyof BottleneckParameterGrads, number][] = [['wUp', s.n * d], ['bUp', v.hasBias ? s.n : 0],
    ['wDown', d * s.k], ['bDown', v.hasBias ? d : 0], ['scaleColumns', scaleGrad ? s.n : 0]];
  const present = segments.filter(([, size]) => size > 0);
  const total = present.reduce((sum, [, size]) => sum + size, 0);
  const code = [prelude(v, [accessor.scaleAt(v), accessor.upWeight(scaleGrad), accessor.upBias(upBiasBound)]), tilesWgsl, weightGradsWgsl];
  const tiles = Math.ceil(s.n / COLS) + Math.ceil((s.k + (v.hasBias ? 1 : 0)) / COLS);
  const flat = runProgram({
    key: variantKey('weightGrads', v), variableNames: names, outputShape: [1, total], workgroupSize: WORKGROUP,
    dispatch: [tiles, 1, 1], entry: 'tiled', uniforms: UNIFORMS, code: code.join('\n'),
  }, inputs, uniformValues(s));
  const pieces = tf.split(tf.reshape(flat, [total]), present.map(([, size]) => size));
  const part = Object.fromEntries(present.map(([name], i) => [name, pieces[i]])) as Partial<Record<keyof BottleneckParameterGrads, tf.Tensor1D>>;
  return {
    wUp: tf.reshape(part.wUp!, [s.n, d]) as tf.Tensor2D,
    bUp: part.bUp,
    wDown: tf.reshape(part.wDown!, [d, s.k]) as tf.Tensor2D,
    bDown: part.bDown,
    scaleColumns: part.scaleColumns,
  };
}
