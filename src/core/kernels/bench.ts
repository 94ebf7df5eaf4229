/**
 * Fused WGSL kernels against their composed tfjs twins, forward + backward, on the active webgpu backend: wall time
 * until the GPU is idle (no read-back), as ratios inside one run with the absolute ms beside, and the achieved
 * GFLOP/s against the device's multiply-add peak measured in the same run (shaders/fma-peak.wgsl). Measures only;
 * asserts nothing. Runs wherever the webgpu backend does (Node via Dawn: scripts/bench/kernels.ts; a browser).
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import fmaPeakWgsl from '../../../shaders/fma-peak.wgsl?raw';
import {
  bottleneckDelta, bottleneckDeltaComposed, ia3Scale, ia3ScaleComposed, loraDelta, loraDeltaComposed,
} from '../adapters/hot-paths.ts';
import { bottleneckPath } from './bottleneck.ts';
import { ia3Path } from './ia3.ts';
import type { KernelPath } from './linear.ts';
import { loraPath } from './lora.ts';
import { onWebGpu, runProgram } from './program.ts';

/** One layer-sized problem: the adapter input [batch, seq, hidden]. */
export interface BenchShape {
  name: string;
  hidden: number;
  seq: number;
  batch: number;
  /** Bottleneck width = hidden / reductionFactor. */
  reductionFactor: number;
  /** LoRA rank r (of a hidden → hidden projection such as attention.self.query). */
  loraRank: number;
}

/** The demo model's size and one bert-base layer, both with the seq_bn default reduction factor 16 and LoRA's r = 8. */
export const BENCH_SHAPES: readonly BenchShape[] = [
  { name: 'demo (hidden 64, seq 32, batch 16)', hidden: 64, seq: 32, batch: 16, reductionFactor: 16, loraRank: 8 },
  { name: 'bert-base layer (hidden 768, seq 128, batch 8)', hidden: 768, seq: 128, batch: 8, reductionFactor: 16, loraRank: 8 },
];

/** Median wall times of one kernel at one shape. */
export interface KernelBench {
  kernel: 'bottleneck' | 'lora' | 'ia3';
  shape: string;
  /** The problem, e.g. "x [16, 32, 64], d 4, relu". */
  problem: string;
  /** Which path the routed hot-path function took (expected 'wgsl' on webgpu). */
  path: KernelPath;
  /** Forward + backward (all gradients), ms. */
  fusedMs: number;
  composedMs: number;
  /** composedMs / fusedMs: above 1 means the fused kernels are faster. */
  speedup: number;
  /** Forward alone, ms. */
  fusedForwardMs: number;
  composedForwardMs: number;
  forwardSpeedup: number;
  /** The FLOPs forward + backward must do (3 × the forward's multiply-adds × 2; elementwise ops for IA3). */
  gflop: number;
  fusedGflops: number;
  composedGflops: number;
  /** fusedGflops / the device peak. */
  fusedPeakFraction: number;
}

export interface KernelBenchReport {
  backend: string;
  /** Multiply-add throughput of this device in this run (best of several probes), GFLOP/s. */
  peakGflops: number;
  /** Samples per median. */
  samples: number;
  results: KernelBench[];
}

/** Waits until the GPU has finished everything tfjs has queued (submits the open command encoder first). */
async function gpuIdle(): Promise<void> {
  const backend = tf.backend() as WebGPUBackend;
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
  await backend.device.queue.onSubmittedWorkDone();
}

