/**
 * The encoder forward pass on tfjs (any backend: webgpu, wasm, cpu), exactly as transformers' eager
 * BertModel / RobertaModel / DistilBertModel / ElectraModel compute it in inference mode:
 *
 *   e = LayerNorm(word[ids] + position[pos] (+ token_type[types]))   (ELECTRA, ALBERT: then e = project(e))
 *   per layer (post-LN; ALBERT runs shared layer modules several times, hooks get the module's index):
 *     a = LayerNorm(attnOut(MultiHead(q(x), k(x), v(x))) + x)        hook: attentionOutput
 *     y = LayerNorm(ffnOut(act(ffnIn(a))) + a)                         hook: ffnOutput
 *   pooled = tanh(pooler(y[:, 0]))                                     when the checkpoint has a pooler
 *
 * Attention: softmax(q·kᵀ / sqrt(headDim) + mask) · v with mask = (1 - attention_mask) · float32 min, as
 * transformers' get_extended_attention_mask. Weights are uploaded once (`uploadEncoderWeights`) and stay
 * frozen; `encoderForward` runs under tf.tidy so only its outputs survive.
 *
 * A config with `disentangled` (DeBERTa) swaps two pieces, the rest unchanged:
 *   e = LayerNorm(embed_proj(word[ids] (+ position[pos]) (+ token_type[types]))) · attention_mask
 *   scores = (q·kᵀ + c2p + p2c) / sqrt(headDim · (1 + pos_att_type entries))   (attention/disentangled.ts)
 * with c2p / p2c from rel_embeddings (LayerNorm'd when norm_rel_ebd says so) projected by each layer.
 */
import * as tf from '@tensorflow/tfjs';
import { largestBindingBytes } from '../backend/backend-info.ts';
import { type LinearMap, type NormMap, applyActivation, layerNorm, linear, scaleBy } from '../ops.ts';
import { type DisentangledIndices, disentangledIndices, disentangledScale, disentangledScoreBias } from './attention/disentangled.ts';
import type { EncoderConfig } from './config.ts';
import { type EmbeddingTable, gatherRows, uploadEmbeddingTable } from './embedding-table.ts';
import { hasEmbeddingProjection, layerModules } from './families/index.ts';
import type { EncodedBatch } from './tokenizer.ts';
import type { HostTensor, HostWeights } from './weights.ts';

/** A Linear layer in transformers' layout, with its bias (every Linear of the encoder has one). */
export interface Linear extends LinearMap {
  /** [out] bias. */
  bias: tf.Tensor1D;
}

/** A LayerNorm's affine parameters. */
export type Norm = NormMap;

export interface EncoderLayerWeights {
  /** Query projection, hidden → hidden. */
  query: Linear;
  /** Key projection, hidden → hidden. */
  key: Linear;
  /** Value projection, hidden → hidden. */
  value: Linear;
  /** Projection of the merged heads back into the residual stream (attention.output.dense). */
  attentionOutput: Linear;
  /** LayerNorm closing the attention sub-block (attention.output.LayerNorm). */
  attentionNorm: Norm;
  /** First feed-forward projection, hidden → intermediate (intermediate.dense). */
  intermediate: Linear;
  /** Second feed-forward projection, intermediate → hidden (output.dense). */
  output: Linear;
  /** LayerNorm closing the feed-forward sub-block (output.LayerNorm). */
  outputNorm: Norm;
  /** DeBERTa's pos_key_proj (c2p, without share_att_key). */
  positionKey?: LinearMap;
  /** DeBERTa's pos_query_proj (p2c, without share_att_key). */
  positionQuery?: LinearMap;
}

/** DeBERTa's relative position embeddings (encoder.rel_embeddings) and their LayerNorm (encoder.LayerNorm). */
export interface RelativeEmbeddings {
  /** [2 · tableSpan, hidden]. */
  table: tf.Tensor2D;
  norm?: Norm;
}

