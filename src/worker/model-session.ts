import * as tf from '@tensorflow/tfjs';
import { type LoadedEncoder, loadEncoder } from '../core/model/load-encoder.ts';
import type { LoadedModelInfo } from '../core/vocabulary/model.ts';
import type { HubEndpoint } from '../hub/endpoint.ts';
import type { EmbedCommand, EmbeddedEvent, ModelProgressEvent } from './protocol.ts';

/** `embed` was sent before any model finished loading. */
export class NoModelError extends Error {
  readonly code = 'NoModel';

  constructor(message: string) {
    super(message);
    this.name = 'NoModelError';
  }
}

/** The encoder the worker holds: at most one at a time, on the active tfjs backend. */
export class ModelSession {
  private encoder?: LoadedEncoder;
  /** Hub the current encoder came from (its base URL, never the token). */
  private hubUrl?: string;
  /** Revision the current encoder was read at (undefined: main). */
  private revision?: string;

  /**
   * Loads `repoId` at `revision` (default main) and makes it the session's encoder, freeing the previous one once the
   * new one is ready. Loading the model already held (same Hub, revision and backend) answers at once.
   */
  async load(endpoint: HubEndpoint, { repoId, revision }: { repoId: string; revision?: string }, onProgress: (progress: ModelProgressEvent) => void, signal: AbortSignal): Promise<LoadedModelInfo> {
    if (this.encoder && this.hubUrl === endpoint.hubUrl && this.encoder.config.repoId === repoId && this.revision === revision && this.encoder.info.backend === tf.getBackend()) {
      return { ...this.describe(), networkBytes: 0 };
    }
    const encoder = await loadEncoder(endpoint, repoId, {
      signal,
      revision,
      onProgress: (p) => onProgress({ type: 'modelProgress', repoId, stage: p.stage, loaded: p.loaded, total: p.total, file: p.file }),
    });
    if (signal.aborted) {
      encoder.dispose();
      signal.throwIfAborted();
    }
    this.encoder?.dispose();
    this.encoder = encoder;
    this.hubUrl = endpoint.hubUrl;
    this.revision = revision;
    return this.describe();
  }

  /** The loaded encoder; throws NoModelError before one finished loading. `what` says what needed it. */
  current(what: string): LoadedEncoder {
    if (!this.encoder) throw new NoModelError(`No model is loaded yet: load a model in the Model step before ${what}.`);
    return this.encoder;
  }

  /** Tokenizes the texts and runs the encoder; returns ids, tokens and each text's first-token vector. */
  async embed(command: Pick<EmbedCommand, 'texts' | 'pairs' | 'maxLength'>): Promise<Omit<EmbeddedEvent, 'type' | 'replyTo'>> {
    const encoder = this.current('running it on text');
    const batch = encoder.tokenizer.encode(command.texts, command.pairs, { maxLength: command.maxLength });
    const rows = <T>(data: Int32Array, map: (value: number) => T) =>
      Array.from({ length: batch.batch }, (_, r) => Array.from(data.subarray(r * batch.seq, (r + 1) * batch.seq), map));
    const output = encoder.forward(batch);
    try {
      const vocabulary = encoder.tokenizer.tokenizer._tokenizer;
      const inputIds = rows(batch.inputIds, Number);
      const attentionMask = rows(batch.attentionMask, Number);
      return {
        inputIds,
        attentionMask,
        tokenTypeIds: rows(batch.tokenTypeIds, Number),
        tokens: inputIds.map((ids, r) => ids.filter((_, i) => attentionMask[r][i] === 1).map((id) => vocabulary.id_to_token(id) ?? `[id ${id}]`)),
        firstToken: await output.firstToken.array(),
      };
    } finally {
      tf.dispose(output as unknown as tf.TensorContainer);
    }
  }

  /** Frees the encoder (before the backend changes under it). */
  release(): void {
    this.encoder?.dispose();
    this.encoder = undefined;
    this.hubUrl = undefined;
    this.revision = undefined;
  }

  private describe(): LoadedModelInfo {
    const { config, info } = this.encoder!;
    return {
      repoId: config.repoId,
      ...(this.revision === undefined ? {} : { revision: this.revision }),
      modelType: config.modelType,
      layers: config.numLayers,
      hidden: config.hiddenSize,
      maxLength: this.encoder!.tokenizer.maxLength,
      parameters: info.parameters,
      downloadBytes: info.downloadBytes,
      networkBytes: info.networkBytes,
      format: info.format,
      dtypes: info.dtypes,
      backend: info.backend,
      tokenizerSource: info.tokenizerSource,
    };
  }
}
