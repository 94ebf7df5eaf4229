/**
 * DeBERTa's disentangled attention bias (transformers' modeling_deberta_v2.py DisentangledSelfAttention and
 * modeling_deberta.py's v1 form): besides the content score q·kᵀ, each query i and key j add
 *
 *   c2p:  q_i · posKey[ c2pIndex(i, j) ]     (content of i → position of j relative to i)
 *   p2c:  k_j · posQuery[ p2cIndex(j, i) ]   (position of i relative to j → content of j)
 *
 * where posKey / posQuery are the layer's projections of the relative embedding table, r(i, j) = i - j (in
 * DeBERTa-v2, log-bucketed past `positionBuckets / 2`), and cXp index = clamp(±r + span, 0, 2·span - 1). All
 * terms share the scale 1 / sqrt(headDim · (1 + pos_att_type entries)). transformers gathers those indices;
 * here the rows are picked per distance by a one-hot product and the scores realigned by reshapes, so the
 * backward pass needs no scatter (tfjs-backend-wasm has no UnsortedSegmentSum, gather's gradient). The
 * encoder projects the table (through its adapter hooks).
 */
import * as tf from '@tensorflow/tfjs';
import type { DisentangledAttentionConfig } from '../families/types.ts';
import { scaleBy } from '../../ops.ts';

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

/** The relative rows one sequence length reads. */
export interface DisentangledIndices {
  /** Relative distances kept on each side: rows [tableSpan - span, tableSpan + span) of the embedding table are used. */
  span: number;
  /** [2·seq - 1]: for δ = i - j from -(seq - 1) to seq - 1, the row clamp(r(δ) + span, 0, 2·span - 1) of the used rows. */
  rows: Int32Array;
}

/**
 * The span (v2: the whole table; v1: shrunk to the sequence) and the row of each distance. r depends on i - j
 * only and is odd (log buckets are sign · magnitude), so c2p's row for (i, j) and p2c's for (j, i) are both
 * rows[i - j + seq - 1].
 */
export function disentangledIndices(seq: number, config: DisentangledAttentionConfig): DisentangledIndices {
  const span = config.spanFromSequence ? Math.min(seq, config.tableSpan) : config.tableSpan;
  const rows = new Int32Array(2 * seq - 1);
  for (let k = 0; k < rows.length; k++) rows[k] = Math.min(Math.max(relativePosition(k - (seq - 1), 0, config) + span, 0), 2 * span - 1);
  return { span, rows };
}

/** 1 / sqrt(headDim · scale_factor), scale_factor = 1 + the pos_att_type entries (applied to every score term). */
export function disentangledScale(headDim: number, config: DisentangledAttentionConfig): number {
  return 1 / Math.sqrt(headDim * (1 + config.posAttTypes.length));
}

/** [heads, 2span, d] projected rows → [heads, 2seq - 1, d], one row per distance i - j (a one-hot product: differentiable on every backend). */
function rowsByDistance(positions: tf.Tensor3D, indices: DisentangledIndices): tf.Tensor3D {
  const [heads, width, headDim] = positions.shape;
  const distances = indices.rows.length;
  const pick = tf.oneHot(tf.tensor1d(indices.rows, 'int32'), width).toFloat() as tf.Tensor2D;
  const flat = positions.transpose([1, 0, 2]).reshape([width, heads * headDim]) as tf.Tensor2D;
  return tf.matMul(pick, flat).reshape([distances, heads, headDim]).transpose([1, 0, 2]) as tf.Tensor3D;
}

/** content [batch, heads, seq, d] · byDistanceᵀ per head: [batch, heads, seq, 2seq - 1]. */
function contentByDistance(content: tf.Tensor4D, byDistance: tf.Tensor3D): tf.Tensor4D {
  const [batch, heads, seq, headDim] = content.shape;
  const byHead = content.transpose([1, 0, 2, 3]).reshape([heads, batch * seq, headDim]) as tf.Tensor3D;
  return tf.matMul(byHead, byDistance, false, true).reshape([heads, batch, seq, byDistance.shape[1]]).transpose([1, 0, 2, 3]) as tf.Tensor4D;
}

/**
 * out[a, b] = d[a, b + seq - 1 - a] for d [batch, heads, seq, 2seq - 1]: read row a of the flattened tensor
 * with a stride of 2seq - 2 (Transformer-XL's relative shift, with pads replaced by the spare column).
 */
function shiftRows(d: tf.Tensor4D): tf.Tensor4D {
  const [batch, heads, seq, distances] = d.shape;
  if (seq === 1) return d;
  const flat = d.reshape([batch * heads, seq * distances]).slice([0, seq - 1], [batch * heads, seq * (distances - 1)]);
  return flat.reshape([batch * heads, seq, distances - 1]).slice([0, 0, 0], [batch * heads, seq, seq]).reshape([batch, heads, seq, seq]) as tf.Tensor4D;
}

/**
 * The position terms of the attention scores, [batch, heads, seq, seq], already scaled: `query` and `key` are
 * the layer's content projections split into heads [batch, heads, seq, headDim] (keys without any prefix);
 * `positions.key` / `positions.query` the projected relative rows [heads, 2span, headDim] (those pos_att_type uses).
 *   c2p[i, j] = q_i · K[row(i - j)]:  C[i, δ] = q_i · K[row(δ)], reversed along δ, rows shifted
 *   p2c[i, j] = k_j · Q[row(i - j)]:  P[j, δ'] = k_j · Q[row(δ')], rows shifted (P[j, i - j + seq - 1]), transposed
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
  if (positions.key) bias = bias.add(shiftRows(tf.reverse(contentByDistance(query, rowsByDistance(positions.key, indices)), 3)));
  if (positions.query) bias = bias.add(shiftRows(contentByDistance(key, rowsByDistance(positions.query, indices))).transpose([0, 1, 3, 2]));
  return scaleBy(bias, scale);
}