/** The frozen encoder on the device. */
export interface EncoderWeights {
  config: EncoderConfig;
  /** [vocab, embedding] word embedding table. */
  /** In row blocks where the table is over the largest buffer a WebGPU kernel may bind (embedding-table.ts). */
  wordEmbeddings: EmbeddingTable;
  /** [maxPositions, embedding] position embedding table; absent in DeBERTa without position_biased_input. */
  positionEmbeddings?: tf.Tensor2D;
  /** [typeVocab, embedding] segment embedding table; absent when typeVocabSize is 0. */
  tokenTypeEmbeddings?: tf.Tensor2D;
  /** LayerNorm of the summed embeddings. */
  embeddingNorm: Norm;
  /** ELECTRA's embedding → hidden projection (after the LayerNorm; absent when the widths match); ALBERT's embedding_hidden_mapping_in. */
  embeddingProjection?: Linear;
  /** DeBERTa's embed_proj, embedding → hidden without bias, before the LayerNorm; absent when the widths match. */
  embeddingInputProjection?: LinearMap;
  /** DeBERTa's relative embeddings, when relative_attention is on. */
  relativeEmbeddings?: RelativeEmbeddings;
  /** One entry a layer module (families' layerModules: ALBERT's shared modules once). */
  layers: EncoderLayerWeights[];
  /** tanh(dense(first token)); absent when the checkpoint has no pooler. */
  pooler?: Linear;
  /** Frees every tensor above. */
  dispose(): void;
}

/** The linear maps a hook may replace, named after what they feed. */
export type ProjectionName = 'q' | 'k' | 'v' | 'attnOut' | 'ffnIn' | 'ffnOut';

/** Applies a sub-block's LayerNorm to a [batch, seq, hidden] tensor. */
export type LayerNormFn = (t: tf.Tensor3D) => tf.Tensor3D;

/**
 * Where adapters plug into the encoder. Every hook is optional; an absent hook computes exactly the plain
 * transformers forward. Hooks run inside the forward's tf.tidy.
 */
export interface EncoderHooks {
  /**
   * Replaces one Linear of layer `layer`. `x` is its input [batch, seq, in]; return [batch, seq, out].
   * Default: `linear(x, weights)`. LoRA adds a scaled low-rank term; IA3 scales the output ('k', 'v',
   * 'ffnIn') or the input ('ffnOut').
   */
  projection?(layer: number, name: ProjectionName, x: tf.Tensor3D, weights: Linear): tf.Tensor3D;
  /**
   * Closes the attention sub-block. `h` is the attention output after its dense projection, `x` the
   * sub-block input (the residual), both [batch, seq, hidden]; `ln` is the block's LayerNorm.
   * Default `ln(h + x)`. The `adapters` library's bottleneck adapters with mh_adapter sit here.
   */
  attentionOutput?(layer: number, h: tf.Tensor3D, x: tf.Tensor3D, ln: LayerNormFn): tf.Tensor3D;
  /**
   * Closes the feed-forward sub-block: `h` is output.dense's result, `x` the sub-block input, both
   * [batch, seq, hidden]. Default `ln(h + x)`. Bottleneck adapters with output_adapter (Pfeiffer, Houlsby) sit here.
   */
  ffnOutput?(layer: number, h: tf.Tensor3D, x: tf.Tensor3D, ln: LayerNormFn): tf.Tensor3D;
  /**
   * Prefix tuning: keys and values prepended to layer `layer`'s projected keys and values, each
   * [prefixLength, hidden] (the same for every sequence) or [batch, prefixLength, hidden] (per sequence, e.g.
   * gated by `x`, the layer's input [batch, seq, hidden]); every token may attend to them. Return undefined
   * for no prefix.
   */
  attentionPrefix?(layer: number, x: tf.Tensor3D): { key: tf.Tensor2D | tf.Tensor3D; value: tf.Tensor2D | tf.Tensor3D } | undefined;
  /**
   * Replaces the embedding layer's output `e` [batch, seq, embedding] (after its LayerNorm, before ELECTRA's
   * projection), e.g. prompt tuning prepends trained embeddings. Positions added to the sequence are always
   * attended; they are inserted before the original tokens in the attention mask (the `adapters` library's
   * prefix_attention_mask), so the returned [batch, seq + added, embedding] must keep the original tokens
   * in order after any inserted prefix of the first token.
   */
  embeddingsOutput?(e: tf.Tensor3D, batch: EncodedBatch): tf.Tensor3D;
}

