/**
 * Test support for training adapters on the fixture Hub: the tiny-sentiment parquet splits tokenised into
 * batches, a plain Adam loop over AdapterModel.loss, and accuracy on a split. (The studio's real training loop
 * lives in src/core/train; this is the minimum the adapter tests need.)
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readParquetRows } from '../data/parquet-codecs.ts';
import type { EncoderWeights } from '../model/encoder.ts';
import type { EncodedBatch, EncoderTokenizer } from '../model/tokenizer.ts';
import type { AdapterModel, ForwardOptions } from './adapter.ts';

export interface LabelledBatch {
  inputs: EncodedBatch;
  /** [batch] class ids. */
  labels: Int32Array;
}

/** Rows {text, label} of a split of a fixture dataset, read from its parquet export. */
export async function fixtureRows(root: string, dataset: string, split: string): Promise<{ text: string; label: number }[]> {
  const bytes = await readFile(join(root, 'datasets', dataset, 'parquet', 'default', split, '0000.parquet'));
  const rows = await readParquetRows({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer });
  return rows.map((row) => ({ text: String(row.text), label: Number(row.label) }));
}

/** Consecutive batches of `size` rows (the last one may be smaller), each padded to its longest sequence. */
export function batches(tokenizer: EncoderTokenizer, rows: { text: string; label: number }[], size: number, maxLength: number): LabelledBatch[] {
  const out: LabelledBatch[] = [];
  for (let i = 0; i < rows.length; i += size) {
    const chunk = rows.slice(i, i + size);
    out.push({ inputs: tokenizer.encode(chunk.map((r) => r.text), undefined, { maxLength }), labels: Int32Array.from(chunk.map((r) => r.label)) });
  }
  return out;
}

/** One Adam step on the adapter and head; returns the batch loss. */
export function trainStep(adapter: AdapterModel, weights: EncoderWeights, optimizer: tf.Optimizer, batch: LabelledBatch, options: ForwardOptions = { training: true }): number {
  const loss = optimizer.minimize(() => adapter.loss(weights, batch.inputs, batch.labels, options), true, adapter.trainableVariables())!;
  const value = loss.dataSync()[0];
  loss.dispose();
  return value;
}

/** Share of examples whose highest logit is their label. */
export function accuracy(adapter: AdapterModel, weights: EncoderWeights, data: LabelledBatch[]): number {
  let right = 0;
  let total = 0;
  for (const batch of data) {
    const predicted = tf.tidy(() => adapter.forward(weights, batch.inputs).argMax(1).dataSync());
    batch.labels.forEach((label, i) => { if (predicted[i] === label) right++; });
    total += batch.labels.length;
  }
  return right / total;
}

/** Host copies of every frozen encoder tensor, to check training leaves them bit-identical. */
export function encoderSnapshot(weights: EncoderWeights): Float32Array[] {
  const maps = [weights.embeddingNorm, weights.embeddingProjection, weights.embeddingInputProjection, weights.relativeEmbeddings?.norm, weights.pooler, ...weights.layers.flatMap((layer) => Object.values(layer))];
  const tensors = [...weights.wordEmbeddings.blocks, weights.positionEmbeddings, weights.tokenTypeEmbeddings, weights.relativeEmbeddings?.table, ...maps.flatMap((m) => (m ? [m.weight, m.bias] : []))];
  return tensors.filter((t): t is tf.Tensor => t !== undefined).map((t) => (t.dataSync() as Float32Array).slice());
}
