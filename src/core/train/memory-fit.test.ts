import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createAdapter } from '../adapters/adapter.ts';
import { initBackend } from '../backend/init-backend.ts';
import { estimateMemory, parseEncoderConfig } from '../model/config.ts';
import { uploadEncoderWeights } from '../model/encoder.ts';
import { randomWeights } from '../model/test-support.ts';
import { type TokenBatch, adapterTrainable } from './adapter-trainable.ts';
import { TrainingError } from './errors.ts';
import { WASM_HEAP_BYTES, fitBatchToMemory, memoryCeilingOf } from './memory-fit.ts';
import { train } from './trainer.ts';

const BERT_BASE = parseEncoderConfig({
  model_type: 'bert', hidden_act: 'gelu', hidden_size: 768, intermediate_size: 3072, max_position_embeddings: 512,
  num_attention_heads: 12, num_hidden_layers: 12, type_vocab_size: 2, vocab_size: 30522,
}, 'google-bert/bert-base-uncased');
// facebook/xlm-roberta-xl's shape as an xlm-roberta config: 3.5 B parameters, 14 GB of float32 weights.
const XLMR_XL = parseEncoderConfig({
  model_type: 'xlm-roberta', hidden_size: 2560, intermediate_size: 10240, max_position_embeddings: 514,
  num_attention_heads: 32, num_hidden_layers: 36, type_vocab_size: 1, vocab_size: 250880,
}, 'facebook/xlm-roberta-xl');
const wasm = memoryCeilingOf({ name: 'wasm' });

