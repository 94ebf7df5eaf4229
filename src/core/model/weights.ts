/**
 * Downloads an encoder's checkpoint from the Hub (safetensors, sharded safetensors, or pytorch_model.bin),
 * keeps only the base model's tensors under one naming scheme, and checks them against the config.
 *
 * Canonical names (BERT's, without prefix, LayerNorm `weight`/`bias`), HF Linear layout [out, in]:
 *   embeddings.{word,position,token_type}_embeddings.weight, embeddings.LayerNorm.{weight,bias}
 *   embeddings_project.{weight,bias}                            (ELECTRA when embeddingSize ≠ hiddenSize; ALBERT)
 *   encoder.layer.N.attention.self.{query,key,value}.{weight,bias}
 *   encoder.layer.N.attention.output.{dense,LayerNorm}.{weight,bias}
 *   encoder.layer.N.intermediate.dense.{weight,bias}, encoder.layer.N.output.{dense,LayerNorm}.{weight,bias}
 *   pooler.dense.{weight,bias}                                  (when the checkpoint has a pooler)
 * N counts layer modules (families' layerModules): ALBERT's shared modules are stored once.
 * DeBERTa (config.disentangled) also: embeddings.embed_proj.weight (embeddingSize ≠ hiddenSize, instead of
 * embeddings_project), encoder.rel_embeddings.weight, encoder.LayerNorm.{weight,bias} (norm_rel_ebd),
 * encoder.layer.N.attention.self.pos_{key,query}_proj.{weight,bias} (without share_att_key); no position table
 * without position_biased_input.
 */
import type { HubEndpoint } from '../../hub/endpoint.ts';
import { type DownloadProgress, HubError, fetchBytes, fileUrl, hubFetch, modelInfo } from '../../hub/client.ts';
import type { EncoderConfig } from './config.ts';
import { CorruptWeightsError, IncompatibleWeightsError } from './errors.ts';
import { familyDefinition, hasEmbeddingProjection, layerModules, layerSharingNote } from './families/index.ts';
import { fusedQkvTensors, splitFusedQkv } from './fused-qkv.ts';
import { fetchEncoderConfig, fetchRepoJson, modelLoadErrorFromHub } from './hub-files.ts';
import { noWeightsError } from './no-weights.ts';
import { readSafetensors } from './safetensors.ts';
import type { StoredTensor, StoredTensors } from './stored-tensor.ts';
import { readTorchBin } from './torch-bin-reader.ts';
import { type WeightCache, defaultWeightCache, weightCacheKey } from './weight-cache.ts';

/** A float32 tensor in host memory, row-major. */
export interface HostTensor {
  /** Dimensions, e.g. [out, in] for a Linear weight. */
  shape: number[];
  /** Values, row-major. */
  data: Float32Array;
}

/** The base model's tensors under canonical names (see the file comment). */
export type HostWeights = Map<string, HostTensor>;

/** Checkpoint layouts, in the order they are looked for. */
const WEIGHT_FILES = [
  { file: 'model.safetensors', format: 'safetensors' },
  { file: 'model.safetensors.index.json', format: 'safetensors-sharded' },
  { file: 'pytorch_model.bin', format: 'pytorch' },
  { file: 'pytorch_model.bin.index.json', format: 'pytorch-sharded' },
] as const;

export type WeightFormat = (typeof WEIGHT_FILES)[number]['format'];

export interface WeightProgress {
  /** File being downloaded (or read from the cache). */
  file: string;
  /** Bytes of all weight files so far. */
  loaded: number;
  /** Bytes of all weight files, when the Hub listed their sizes. */
  total?: number;
}

export interface WeightLoadOptions {
  /** The parsed config.json; fetched from the repo when absent. */
  config?: EncoderConfig;
  /** Told as weight bytes arrive. */
  onProgress?: (progress: WeightProgress) => void;
  signal?: AbortSignal;
  /** Where weight files are kept between loads; defaults to Cache Storage when the runtime has it. */
  cache?: WeightCache;
  /** Branch, tag, commit id or pull request (`refs/pr/N`); `main` by default. */
  revision?: string;
}

export interface LoadedWeights {
  /** The config, with `hasPooler` set to whether the checkpoint has pooler tensors. */
  config: EncoderConfig;
  /** Base model tensors, canonical names. */
  tensors: HostWeights;
  /** Which layout the checkpoint had. */
  format: WeightFormat;
  /** Weight files read (the index and its shards for sharded checkpoints). */
  files: string[];
  /** Bytes of the weight files. */
  downloadBytes: number;
  /** Bytes that came from the network this time (0 when every file was cached). */
  networkBytes: number;
  /** Stored dtypes of the kept tensors, e.g. ["F16"]. */
  dtypes: string[];
}