export interface EncoderOutput {
  /** [batch, seq, hidden] hidden states after the last layer. */
  lastHiddenState: tf.Tensor3D;
  /** [batch, hidden] last hidden state of the first token ([CLS] / <s>). */
  firstToken: tf.Tensor2D;
  /** [batch, hidden] tanh(dense(firstToken)), when the checkpoint has a pooler. */
  pooled?: tf.Tensor2D;
}

/** transformers fills masked attention scores with the dtype's minimum (torch.finfo(float32).min). */
const FLOAT32_MIN = -3.4028234663852886e38;

/** A masked DeBERTa score: far below any real one, yet finite after the softmax's max subtraction on every backend. */
const MASKED_SCORE = -1e30;

/**
 * The largest buffer a kernel of the active backend may bind: its WebGPU device's limit (tfjs' WebGPUBackend.device,
 * whoever created it); none on wasm and cpu.
 */
function largestBinding(): number | undefined {
  const device = tf.getBackend() === 'webgpu' ? (tf.backend() as { device?: GPUDevice }).device : undefined;
  return device ? largestBindingBytes(device.limits) : undefined;
}

/** Uploads the host tensors once; the returned weights own them until `dispose()`. */
export function uploadEncoderWeights(config: EncoderConfig, host: HostWeights): EncoderWeights {
  const created: tf.Tensor[] = [];
  const get = (name: string): HostTensor => {
    const t = host.get(name);
    if (!t) throw new Error(`uploadEncoderWeights: tensor "${name}" is missing; load weights with loadEncoderWeights, which checks them.`);
    return t;
  };
  const t1 = (name: string) => { const t = tf.tensor1d(get(name).data, 'float32'); created.push(t); return t; };
  const t2 = (name: string) => {
    const { data, shape } = get(name);
    const t = tf.tensor2d(data, [shape[0], shape[1]], 'float32');
    created.push(t);
    return t;
  };
  const table = (name: string): EmbeddingTable => {
    const { data, shape } = get(name);
    const uploaded = uploadEmbeddingTable(data, shape[0], shape[1], largestBinding());
    created.push(...uploaded.blocks);
    return uploaded;
  };
  // Frozen: no run trains an uploaded encoder weight (ops.ts, LinearMap.frozen).
  const linear = (name: string): Linear => ({ weight: t2(`${name}.weight`), bias: t1(`${name}.bias`), frozen: true });
  const norm = (name: string): Norm => ({ weight: t1(`${name}.weight`), bias: t1(`${name}.bias`) });
  const deberta = config.disentangled;
  const projected = config.embeddingSize !== config.hiddenSize;
  /** A Linear without bias, or with one when `bias` says so (DeBERTa's embed_proj and position projections). */
  const linearMap = (name: string, bias: boolean): LinearMap => (bias ? linear(name) : { weight: t2(`${name}.weight`), frozen: true });
  const relative = deberta?.relativeAttention;
  const ownPositionProjections = relative && !deberta.shareAttKey;
  try {
    return {
      config,
      wordEmbeddings: table('embeddings.word_embeddings.weight'),
      positionEmbeddings: !deberta || deberta.positionBiasedInput ? t2('embeddings.position_embeddings.weight') : undefined,
      tokenTypeEmbeddings: config.typeVocabSize > 0 ? t2('embeddings.token_type_embeddings.weight') : undefined,
      embeddingNorm: norm('embeddings.LayerNorm'),
      embeddingProjection: hasEmbeddingProjection(config) && !deberta ? linear('embeddings_project') : undefined,
      embeddingInputProjection: projected && deberta ? linearMap('embeddings.embed_proj', false) : undefined,
      relativeEmbeddings: relative ? { table: t2('encoder.rel_embeddings.weight'), norm: deberta.normRelEmbeddings ? norm('encoder.LayerNorm') : undefined } : undefined,
      layers: Array.from({ length: layerModules(config).paths.length }, (_, l) => {
        const p = `encoder.layer.${l}`;
        const own = (kind: 'c2p' | 'p2c', name: string, bias: boolean) =>
          ownPositionProjections && deberta.posAttTypes.includes(kind) ? linearMap(`${p}.attention.self.${name}`, bias) : undefined;
        return {
          query: linear(`${p}.attention.self.query`),
          key: linear(`${p}.attention.self.key`),
          value: linear(`${p}.attention.self.value`),
          attentionOutput: linear(`${p}.attention.output.dense`),
          attentionNorm: norm(`${p}.attention.output.LayerNorm`),
          intermediate: linear(`${p}.intermediate.dense`),
          output: linear(`${p}.output.dense`),
          outputNorm: norm(`${p}.output.LayerNorm`),
          ...withPositionProjections(own('c2p', 'pos_key_proj', deberta?.positionProjectionBias.key ?? false), own('p2c', 'pos_query_proj', deberta?.positionProjectionBias.query ?? false)),
        };
      }),
      pooler: config.hasPooler ? linear('pooler.dense') : undefined,
      dispose: disposerOf(created),
    };
  } catch (err) {
    for (const t of created) t.dispose();
    throw err;
  }
}

