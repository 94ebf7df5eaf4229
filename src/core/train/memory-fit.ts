/**
 * Before a run: does a training step fit the backend's memory? The estimate (model/config.ts, estimateMemory) at
 * the run's batch and max length is compared with what the backend can hold: the wasm heap's 4 GiB, or on WebGPU
 * the largest buffer a kernel may bind (WebGPU tells no total). When the step does not fit, the micro-batch is
 * lowered and gradient accumulation raised so each optimizer step still sees the same examples; when not even one
 * sequence fits, the run is refused with what to change, instead of wasm aborting mid-step.
 * Plain data and no tfjs: the CLI, the worker and the page can all ask.
 */
import { type BackendName, type GpuDeviceLimits, largestBindingBytes } from '../backend/backend-info.ts';
import { type EncoderConfig, estimateMemory } from '../model/config.ts';
import { TrainingError } from './errors.ts';

/** The wasm heap's ceiling: tfjs-backend-wasm 4.22 is built with a 4 GiB maximum memory. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;

/** Share of the wasm heap a step may plan to fill: the allocator's fragmentation and the kernels' scratch take the rest. */
const WASM_HEAP_SHARE = 0.9;

/** What a backend can hold, as far as it says. */
export interface MemoryCeiling {
  backend: BackendName;
  /** All tensors and packed weights together (wasm). */
  totalBytes?: number;
  /** The largest single tensor (WebGPU's maxStorageBufferBindingSize, or maxBufferSize if smaller). */
  bufferBytes?: number;
}

/** The ceiling of a backend as init-backend reports it (`limits` on WebGPU); cpu keeps tensors in JavaScript memory, with no fixed ceiling. */
export function memoryCeilingOf(backend: { name: BackendName; limits?: GpuDeviceLimits }): MemoryCeiling {
  if (backend.name === 'wasm') return { backend: 'wasm', totalBytes: WASM_HEAP_BYTES };
  if (backend.name === 'webgpu' && backend.limits) {
    return { backend: 'webgpu', bufferBytes: largestBindingBytes(backend.limits) };
  }
  return { backend: backend.name };
}

/** The knobs the fit may change, and the max length it plans for. */
export interface BatchSettings {
  batchSize: number;
  gradientAccumulation: number;
  maxLength: number;
  /** Sequences the encoder reads per example (multiple choice: one pair per choice); default 1. */
  sequencesPerExample?: number;
}

export interface BatchFit {
  batchSize: number;
  gradientAccumulation: number;
  /** Estimated peak bytes of a step at this batch (the total on wasm and cpu, the largest buffer on WebGPU). */
  estimatedBytes: number;
  /** What the estimate was held against; absent where the backend has no ceiling. */
  ceilingBytes?: number;
  /** Set when the batch was lowered: what happened, for the user. */
  note?: string;
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/** Bytes that count against the ceiling at `batch` sequences of `seq` tokens. */
function stepBytes(config: EncoderConfig, ceiling: MemoryCeiling, batch: number, seq: number): number {
  if (ceiling.backend === 'webgpu') {
    // The widest activations: the feed-forward intermediate, and the attention scores of all heads.
    return 4 * Math.max(batch * seq * config.intermediateSize, batch * config.numHeads * seq * seq);
  }
  const { weightBytes, activationBytes } = estimateMemory(config, { batchSize: batch, seqLength: seq, training: true });
  return weightBytes + activationBytes;
}

/**
 * The largest micro-batch dividing `settings.batchSize` whose step fits `ceiling`, with the gradient accumulation
 * that keeps batchSize × gradientAccumulation examples per optimizer step. Throws a TrainingError ('Memory') when
 * one sequence of maxLength tokens does not fit.
 */
export function fitBatchToMemory(config: EncoderConfig, settings: BatchSettings, ceiling: MemoryCeiling): BatchFit {
  const seq = Math.min(settings.maxLength, config.maxSequenceLength);
  const perExample = settings.sequencesPerExample ?? 1;
  const limit = ceiling.totalBytes !== undefined ? ceiling.totalBytes * WASM_HEAP_SHARE : ceiling.bufferBytes;
  const requested = stepBytes(config, ceiling, settings.batchSize * perExample, seq);
  if (limit === undefined || requested <= limit) {
    const { batchSize, gradientAccumulation } = settings;
    return { batchSize, gradientAccumulation, estimatedBytes: requested, ...(limit !== undefined ? { ceilingBytes: limit } : {}) };
  }
  const what = ceiling.totalBytes !== undefined ? `the ${ceiling.backend} heap's ${gib(ceiling.totalBytes)} (${gib(limit)} usable)` : `the GPU's largest buffer of ${gib(limit)}`;
  for (let batch = settings.batchSize - 1; batch >= 1; batch--) {
    if (settings.batchSize % batch !== 0) continue;
    const bytes = stepBytes(config, ceiling, batch * perExample, seq);
    if (bytes > limit) continue;
    const gradientAccumulation = settings.gradientAccumulation * (settings.batchSize / batch);
    return {
      batchSize: batch,
      gradientAccumulation,
      estimatedBytes: bytes,
      ceilingBytes: limit,
      note: `A step at batch ${settings.batchSize}${perExample > 1 ? ` (${settings.batchSize * perExample} sequences, ${perExample} an example)` : ''} × ${seq} tokens needs about ${gib(requested)}, over ${what}: training runs micro-batches of ${batch} with gradient accumulation ${gradientAccumulation} instead (${settings.batchSize * settings.gradientAccumulation} examples per optimizer step, as set; about ${gib(bytes)}).`,
    };
  }
  const single = stepBytes(config, ceiling, perExample, seq);
  throw new TrainingError(
    `${config.repoId} needs about ${gib(single)} to train even one ${perExample > 1 ? `example of ${perExample} sequences` : 'sequence'} of ${seq} tokens on ${ceiling.backend}, over ${what}. Lower the max length${ceiling.backend === 'wasm' ? ', or train on WebGPU' : ''}.`,
    'Memory',
  );
}