/** What the Hub says the repo holds at the revision loaded. */
interface RepoListing {
  /** File name → size in bytes (undefined when the Hub did not say); undefined when the Hub listed no files. */
  files?: Map<string, number | undefined>;
  /** Commit the files belong to, when known. */
  sha?: string;
}

/** One retry only: the listing is optional, the weight files themselves can still be probed by name. */
const MODEL_INFO_RETRY = { retries: 1, baseDelayMs: 500, maxDelayMs: 5_000 };

/**
 * The repo's files and commit at `revision` from `/api/models/{id}[/revision/{rev}]`. The Hub rate-limits its
 * API separately from (and more tightly than) file downloads, so when the API answers 429 or 5xx the listing
 * is left empty and the weight files are probed by name instead (cached only when `revision` is a commit id).
 */
async function listRepo(ep: HubEndpoint, repoId: string, revision: string | undefined, signal?: AbortSignal): Promise<RepoListing> {
  try {
    const info = await modelInfo(ep, repoId, { signal, retry: MODEL_INFO_RETRY, revision });
    const files = info.siblings ? new Map(info.siblings.map((s) => [s.rfilename, s.size])) : undefined;
    return { files, sha: info.sha };
  } catch (err) {
    if (err instanceof HubError && (err.code === 'ServerError' || err.code === 'RateLimited')) return {};
    throw modelLoadErrorFromHub(err, ep, repoId, 'the model information');
  }
}

/** Maps a checkpoint tensor name to its canonical name, or undefined for heads and buffers the encoder does not use. */
export function canonicalTensorName(name: string, config: EncoderConfig): string | undefined {
  let n = name.startsWith(`${config.weightPrefix}.`) ? name.slice(config.weightPrefix.length + 1) : name;
  if (n.endsWith('position_ids')) return undefined;
  n = n.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias');
  for (const [from, to] of familyDefinition(config.family).checkpointRenames) {
    const match = typeof to === 'string' ? undefined : from.exec(n);
    if (typeof to === 'string') n = n.replace(from, to);
    else if (match) n = n.slice(0, match.index) + to(match.slice(1), config) + n.slice(match.index + match[0].length);
  }
  // Everything outside the base model is a task head: cls.*, lm_head.*, vocab_*, classifier.*,
  // discriminator_predictions.*, qa_outputs.*, pre_classifier.*...
  return /^(embeddings\.|embeddings_project\.|encoder\.layer\.\d+\.|encoder\.rel_embeddings\.|encoder\.LayerNorm\.|pooler\.dense\.)/.test(n) ? n : undefined;
}

/** Every tensor the encoder reads, with its shape; `optional` ones may be absent (the pooler). */
export function expectedTensors(config: EncoderConfig): { name: string; shape: number[]; optional?: boolean }[] {
  const { hiddenSize: h, embeddingSize: e, intermediateSize: i } = config;
  const linear = (name: string, outputs: number, inputs: number, optional?: boolean) => [
    { name: `${name}.weight`, shape: [outputs, inputs], optional },
    { name: `${name}.bias`, shape: [outputs], optional },
  ];
  const norm = (name: string, width: number) => [
    { name: `${name}.weight`, shape: [width] },
    { name: `${name}.bias`, shape: [width] },
  ];
  const deberta = config.disentangled;
  const linearMaybeBias = (name: string, outputs: number, inputs: number, bias: boolean) => (bias ? linear(name, outputs, inputs) : [{ name: `${name}.weight`, shape: [outputs, inputs] }]);
  const list = [
    { name: 'embeddings.word_embeddings.weight', shape: [config.vocabSize, e] },
    ...(!deberta || deberta.positionBiasedInput ? [{ name: 'embeddings.position_embeddings.weight', shape: [config.maxPositionEmbeddings, e] }] : []),
    ...(config.typeVocabSize > 0 ? [{ name: 'embeddings.token_type_embeddings.weight', shape: [config.typeVocabSize, e] }] : []),
    // DeBERTa projects before its LayerNorm (hidden wide), ELECTRA and ALBERT after (embedding wide).
    ...norm('embeddings.LayerNorm', deberta ? h : e),
    ...(hasEmbeddingProjection(config) ? (deberta ? linearMaybeBias('embeddings.embed_proj', h, e, false) : linear('embeddings_project', h, e)) : []),
    ...(deberta?.relativeAttention ? [{ name: 'encoder.rel_embeddings.weight', shape: [2 * deberta.tableSpan, h] }] : []),
    ...(deberta?.relativeAttention && deberta.normRelEmbeddings ? norm('encoder.LayerNorm', h) : []),
  ];
  for (let l = 0; l < layerModules(config).paths.length; l++) {
    const p = `encoder.layer.${l}`;
    list.push(
      ...(deberta?.inProj ? fusedQkvTensors(p, h) : [...linear(`${p}.attention.self.query`, h, h), ...linear(`${p}.attention.self.key`, h, h), ...linear(`${p}.attention.self.value`, h, h)]),
      ...linear(`${p}.attention.output.dense`, h, h),
      ...norm(`${p}.attention.output.LayerNorm`, h),
      ...linear(`${p}.intermediate.dense`, i, h),
      ...linear(`${p}.output.dense`, h, i),
      ...norm(`${p}.output.LayerNorm`, h),
    );
    if (deberta?.relativeAttention && !deberta.shareAttKey) {
      if (deberta.posAttTypes.includes('c2p')) list.push(...linearMaybeBias(`${p}.attention.self.pos_key_proj`, h, h, deberta.positionProjectionBias.key));
      if (deberta.posAttTypes.includes('p2c')) list.push(...linearMaybeBias(`${p}.attention.self.pos_query_proj`, h, h, deberta.positionProjectionBias.query));
    }
  }
  if (familyDefinition(config.family).checkpointMayHavePooler) list.push(...linear('pooler.dense', h, h, true));
  return list;
}