/**
 * Disposes `tensors`. A closure of its own: one written inside uploadEncoderWeights would share that scope's context
 * with the upload helpers and keep the host weights (0.44 GB at bert-base) alive as long as the encoder.
 */
function disposerOf(tensors: tf.Tensor[]): () => void {
  return () => { for (const t of tensors) t.dispose(); };
}

/** DeBERTa's own position projections as layer fields, only those the layer has (BERT's layers keep their eight). */
function withPositionProjections(positionKey?: LinearMap, positionQuery?: LinearMap): Pick<EncoderLayerWeights, 'positionKey' | 'positionQuery'> {
  return { ...(positionKey ? { positionKey } : {}), ...(positionQuery ? { positionQuery } : {}) };
}

/** One of layer `l`'s Linears, through the projection hook when there is one. */
function project(hooks: EncoderHooks, l: number, name: ProjectionName, x: tf.Tensor3D, weights: Linear): tf.Tensor3D {
  return hooks.projection ? hooks.projection(l, name, x, weights) : linear(x, weights);
}

/** RoBERTa's create_position_ids_from_input_ids, or 0..seq-1 (see EncoderConfig.positionOffset). */
function positionIds(config: EncoderConfig, batch: EncodedBatch): Int32Array {
  const positions = new Int32Array(batch.batch * batch.seq);
  for (let b = 0; b < batch.batch; b++) {
    let counted = 0;
    for (let s = 0; s < batch.seq; s++) {
      const i = b * batch.seq + s;
      if (config.positionOffset === 0) positions[i] = s;
      else if (batch.inputIds[i] === config.padTokenId) positions[i] = config.padTokenId;
      else positions[i] = config.positionOffset + counted++;
    }
  }
  return positions;
}

/** Refuses batches whose ids would index outside the embedding tables (a GPU gather would not complain). */
function checkBatch(config: EncoderConfig, batch: EncodedBatch): void {
  const size = batch.batch * batch.seq;
  if (batch.inputIds.length !== size || batch.attentionMask.length !== size || batch.tokenTypeIds.length !== size) {
    throw new RangeError(`Encoder batch arrays must hold batch × seq = ${size} values.`);
  }
  if (batch.seq > config.maxSequenceLength) {
    throw new RangeError(`Sequences of ${batch.seq} tokens exceed the ${config.maxSequenceLength} positions of "${config.repoId}"; encode with a smaller maxLength.`);
  }
  for (let i = 0; i < size; i++) {
    const id = batch.inputIds[i];
    if (id < 0 || id >= config.vocabSize) throw new RangeError(`Token id ${id} is outside the vocabulary (0..${config.vocabSize - 1}) of "${config.repoId}".`);
    const type = batch.tokenTypeIds[i];
    if (type < 0 || type >= Math.max(1, config.typeVocabSize)) throw new RangeError(`Token type id ${type} is outside the ${config.typeVocabSize} segment types of "${config.repoId}".`);
  }
}

/** The relative rows every layer projects (LayerNorm'd, cut to the span) and the index tables of one forward. */
interface RelativeState {
  /** [1, 2span, hidden]. */
  rows: tf.Tensor3D;
  indices: DisentangledIndices;
}

