/**
 * What the page can tell about a Hub model before downloading its weights: config.json (architecture, size) and
 * the repo listing (weight files and their sizes). Plain fetches through the Hub client; no tensors.
 */
import { useEffect, useState } from 'react';
import { type EncoderConfig, estimateMemoryBytes, estimateParameters } from '../core/model/config.ts';
import { fetchEncoderConfig, modelLoadErrorFromHub } from '../core/model/hub-files.ts';
import { TrainingError } from '../core/train/errors.ts';
import { fitBatchToMemory, memoryCeilingOf } from '../core/train/memory-fit.ts';
import { type ModelInfo, fileUrl, hubJson, modelInfo } from '../hub/client.ts';
import type { HubEndpoint } from '../hub/endpoint.ts';

/** Sequences per step the training memory estimate assumes. */
export const ESTIMATE_BATCH = 16;

/** Weight files in the order the encoder loader looks for them (src/core/model/weights.ts). */
const WEIGHT_FILES = ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json'] as const;

export interface ModelPreview {
  /** The branch, tag, commit id or pull request read; absent for main. */
  revision?: string;
  /** The commit that revision points to, when the Hub said. */
  commit?: string;
  config: EncoderConfig;
  /** Parameters of the base model, from the config alone. */
  parameters: number;
  /** The weights a load will read; absent when the repo has none the studio reads. */
  weights?: {
    /** Files, e.g. ["model.safetensors"] or the shards of an index. */
    files: string[];
    /** Their total size in bytes, when the Hub listed it. */
    bytes?: number;
  };
  /** Estimated device memory to run the encoder (weights + one forward pass of one sequence). */
  inferenceBytes: number;
  /** Estimated device memory to train adapters on it at batch ESTIMATE_BATCH (all layers' activations kept). */
  trainingBytes: number;
  /** Set when training at batch ESTIMATE_BATCH × 128 tokens would not fit the wasm heap: the smaller micro-batch a run takes there, or why it cannot train there. */
  wasmNote?: string;
  /** Hub gating: users must accept conditions and give a token. */
  gated: ModelInfo['gated'];
  /** The Hub's task tag, e.g. "fill-mask". */
  pipelineTag?: string;
}

async function weightsOf(endpoint: HubEndpoint, repoId: string, revision: string | undefined, info: ModelInfo, signal: AbortSignal): Promise<ModelPreview['weights']> {
  const sizes = new Map((info.siblings ?? []).map((s) => [s.rfilename, s.size]));
  const file = WEIGHT_FILES.find((f) => sizes.has(f));
  if (!file) return undefined;
  let files: string[] = [file];
  if (file.endsWith('.index.json')) {
    const index = await hubJson<{ weight_map?: Record<string, string> }>(endpoint, fileUrl(endpoint, { type: 'model', id: repoId }, file, revision), { signal });
    files = [...new Set(Object.values(index.weight_map ?? {}))].sort();
  }
  const known = files.map((f) => sizes.get(f));
  return { files, bytes: known.every((s) => s !== undefined) ? known.reduce((a, b) => a + b, 0) : undefined };
}

function wasmNoteOf(config: EncoderConfig): { wasmNote?: string } {
  try {
    const { note } = fitBatchToMemory(config, { batchSize: ESTIMATE_BATCH, gradientAccumulation: 1, maxLength: 128 }, memoryCeilingOf({ name: 'wasm' }));
    return note ? { wasmNote: note } : {};
  } catch (err) {
    if (err instanceof TrainingError) return { wasmNote: err.message };
    throw err;
  }
}

/**
 * Reads the model's listing and config.json at `revision` (default main); throws the loader's own errors (not found,
 * needs a token, unsupported type, no such revision).
 */
export async function fetchModelPreview(endpoint: HubEndpoint, repoId: string, signal: AbortSignal, revision?: string): Promise<ModelPreview> {
  let info: ModelInfo;
  let weights: ModelPreview['weights'];
  try {
    info = await modelInfo(endpoint, repoId, { signal, revision });
  } catch (err) {
    throw modelLoadErrorFromHub(err, endpoint, repoId, revision === undefined ? 'the model information' : `the model information at revision "${revision}"`);
  }
  const config = await fetchEncoderConfig(endpoint, repoId, { signal, revision });
  try {
    weights = await weightsOf(endpoint, repoId, revision, info, signal);
  } catch (err) {
    throw modelLoadErrorFromHub(err, endpoint, repoId, 'the weight index');
  }
  return {
    ...(revision === undefined ? {} : { revision }),
    ...(info.sha ? { commit: info.sha } : {}),
    config,
    parameters: estimateParameters(config),
    weights,
    inferenceBytes: estimateMemoryBytes(config),
    trainingBytes: estimateMemoryBytes(config, { batchSize: ESTIMATE_BATCH, training: true }),
    ...wasmNoteOf(config),
    gated: info.gated,
    pipelineTag: info.pipeline_tag,
  };
}

export type PreviewState =
  | { status: 'idle' }
  | { status: 'loading'; repoId: string }
  | { status: 'ready'; repoId: string; preview: ModelPreview }
  | { status: 'failed'; repoId: string; message: string; reason?: string };

/** Previews fetched in this page, by Hub, token and repo, so every step that shows one reads config.json once. */
const previews = new Map<string, Promise<ModelPreview>>();

function sharedPreview(endpoint: HubEndpoint, repoId: string, revision: string | undefined): Promise<ModelPreview> {
  const key = JSON.stringify([endpoint.hubUrl, endpoint.token ?? '', repoId, revision ?? '']);
  let preview = previews.get(key);
  if (!preview) {
    preview = fetchModelPreview(endpoint, repoId, new AbortController().signal, revision);
    previews.set(key, preview);
    // A failure is not kept: the next look asks again (after a token was given, say).
    preview.catch(() => previews.delete(key));
  }
  return preview;
}

/** The preview of `repoId` at `revision` on `endpoint`, fetched again when any changes (e.g. after a token is given). */
export function useModelPreview(endpoint: HubEndpoint | undefined, repoId: string | undefined, revision?: string): PreviewState {
  const [state, setState] = useState<PreviewState>({ status: 'idle' });
  useEffect(() => {
    if (!endpoint || !repoId) {
      setState({ status: 'idle' });
      return;
    }
    let current = true;
    setState({ status: 'loading', repoId });
    sharedPreview(endpoint, repoId, revision).then(
      (preview) => current && setState({ status: 'ready', repoId, preview }),
      (err: unknown) => {
        if (!current) return;
        const error = err as Error & { reason?: string };
        setState({ status: 'failed', repoId, message: error.message, reason: error.reason });
      },
    );
    return () => {
      current = false;
    };
  }, [endpoint, repoId, revision]);
  return state;
}