/**
 * Keeps the base model's tensors of a checkpoint under canonical names, decoded to float32, after checking
 * that each expected tensor is present with the expected shape.
 */
export function selectEncoderTensors(stored: StoredTensors, config: EncoderConfig, source: string): { tensors: HostWeights; hasPooler: boolean; dtypes: string[] } {
  const byCanonical = new Map<string, { original: string; tensor: StoredTensor }>();
  for (const [original, tensor] of stored) {
    const name = canonicalTensorName(original, config);
    if (name) byCanonical.set(name, { original, tensor });
  }
  const expected = expectedTensors(config);
  const hasPooler = byCanonical.has('pooler.dense.weight') && byCanonical.has('pooler.dense.bias');
  const tensors: HostWeights = new Map();
  const dtypes = new Set<string>();
  for (const { name, shape, optional } of expected) {
    const found = byCanonical.get(name);
    if (!found) {
      if (optional && !hasPooler) continue;
      throw new IncompatibleWeightsError(
        `Weights of "${config.repoId}" (${source}) have no tensor "${name}" (looked for "${config.weightPrefix}.${name}" and "${name}"), which a ${config.modelType} encoder with ${config.numLayers} layers${layerSharingNote(config)} needs. The checkpoint does not match its config.json.`,
        config.repoId,
      );
    }
    const { original, tensor } = found;
    if (tensor.shape.length !== shape.length || tensor.shape.some((d, k) => d !== shape[k])) {
      throw new IncompatibleWeightsError(
        `Tensor "${original}" in the weights of "${config.repoId}" (${source}) has shape [${tensor.shape.join(', ')}], but config.json implies [${shape.join(', ')}]. The checkpoint does not match its config.json.`,
        config.repoId,
      );
    }
    tensors.set(name, { shape, data: tensor.toFloat32() });
    dtypes.add(tensor.dtype);
  }
  if (config.disentangled?.inProj) splitFusedQkv(tensors, config);
  return { tensors, hasPooler, dtypes: [...dtypes].sort() };
}

/** Parses one weight file by its extension. */
function readWeightFile(bytes: Uint8Array, file: string, repoId: string): StoredTensors {
  return file.endsWith('.safetensors') ? readSafetensors(bytes, file, repoId) : readTorchBin(bytes, file, repoId);
}

/** Shard file names of an index.json's weight_map, checked to be plain files of the repo. */
function shardsOf(index: unknown, indexFile: string, repoId: string, listing: RepoListing): { shards: string[]; weightMap: Map<string, string> } {
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Object.values(weightMap).some((v) => typeof v !== 'string')) {
    throw new CorruptWeightsError(`"${indexFile}" of "${repoId}" has no weight_map of tensor names to shard files. The index is damaged; re-upload it.`, repoId);
  }
  const map = new Map(Object.entries(weightMap as Record<string, string>));
  const shards = [...new Set(map.values())].sort();
  for (const shard of shards) {
    const ok = /^[\w.-]+$/.test(shard) && !shard.includes('..') && (listing.files === undefined || listing.files.has(shard));
    if (!ok) throw new CorruptWeightsError(`"${indexFile}" of "${repoId}" names shard "${shard}", which is not a file of the repository.`, repoId);
  }
  return { shards, weightMap: map };
}