describe('fitBatchToMemory', () => {
  it('keeps bert-base at the CLI defaults (16 × 128) whole on wasm', () => {
    const fit = fitBatchToMemory(BERT_BASE, { batchSize: 16, gradientAccumulation: 1, maxLength: 128 }, wasm);
    expect(fit).toMatchObject({ batchSize: 16, gradientAccumulation: 1 });
    expect(fit.note).toBeUndefined();
  });

  it('lowers bert-base at 16 × 512 on wasm to micro-batches that fit, keeping 16 examples a step', () => {
    const fit = fitBatchToMemory(BERT_BASE, { batchSize: 16, gradientAccumulation: 1, maxLength: 512 }, wasm);
    expect(fit.batchSize * fit.gradientAccumulation).toBe(16);
    expect(fit.batchSize).toBeLessThan(16);
    expect(fit.estimatedBytes).toBeLessThanOrEqual(fit.ceilingBytes!);
    expect(fit.ceilingBytes).toBeLessThan(WASM_HEAP_BYTES);
    // The largest such batch: twice it would not fit.
    const twice = estimateMemory(BERT_BASE, { batchSize: 2 * fit.batchSize, seqLength: 512, training: true });
    expect(twice.weightBytes + twice.activationBytes).toBeGreaterThan(fit.ceilingBytes!);
    expect(fit.note).toMatch(/16 × 512 tokens needs about [\d.]+ GiB, over the wasm heap's 4\.0 GiB.*micro-batches of \d+ with gradient accumulation \d+/);
  });

  it('keeps the examples per step with accumulation already set, and picks a divisor of the batch', () => {
    const fit = fitBatchToMemory(BERT_BASE, { batchSize: 12, gradientAccumulation: 3, maxLength: 128 }, wasm);
    expect(12 % fit.batchSize).toBe(0);
    expect(fit.batchSize * fit.gradientAccumulation).toBe(36);
  });

  it('leaves a batch that fits alone, and cpu (no fixed ceiling) alone', () => {
    const fits = fitBatchToMemory(BERT_BASE, { batchSize: 2, gradientAccumulation: 1, maxLength: 128 }, wasm);
    expect(fits).toMatchObject({ batchSize: 2, gradientAccumulation: 1 });
    expect(fits.note).toBeUndefined();
    const cpu = fitBatchToMemory(BERT_BASE, { batchSize: 64, gradientAccumulation: 1, maxLength: 512 }, memoryCeilingOf({ name: 'cpu' }));
    expect(cpu).toMatchObject({ batchSize: 64, gradientAccumulation: 1 });
    expect(cpu.ceilingBytes).toBeUndefined();
  });

  it('on WebGPU holds the widest activation against the largest buffer a kernel may bind', () => {
    const limits = { maxStorageBufferBindingSize: 128 * 2 ** 20, maxBufferSize: 2 ** 30 };
    const fit = fitBatchToMemory(BERT_BASE, { batchSize: 16, gradientAccumulation: 1, maxLength: 512 }, memoryCeilingOf({ name: 'webgpu', limits }));
    // Attention scores of 16 sequences: 16 · 12 heads · 512² · 4 B = 192 MiB > 128 MiB; of 8: 96 MiB (the feed-forward intermediate 8 · 512 · 3072 · 4 B = 48 MiB).
    expect(fit).toMatchObject({ batchSize: 8, gradientAccumulation: 2, ceilingBytes: 128 * 2 ** 20 });
  });

  it('refuses, saying what to change, when one sequence does not fit', () => {
    const refuse = () => fitBatchToMemory(XLMR_XL, { batchSize: 8, gradientAccumulation: 1, maxLength: 512 }, wasm);
    expect(refuse).toThrow(TrainingError);
    expect(refuse).toThrow(/facebook\/xlm-roberta-xl needs about [\d.]+ GiB to train even one sequence of 512 tokens on wasm, over the wasm heap's 4\.0 GiB.*Lower the max length, or train on WebGPU/);
    try {
      refuse();
    } catch (err) {
      expect((err as TrainingError).code).toBe('Memory');
    }
  });
});

interface TrackedBackend {
  move(dataId: object, values: unknown, shape: number[], dtype: tf.DataType, refCount: number): void;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Peak bytes of tensor buffers the wasm backend allocated during `run`, beyond those alive before it (counted at each allocation and release). */
async function peakTensorBytes(run: () => Promise<unknown>): Promise<number> {
  const backend = tf.backend() as unknown as TrackedBackend;
  const { move, disposeData } = backend;
  const sizes = new Map<object, number>();
  let live = 0;
  let peak = 0;
  backend.move = function (dataId, values, shape, dtype, refCount) {
    move.call(this, dataId, values, shape, dtype, refCount);
    const bytes = shape.reduce((a, b) => a * b, 1) * (dtype === 'bool' ? 1 : 4);
    sizes.set(dataId, bytes);
    live += bytes;
    peak = Math.max(peak, live);
  };
  backend.disposeData = function (dataId, force) {
    const released = disposeData.call(this, dataId, force);
    if (released && sizes.has(dataId)) {
      live -= sizes.get(dataId)!;
      sizes.delete(dataId);
    }
    return released;
  };
  try {
    await run();
  } finally {
    backend.move = move;
    backend.disposeData = disposeData;
  }
  return peak;
}

describe('the training estimate against a measured step (wasm, small bert)', () => {
  const config = parseEncoderConfig({ model_type: 'bert', hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 256, max_position_embeddings: 128, vocab_size: 500 }, 'test/small');

  it.each([[8, 32], [2, 128]])('batch %i × %i tokens: weights as laid out, and the step\'s peak within 15% of the estimate', async (batch, seq) => {
    expect((await initBackend('wasm')).name).toBe('wasm');
    const before = tf.memory().numBytes;
    const weights = uploadEncoderWeights(config, randomWeights(config, 1));
    const weightBytes = tf.memory().numBytes - before;
    const adapter = createAdapter(config, 'seq_bn[reduction_factor=16]', { name: 'm', seed: 1, head: { numLabels: 2, id2label: ['a', 'b'] } });
    const tokens: TokenBatch = {
      inputIds: Int32Array.from({ length: batch * seq }, (_, i) => 5 + ((i * 7919) % 490)),
      attentionMask: new Int32Array(batch * seq).fill(1),
      tokenTypeIds: new Int32Array(batch * seq),
      batch, seq,
      labels: Int32Array.from({ length: batch }, (_, i) => i % 2),
      realTokens: batch * seq,
    };
    const model = adapterTrainable(adapter, weights);
    const peak = await peakTensorBytes(() => train(model, { batchesPerEpoch: 1, async *trainBatches() { yield tokens; } }, { maxSteps: 1 }));
    adapter.dispose();
    weights.dispose();
    const estimate = estimateMemory(config, { batchSize: batch, seqLength: seq, training: true });
    // Tensors hold each weight once, in its stored layout; the GEMM (wasm-gemm.ts) packs nothing outside them.
    expect(weightBytes).toBe(estimate.weightBytes);
    expect(peak).toBeGreaterThan(0.85 * estimate.activationBytes);
    expect(peak).toBeLessThan(1.15 * estimate.activationBytes);
  });
});
