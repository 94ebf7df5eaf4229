/**
 * DeBERTa's disentangled attention bias (transformers' modeling_deberta_v2.py DisentangledSelfAttention and
 * modeling_deberta.py's v1 form): besides the content score q·kᵀ, each query i and key j add
 *
 *   c2p:  q_i · posKey[ c2pIndex(i, j) ]     (content of i → position of j relative to i)
 *   p2c:  k_j · posQuery[ p2cIndex(j, i) ]   (position of i relative to j → content of j)
 *
 * where posKey / posQuery are the layer's projections of the relative embedding table, r(i, j) = i - j (in
 * DeBERTa-v2, log-bucketed past `positionBuckets / 2`), and cXp index = clamp(±r + span, 0, 2·span - 1). All
 * terms share the scale 1 / sqrt(headDim · (1 + pos_att_type entries)). The index tables depend on the sequence
 * length only, so they are built on the host; the encoder projects the table (through its adapter hooks).
 */
import * as tf from '@tensorflow/tfjs';
import type { DisentangledAttentionConfig } from '../families/types.ts';

/** transformers' make_log_bucket_position for one relative position (v2, `positionBuckets` > 0). */
export function logBucketPosition(relative: number, buckets: number, maxPosition: number): number {
  const mid = Math.floor(buckets / 2);
  const abs = relative < mid && relative > -mid ? mid - 1 : Math.abs(relative);
  if (abs <= mid) return relative;
  const log = Math.ceil((Math.log(abs / mid) / Math.log((maxPosition - 1) / mid)) * (mid - 1)) + mid;
  return log * Math.sign(relative);
}

/** r(i, j) = i - j, bucketed as the config says (build_relative_position). */
export function relativePosition(i: number, j: number, config: DisentangledAttentionConfig): number {
  const r = i - j;
  return config.positionBuckets > 0 ? logBucketPosition(r, config.positionBuckets, config.maxRelativePositions) : r;
}

/** Gather indices of one sequence length, into [seq, 2·span] score rows flattened to seq·2·span. */
export interface DisentangledIndices {
  /** Relative distances kept on each side: rows [tableSpan - span, tableSpan + span) of the embedding table are used. */
  span: number;
  /** [seq·seq]: for (i, j), i·2span + clamp(r(i, j) + span). */
  c2p: Int32Array;
  /** [seq·seq]: for (i, j), j·2span + clamp(-r(j, i) + span). */
  p2c: Int32Array;
}

/** The span (v2: the whole table; v1: shrunk to the sequence) and both index tables for `seq` tokens. */
export function disentangledIndices(seq: number, config: DisentangledAttentionConfig): DisentangledIndices {
  const span = config.spanFromSequence ? Math.min(seq, config.tableSpan) : config.tableSpan;
  const width = 2 * span;
  const clamp = (v: number) => Math.min(Math.max(v, 0), width - 1);
  const c2p = new Int32Array(seq * seq);
  const p2c = new Int32Array(seq * seq);
  for (let i = 0; i < seq; i++) {
    for (let j = 0; j < seq; j++) {
      c2p[i * seq + j] = i * width + clamp(relativePosition(i, j, config) + span);
      p2c[i * seq + j] = j * width + clamp(-relativePosition(j, i, config) + span);
    }
  }
  return { span, c2p, p2c };
}

/** 1 / sqrt(headDim · scale_factor), scale_factor = 1 + the pos_att_type entries (applied to every score term). */
export function disentangledScale(headDim: number, config: DisentangledAttentionConfig): number {
  return 1 / Math.sqrt(headDim * (1 + config.posAttTypes.length));
}

/** Per-head content × relative-embedding products [batch, heads, seq, 2span], gathered to [batch, heads, seq, seq]. */
function gatherRelative(content: tf.Tensor4D, positions: tf.Tensor3D, index: Int32Array): tf.Tensor4D {
  const [batch, heads, seq, headDim] = content.shape;
  const width = positions.shape[1];
  // [heads, batch·seq, d] · [heads, 2span, d]ᵀ, one product per head.
  const byHead = content.transpose([1, 0, 2, 3]).reshape([heads, batch * seq, headDim]) as tf.Tensor3D;
  const products = tf.matMul(byHead, positions, false, true).reshape([heads, batch, seq * width]).transpose([1, 0, 2]);
  const flat = products.reshape([batch * heads, seq * width]);
  return gatherColumns(flat as tf.Tensor2D, index).reshape([batch, heads, seq, seq]) as tf.Tensor4D;
}

/**
 * tf.gather(x, index, 1) with its gradient as a scatterND, which sums repeated indices (clamped distances repeat):
 * tf.gather's own gradient is UnsortedSegmentSum, which tfjs-backend-wasm has no kernel for.
 */
function gatherColumns(x: tf.Tensor2D, index: Int32Array): tf.Tensor2D {
  const [rows, columns] = x.shape;
  const gather = tf.customGrad((input) => ({
    value: tf.gather(input as tf.Tensor2D, tf.tensor1d(index, 'int32'), 1),
    gradFunc: (dy) => tf.scatterND(tf.tensor2d(index, [index.length, 1], 'int32'), (dy as tf.Tensor2D).transpose(), [columns, rows]).transpose(),
  }));
  return gather(x) as tf.Tensor2D;
}

/**
 * The position terms of the attention scores, [batch, heads, seq, seq], already scaled: `query` and `key` are
 * the layer's content projections split into heads [batch, heads, seq, headDim] (keys without any prefix);
 * `positionKey` / `positionQuery` the projected relative rows [heads, 2span, headDim] (those pos_att_type uses).
 */
export function disentangledScoreBias(
  query: tf.Tensor4D,
  key: tf.Tensor4D,
  positions: { key?: tf.Tensor3D; query?: tf.Tensor3D },
  indices: DisentangledIndices,
  scale: number,
): tf.Tensor4D {
  const [batch, heads, seq] = query.shape;
  let bias: tf.Tensor4D = tf.zeros([batch, heads, seq, seq]);
  if (positions.key) bias = bias.add(gatherRelative(query, positions.key, indices.c2p));
  if (positions.query) bias = bias.add(gatherRelative(key, positions.query, indices.p2c));
  return bias.mul(scale);
}