/**
 * Downloads (or takes from the cache) the repo's checkpoint and returns the base model's tensors, checked
 * against the config. Throws NoWeightsError, CorruptWeightsError, UnsafePickleError, IncompatibleWeightsError,
 * or ModelLoadError for Hub failures.
 */
export async function loadEncoderWeights(ep: HubEndpoint, repoId: string, options: WeightLoadOptions = {}): Promise<LoadedWeights> {
  const { signal, revision, onProgress } = options;
  const cache = options.cache ?? defaultWeightCache();
  const listing = await listRepo(ep, repoId, revision, signal);
  const config = options.config ?? await fetchEncoderConfig(ep, repoId, { signal, revision });
  const repo = { type: 'model' as const, id: repoId };

  let networkBytes = 0;
  let doneBytes = 0;
  let total: number | undefined;
  // Files are cached under the commit the listing resolved the revision to; without a listing, only a commit id is one.
  const sha = listing.sha ?? (revision && /^[0-9a-f]{40}$/.test(revision) ? revision : undefined);
  const download = async (file: string): Promise<Uint8Array> => {
    const key = sha ? weightCacheKey(ep, repoId, sha, file) : undefined;
    const cached = key && cache ? await cache.get(key) : undefined;
    if (cached) {
      doneBytes += cached.byteLength;
      onProgress?.({ file, loaded: doneBytes, total });
      return cached;
    }
    const before = doneBytes;
    let bytes: Uint8Array;
    try {
      bytes = await fetchBytes(ep, fileUrl(ep, repo, file, revision), (p: DownloadProgress) => {
        onProgress?.({ file, loaded: before + p.loaded, total });
      }, { signal });
    } catch (err) {
      throw modelLoadErrorFromHub(err, ep, repoId, file);
    }
    doneBytes += bytes.byteLength;
    networkBytes += bytes.byteLength;
    // A full cache only costs a download next time, so a failed put does not fail the load.
    if (key && cache) await cache.put(key, bytes).catch(() => undefined);
    return bytes;
  };
  const exists = async (file: string): Promise<boolean> => {
    if (listing.files) return listing.files.has(file);
    try {
      const res = await hubFetch(ep, fileUrl(ep, repo, file, revision), { signal, headers: { Range: 'bytes=0-0' } });
      await res.body?.cancel();
      return true;
    } catch (err) {
      if (err instanceof HubError && err.code === 'EntryNotFound') return false;
      throw modelLoadErrorFromHub(err, ep, repoId, file);
    }
  };

  let choice: (typeof WEIGHT_FILES)[number] | undefined;
  for (const candidate of WEIGHT_FILES) {
    if (await exists(candidate.file)) {
      choice = candidate;
      break;
    }
  }
  if (!choice) {
    const files = listing.files && [...listing.files.keys()];
    throw await noWeightsError(ep, repoId, WEIGHT_FILES.map((w) => w.file), files, { signal, revision });
  }

  let stored: StoredTensors;
  let files: string[];
  if (choice.format === 'safetensors' || choice.format === 'pytorch') {
    files = [choice.file];
    total = listing.files?.get(choice.file);
    stored = readWeightFile(await download(choice.file), choice.file, repoId);
  } else {
    const index = await fetchRepoJson(ep, repoId, choice.file, { signal, revision });
    const { shards, weightMap } = shardsOf(index, choice.file, repoId, listing);
    files = [choice.file, ...shards];
    const sizes = shards.map((s) => listing.files?.get(s));
    total = sizes.every((s) => s !== undefined) ? sizes.reduce((a, b) => a + b, 0) : undefined;
    stored = new Map();
    for (const shard of shards) {
      const tensors = readWeightFile(await download(shard), shard, repoId);
      for (const [name, file] of weightMap) {
        if (file !== shard) continue;
        const tensor = tensors.get(name);
        if (!tensor) throw new CorruptWeightsError(`"${choice.file}" of "${repoId}" places tensor "${name}" in "${shard}", but that shard does not contain it.`, repoId);
        stored.set(name, tensor);
      }
    }
  }

  const selected = selectEncoderTensors(stored, config, files.join(' + '));
  return {
    config: { ...config, hasPooler: selected.hasPooler },
    tensors: selected.tensors,
    format: choice.format,
    files,
    downloadBytes: doneBytes,
    networkBytes,
    dtypes: selected.dtypes,
  };
}
