/**
 * adapter-studio/tiny-deberta end to end through the offline Hub: microsoft/deberta-base's layout (config.json with
 * pos_att_type "c2p|p2c", pytorch_model.bin with in_proj / q_bias / v_bias / pos_proj / pos_q_proj and an unused
 * position table, vocab.json + merges.txt with no tokenizer.json), the tfjs forward against the float64 oracle on the
 * checkpoint as downloaded.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offlineHub } from '../../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../../hub-server/index.ts';
import { estimateParameters } from './config.ts';
import { type LoadedEncoder, loadEncoder } from './load-encoder.ts';
import { debertaReferenceForward } from './testing/deberta-forward.reference.ts';
import { maxAbsDiff } from './test-support.ts';
import { readTorchBin } from './torch-bin-reader.ts';

const root = process.env.ADAPTER_STUDIO_FIXTURES!;
const ID = 'adapter-studio/tiny-deberta';
const file = (path: string) => readFileSync(join(root, 'models', ...ID.split('/'), 'files', path));
let server: RunningHubServer;
let encoder: LoadedEncoder;
beforeAll(async () => {
  await tf.setBackend('cpu');
  server = await startHubServer({ root, port: 0 });
  encoder = await loadEncoder(offlineHub(server.url), ID, { backend: 'cpu' });
});
afterAll(async () => {
  encoder?.dispose();
  await server?.close();
});

describe('tiny-deberta (microsoft/deberta-base layout)', () => {
  it('has deberta-base\'s files and checkpoint names', () => {
    const names = [...readTorchBin(file('pytorch_model.bin'), 'pytorch_model.bin').keys()];
    expect(names.filter((n) => n.startsWith('deberta.encoder.layer.0.attention.self.'))).toEqual([
      'deberta.encoder.layer.0.attention.self.q_bias', 'deberta.encoder.layer.0.attention.self.v_bias', 'deberta.encoder.layer.0.attention.self.in_proj.weight',
      'deberta.encoder.layer.0.attention.self.pos_proj.weight', 'deberta.encoder.layer.0.attention.self.pos_q_proj.weight', 'deberta.encoder.layer.0.attention.self.pos_q_proj.bias',
    ]);
    expect(names).toContain('deberta.encoder.rel_embeddings.weight');
    expect(names).toContain('deberta.embeddings.position_embeddings.weight');
    expect(JSON.parse(file('tokenizer_config.json').toString())).toEqual({ do_lower_case: false, vocab_type: 'gpt2' });
    expect(() => file('tokenizer.json')).toThrow();
  });

  it('reads config.json as deberta: c2p|p2c, max_relative_positions -1 → 128, no absolute positions, no types', () => {
    expect(encoder.config).toMatchObject({ family: 'deberta', modelType: 'deberta', weightPrefix: 'deberta', hiddenSize: 64, numLayers: 2, typeVocabSize: 0, layerNormEps: 1e-7, hasPooler: false });
    expect(encoder.config.disentangled).toMatchObject({ positionBiasedInput: false, relativeAttention: true, posAttTypes: ['c2p', 'p2c'], tableSpan: 128, positionBuckets: 0, spanFromSequence: true, inProj: true });
    // The checkpoint's own count: in_proj has no key bias.
    expect(encoder.info.parameters).toBe(estimateParameters(encoder.config));
    const checkpoint = readTorchBin(file('pytorch_model.bin'), 'pytorch_model.bin');
    const base = [...checkpoint].filter(([n]) => n.startsWith('deberta.') && !n.includes('position_embeddings')).reduce((sum, [, t]) => sum + t.shape.reduce((a, b) => a * b, 1), 0);
    expect(encoder.info.parameters).toBe(base);
    expect(encoder.info.tokenizerSource).toBe('vocab.json+merges.txt');
  });

  it('tokenizes as DebertaTokenizer from vocab.json + merges.txt: [CLS] x [SEP], [CLS] a [SEP] b [SEP], [PAD] 0', () => {
    const tok = encoder.tokenizer;
    const ids = Array.from(tok.encode(['the film was superb']).inputIds);
    expect([ids[0], ids.at(-1)]).toEqual([1, 2]);
    expect(ids).not.toContain(3);
    const pair = Array.from(tok.encode(['the film'], ['it was dull']).inputIds);
    expect(pair.flatMap((id, i) => (id === 2 ? [i] : []))).toEqual([pair.indexOf(2), pair.length - 1]);
    expect(pair.filter((id) => id === 1)).toHaveLength(1);
    const padded = tok.encode(['dull', 'the film was superb']);
    const pads = Array.from(padded.inputIds.subarray(0, padded.seq)).filter((_, s) => padded.attentionMask[s] === 0);
    expect(pads.length).toBeGreaterThan(0);
    expect(pads).toEqual(pads.map(() => 0));
  });

  it('forward agrees with the float64 oracle on the downloaded checkpoint within 1e-4 (padded singles, pairs)', () => {
    const checkpoint = readTorchBin(file('pytorch_model.bin'), 'pytorch_model.bin');
    const config = JSON.parse(file('config.json').toString()) as Record<string, unknown>;
    const tensor = (name: string) => checkpoint.get(name)?.toFloat32();
    const long = 'the film was superb and the cast was excellent and the story was moving';
    for (const batch of [encoder.tokenizer.encode([long, 'dull']), encoder.tokenizer.encode(['the film', 'very superb'], [long, 'love'])]) {
      expect(batch.attentionMask).toContain(0);
      const out = encoder.forward(batch);
      const got = out.lastHiddenState.dataSync();
      tf.dispose(out as unknown as tf.TensorContainer);
      expect(maxAbsDiff(got, debertaReferenceForward(config, tensor, 'deberta.', batch).lastHiddenState)).toBeLessThan(1e-4);
    }
  });
});