function relativeState(weights: EncoderWeights, seq: number): RelativeState | undefined {
  const config = weights.config.disentangled;
  const relative = weights.relativeEmbeddings;
  if (!config || !relative) return undefined;
  const indices = disentangledIndices(seq, config);
  const table = relative.norm ? layerNorm(relative.table, relative.norm, weights.config.layerNormEps) : relative.table;
  const rows = table.slice([config.tableSpan - indices.span, 0], [2 * indices.span, table.shape[1]]);
  return { rows: rows.expandDims(0) as tf.Tensor3D, indices };
}

/** Multi-head self-attention of one layer; returns the merged heads before attention.output.dense. */
function selfAttention(l: number, x: tf.Tensor3D, w: EncoderLayerWeights, maskBias: tf.Tensor4D, config: EncoderConfig, hooks: EncoderHooks, relative?: RelativeState): tf.Tensor3D {
  const [batch, seq, hidden] = x.shape;
  const heads = config.numHeads;
  const headDim = hidden / heads;
  const ownKey = project(hooks, l, 'k', x, w.key);
  let k = ownKey;
  let v = project(hooks, l, 'v', x, w.value);
  let bias = maskBias;
  const prefix = hooks.attentionPrefix?.(l, x);
  const prefixLength = prefix ? prefix.key.shape[prefix.key.rank - 2] : 0;
  if (prefix) {
    const tile = (t: tf.Tensor2D | tf.Tensor3D) => (t.rank === 3 ? t : tf.tile(t.expandDims(0), [batch, 1, 1])) as tf.Tensor3D;
    k = tf.concat([tile(prefix.key), k], 1);
    v = tf.concat([tile(prefix.value), v], 1);
    bias = tf.concat([tf.zeros([batch, 1, maskBias.shape[2], prefixLength]), maskBias], 3);
  }
  const split = (t: tf.Tensor3D) => t.reshape([t.shape[0], t.shape[1], heads, headDim]).transpose([0, 2, 1, 3]) as tf.Tensor4D;
  const q = split(project(hooks, l, 'q', x, w.query));
  let scores: tf.Tensor4D;
  if (!config.disentangled) {
    scores = scaleBy(tf.matMul(q, split(k), false, true), 1 / Math.sqrt(headDim)).add(bias);
  } else {
    const scale = disentangledScale(headDim, config.disentangled);
    scores = scaleBy(tf.matMul(q, split(k), false, true), scale);
    if (relative) {
      const types = config.disentangled.posAttTypes;
      const shared = config.disentangled.shareAttKey;
      // [1, 2span, hidden] → [heads, 2span, headDim]; share_att_key projects through key_proj / query_proj, adapters included.
      const rows = (name: 'k' | 'q', own: LinearMap | undefined, content: Linear) =>
        split(shared ? project(hooks, l, name, relative.rows, content) : linear(relative.rows, own!)).squeeze([0]) as tf.Tensor3D;
      const positions = {
        key: types.includes('c2p') ? rows('k', w.positionKey, w.key) : undefined,
        query: types.includes('p2c') ? rows('q', w.positionQuery, w.query) : undefined,
      };
      // The `adapters` library adds the position terms to the sequence's own keys only; prefix keys get none.
      let position = disentangledScoreBias(q, split(ownKey), positions, relative.indices, scale);
      if (prefixLength > 0) position = tf.concat([tf.zeros([batch, heads, seq, prefixLength]), position], 3);
      scores = scores.add(position);
    }
    // masked_fill(~mask, min), as the library's DisentangledSelfAttention: no gradient reaches a masked score, and a
    // row with every key masked (a padded query) gets even weights. -1e30 rather than float32 min: the softmax gives
    // the same weights (exp underflows to 0 either way), but WebGPU's softmax of a row of float32 min is NaN.
    scores = tf.where(tf.broadcastTo(bias.less(0), scores.shape), tf.fill(scores.shape, MASKED_SCORE), scores);
  }
  const context = tf.matMul(tf.softmax(scores), split(v));
  return context.transpose([0, 2, 1, 3]).reshape([batch, seq, hidden]);
}

/**
 * Runs the encoder on a tokenized batch. The caller owns (and disposes) the returned tensors; every
 * intermediate is freed. Safe to call inside tf.grad / variableGrads for adapter training.
 */