/** Milliseconds from dispatching `compute` until the GPU is idle; its outputs are disposed afterwards. */
async function timeOnGpu(compute: () => tf.Tensor[]): Promise<number> {
  await gpuIdle();
  const start = performance.now();
  const outputs = compute();
  await gpuIdle();
  const ms = performance.now() - start;
  tf.dispose(outputs);
  return ms;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** The device's multiply-add peak in GFLOP/s: shaders/fma-peak.wgsl on 64 workgroups of 64, best of `probes`. */
export async function measurePeakGflops(probes = 3): Promise<number> {
  const workgroups = 64;
  const iterations = 2048;
  const seed = tf.fill([64], 0.5);
  const run = () => [runProgram({
    key: 'adapterStudio.fmaPeak', variableNames: ['seed'], outputShape: [workgroups, 64], workgroupSize: [64, 1, 1],
    dispatch: [workgroups, 1, 1], entry: 'tiled', uniforms: 'iterations : i32,', code: fmaPeakWgsl,
  }, [seed], [{ type: 'int32', data: [iterations] }])];
  await timeOnGpu(run); // compile
  let best = 0;
  for (let i = 0; i < probes; i++) best = Math.max(best, (128 * iterations * workgroups * 64) / (await timeOnGpu(run)) / 1e6);
  seed.dispose();
  return best;
}

/** A kernel's forward, as a function of its tensors, in its routed (fused on webgpu) and composed version. */
interface Contender {
  kernel: KernelBench['kernel'];
  problem: string;
  path: KernelPath;
  shapes: number[][];
  outShape: number[];
  gflop: number;
  routed: (...args: tf.Tensor[]) => tf.Tensor;
  composed: (...args: tf.Tensor[]) => tf.Tensor;
}

function contenders(s: BenchShape): Contender[] {
  const x = [s.batch, s.seq, s.hidden];
  const rows = s.batch * s.seq;
  const d = Math.max(1, Math.floor(s.hidden / s.reductionFactor));
  const r = s.loraRank;
  const bottleneck = (f: typeof bottleneckDelta) => (...t: tf.Tensor[]) =>
    f(t[0] as tf.Tensor3D, { weight: t[1] as tf.Tensor2D, bias: t[2] as tf.Tensor1D }, { weight: t[3] as tf.Tensor2D, bias: t[4] as tf.Tensor1D }, 'relu', 1);
  const lora = (f: typeof loraDelta) => (...t: tf.Tensor[]) => f(t[0] as tf.Tensor3D, t[1] as tf.Tensor2D, t[2] as tf.Tensor2D, 1);
  const ia3 = (f: typeof ia3Scale) => (...t: tf.Tensor[]) => f(t[0] as tf.Tensor3D, t[1]);
  return [
    {
      kernel: 'bottleneck', problem: `x [${x}], d ${d}, relu, scaling 1`, path: bottleneckPath(d),
      shapes: [x, [d, s.hidden], [d], [s.hidden, d], [s.hidden]], outShape: x,
      gflop: (3 * 2 * 2 * rows * s.hidden * d) / 1e9, routed: bottleneck(bottleneckDelta), composed: bottleneck(bottleneckDeltaComposed),
    },
    {
      kernel: 'lora', problem: `x [${x}], r ${r}, ${s.hidden} → ${s.hidden}`, path: loraPath(r),
      shapes: [x, [r, s.hidden], [s.hidden, r]], outShape: x,
      gflop: (3 * 2 * 2 * rows * s.hidden * r) / 1e9, routed: lora(loraDelta), composed: lora(loraDeltaComposed),
    },
    {
      kernel: 'ia3', problem: `y [${x}] ⊙ v [${s.hidden}]`, path: ia3Path({ shape: x }, { shape: [s.hidden] }),
      shapes: [x, [s.hidden]], outShape: x, gflop: (4 * rows * s.hidden) / 1e9, routed: ia3(ia3Scale), composed: ia3(ia3ScaleComposed),
    },
  ];
}

async function benchContender(c: Contender, shape: string, samples: number, peakGflops: number): Promise<KernelBench> {
  const args = c.shapes.map((sh) => tf.randomUniform(sh, -1, 1));
  const dy = tf.randomUniform(c.outShape, -1, 1);
  const both = (f: Contender['routed']) => () => {
    const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => f(...xs))(args, dy);
    return [value, ...grads];
  };
  const forward = (f: Contender['routed']) => () => [f(...args)];
  const runs = { fused: both(c.routed), composed: both(c.composed), fusedForward: forward(c.routed), composedForward: forward(c.composed) };
  const times: Record<keyof typeof runs, number[]> = { fused: [], composed: [], fusedForward: [], composedForward: [] };
  for (const run of Object.values(runs)) await timeOnGpu(run); // compile pipelines, warm the buffer pool
  // Interleaved so that load from other processes hits both sides alike.
  for (let i = 0; i < samples; i++) {
    for (const [name, run] of Object.entries(runs) as [keyof typeof runs, () => tf.Tensor[]][]) times[name].push(await timeOnGpu(run));
  }
  tf.dispose([...args, dy]);
  const [fusedMs, composedMs, fusedForwardMs, composedForwardMs] = [times.fused, times.composed, times.fusedForward, times.composedForward].map(median);
  const gflops = (ms: number) => c.gflop / (ms / 1e3);
  return {
    kernel: c.kernel, shape, problem: c.problem, path: c.path,
    fusedMs, composedMs, speedup: composedMs / fusedMs,
    fusedForwardMs, composedForwardMs, forwardSpeedup: composedForwardMs / fusedForwardMs,
    gflop: c.gflop, fusedGflops: gflops(fusedMs), composedGflops: gflops(composedMs), fusedPeakFraction: gflops(fusedMs) / peakGflops,
  };
}

/**
 * Benchmarks every kernel at every shape on the active webgpu backend; `log` hears about progress (a bert-base
 * layer takes seconds per sample on a software adapter).
 */
export async function benchKernels(options: { shapes?: readonly BenchShape[]; samples?: number; log?: (line: string) => void } = {}): Promise<KernelBenchReport> {
  if (!onWebGpu()) throw new Error(`The kernel bench compares WGSL kernels with tfjs ops on WebGPU; the active backend is ${tf.getBackend()}.`);
  const samples = options.samples ?? 5;
  const log = options.log ?? (() => {});
  const peakGflops = await measurePeakGflops();
  log(`peak ${peakGflops.toFixed(2)} GFLOP/s`);
  const results: KernelBench[] = [];
  for (const shape of options.shapes ?? BENCH_SHAPES) {
    for (const c of contenders(shape)) {
      const result = await benchContender(c, shape.name, samples, peakGflops);
      log(`${shape.name} ${c.kernel}: fused ${result.fusedMs.toFixed(1)} ms, composed ${result.composedMs.toFixed(1)} ms (×${result.speedup.toFixed(2)})`);
      results.push(result);
    }
  }
  return { backend: tf.getBackend(), peakGflops, samples, results };
}
