import * as tf from '@tensorflow/tfjs';
import type { HubEndpoint } from '../../hub/endpoint.ts';
import type { EncoderConfig } from './config.ts';
import { type EncoderHooks, type EncoderOutput, type EncoderWeights, encoderForward, uploadEncoderWeights } from './encoder.ts';
import { ModelLoadError } from './errors.ts';
import { fetchEncoderConfig } from './hub-files.ts';
import { type EncodedBatch, type EncoderTokenizer, type TokenizerSource, loadTokenizer } from './tokenizer.ts';
import type { WeightCache } from './weight-cache.ts';
import { type WeightFormat, loadEncoderWeights } from './weights.ts';

/** Where loading is; `loaded`/`total` are weight bytes during 'weights'. */
export interface LoadProgress {
  stage: 'config' | 'tokenizer' | 'weights' | 'upload' | 'ready';
  /** File being read, during 'weights'. */
  file?: string;
  /** Bytes of weight files so far. */
  loaded?: number;
  /** Bytes of all weight files, when the Hub listed their sizes. */
  total?: number;
}

export interface LoadEncoderOptions {
  onProgress?: (progress: LoadProgress) => void;
  signal?: AbortSignal;
  /** tfjs backend to run on ('webgpu', 'wasm', 'cpu'...); it must be registered. Default: the current backend. */
  backend?: string;
  /** Weight file cache; defaults to Cache Storage where the runtime has it. */
  cache?: WeightCache;
  /** Branch, tag or commit; `main` by default. */
  revision?: string;
}

export interface EncoderInfo {
  /** Parameters of the loaded base model (counted from its tensors). */
  parameters: number;
  /** Bytes of the weight files. */
  downloadBytes: number;
  /** Bytes fetched from the network for the weights this time (0 when cached). */
  networkBytes: number;
  /** Checkpoint layout read. */
  format: WeightFormat;
  /** Stored dtypes of the weights, e.g. ["F32"]. */
  dtypes: string[];
  /** Weight files read. */
  files: string[];
  /** tfjs backend the weights live on. */
  backend: string;
  /** The repo file(s) the tokenizer was built from: tokenizer.json, or slow files converted in memory. */
  tokenizerSource: TokenizerSource;
}

export interface LoadedEncoder {
  config: EncoderConfig;
  tokenizer: EncoderTokenizer;
  /** Frozen weights on the device. */
  weights: EncoderWeights;
  /** Runs the encoder; the caller disposes the outputs. */
  forward(batch: EncodedBatch, hooks?: EncoderHooks): EncoderOutput;
  /** Frees the device weights. */
  dispose(): void;
  info: EncoderInfo;
}

/**
 * Loads a BERT-family encoder from the Hub: config, tokenizer, checked weights uploaded once to the tfjs
 * backend. Throws ModelLoadError (RepoNotFound, NeedsToken...), UnsupportedModelError, NoWeightsError,
 * CorruptWeightsError, UnsafePickleError or IncompatibleWeightsError with messages that say what to do.
 */
export async function loadEncoder(ep: HubEndpoint, repoId: string, options: LoadEncoderOptions = {}): Promise<LoadedEncoder> {
  const { onProgress, signal, revision } = options;
  if (options.backend && tf.getBackend() !== options.backend) {
    if (!(await tf.setBackend(options.backend))) {
      throw new ModelLoadError(`The tfjs backend "${options.backend}" could not be initialised for "${repoId}"; pick another backend (wasm or cpu).`, 'Backend', repoId);
    }
  }
  await tf.ready();
  onProgress?.({ stage: 'config' });
  const config = await fetchEncoderConfig(ep, repoId, { signal, revision });
  onProgress?.({ stage: 'tokenizer' });
  const tokenizer = await loadTokenizer(ep, repoId, { config, signal, revision });
  onProgress?.({ stage: 'weights', loaded: 0 });
  const loaded = await loadEncoderWeights(ep, repoId, {
    config, signal, revision, cache: options.cache,
    onProgress: (p) => onProgress?.({ stage: 'weights', ...p }),
  });
  signal?.throwIfAborted();
  onProgress?.({ stage: 'upload' });
  const weights = uploadEncoderWeights(loaded.config, loaded.tensors);
  let parameters = 0;
  for (const t of loaded.tensors.values()) parameters += t.data.length;
  // DeBERTa v1's split in_proj (fused-qkv.ts) adds zero key biases the model does not have.
  if (loaded.config.disentangled?.inProj) parameters -= loaded.config.numLayers * loaded.config.hiddenSize;
  onProgress?.({ stage: 'ready' });
  return {
    config: loaded.config,
    tokenizer,
    weights,
    forward: (batch, hooks) => encoderForward(weights, batch, hooks),
    dispose: () => weights.dispose(),
    info: {
      parameters,
      downloadBytes: loaded.downloadBytes,
      networkBytes: loaded.networkBytes,
      format: loaded.format,
      dtypes: loaded.dtypes,
      files: loaded.files,
      backend: tf.getBackend(),
      tokenizerSource: tokenizer.source,
    },
  };
}