export function encoderForward(weights: EncoderWeights, batch: EncodedBatch, hooks: EncoderHooks = {}): EncoderOutput {
  const config = weights.config;
  checkBatch(config, batch);
  const positions = positionIds(config, batch);
  return tf.tidy(() => {
    const { batch: b, seq: s } = batch;
    const gather = (table: tf.Tensor2D, ids: Int32Array) =>
      tf.gather(table, tf.tensor1d(ids, 'int32')).reshape([b, s, table.shape[1]]) as tf.Tensor3D;
    let e = gatherRows(weights.wordEmbeddings, batch.inputIds).reshape([b, s, weights.wordEmbeddings.width]) as tf.Tensor3D;
    if (weights.positionEmbeddings) e = e.add(gather(weights.positionEmbeddings, positions));
    if (weights.tokenTypeEmbeddings) e = e.add(gather(weights.tokenTypeEmbeddings, batch.tokenTypeIds));
    if (weights.embeddingInputProjection) e = linear(e, weights.embeddingInputProjection);
    let x = layerNorm(e, weights.embeddingNorm, config.layerNormEps);
    const mask = tf.tensor4d(batch.attentionMask, [b, 1, 1, s], 'int32').toFloat();
    // DeBERTa's embeddings zero the padding positions (DebertaV2Embeddings: embeddings * mask).
    if (config.disentangled) x = x.mul(mask.reshape([b, s, 1]));
    if (hooks.embeddingsOutput) x = hooks.embeddingsOutput(x, batch);
    const added = x.shape[1] - s;
    if (weights.embeddingProjection) x = linear(x, weights.embeddingProjection);
    const relative = relativeState(weights, x.shape[1]);

    let maskBias = tf.scalar(1).sub(mask).mul(FLOAT32_MIN) as tf.Tensor4D;
    if (added > 0) maskBias = tf.concat([tf.zeros([b, 1, 1, added]), maskBias], 3);
    if (config.disentangled) {
      // DebertaEncoder.get_attention_mask masks query rows too (mask_i · mask_j); the library's prefix_attention_mask
      // then puts the prompt's rows and columns in front as ones, so every row sees the prompt.
      const keep = maskBias.equal(0).toFloat();
      let keep2d = keep.mul(keep.reshape([b, 1, added + s, 1]));
      if (added > 0) keep2d = keep2d.maximum(tf.concat([tf.ones([1, 1, 1, added]), tf.zeros([1, 1, 1, s])], 3));
      maskBias = tf.scalar(1).sub(keep2d).mul(FLOAT32_MIN) as tf.Tensor4D;
    }
    const close = (hook: EncoderHooks['attentionOutput'], l: number, h: tf.Tensor3D, residual: tf.Tensor3D, norm: Norm) => {
      const ln: LayerNormFn = (t) => layerNorm(t, norm, config.layerNormEps);
      return hook ? hook(l, h, residual, ln) : ln(h.add(residual));
    };

    for (const l of layerModules(config).runs) {
      const w = weights.layers[l];
      const input = x;
      // A tidy per layer: under a gradient tape tfjs keeps what backward needs (saved tensors survive a tidy), so
      // the rest of the layer's intermediates go when the layer ends instead of when the whole forward does.
      x = tf.tidy(() => {
        const attention = project(hooks, l, 'attnOut', selfAttention(l, input, w, maskBias, config, hooks, relative), w.attentionOutput);
        const a = close(hooks.attentionOutput?.bind(hooks), l, attention, input, w.attentionNorm);
        const inner = applyActivation(project(hooks, l, 'ffnIn', a, w.intermediate), config.hiddenAct);
        return close(hooks.ffnOutput?.bind(hooks), l, project(hooks, l, 'ffnOut', inner, w.output), a, w.outputNorm);
      });
    }

    const [, , hidden] = x.shape;
    const firstToken = x.slice([0, 0, 0], [b, 1, hidden]).reshape([b, hidden]) as tf.Tensor2D;
    const output: EncoderOutput = { lastHiddenState: x, firstToken };
    if (weights.pooler) output.pooled = tf.tanh(linear(firstToken, weights.pooler));
    return output as unknown as tf.TensorContainerObject;
  }) as unknown as EncoderOutput;
}
