/**
 * ALBERT: the layer schedule of num_hidden_groups / inner_group_num, checkpoint names to the canonical ones,
 * and the tfjs forward against the float64 oracle of modeling_albert.py (testing/albert-forward.reference.ts,
 * which reads config.json and the checkpoint's own names) on a synthetic checkpoint with two groups of two
 * layers, and on the tiny-albert fixture over HTTP with its spiece.model.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchBytes, fileUrl } from '../../hub/client.ts';
import { type HubEndpoint, offlineHub } from '../../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../../hub-server/index.ts';
import { writeRepo } from '../../hub-server/test-hub.ts';
import { seededRandom } from '../random.ts';
import { parseEncoderConfig } from './config.ts';
import { type EncoderOutput, encoderForward, uploadEncoderWeights } from './encoder.ts';
import { layerModules } from './families/index.ts';
import { loadEncoder } from './load-encoder.ts';
import { readSafetensors } from './safetensors.ts';
import type { StoredTensors } from './stored-tensor.ts';
import { type AlbertCheckpoint, albertReferenceForward } from './testing/albert-forward.reference.ts';
import { maxAbsDiff, testBatch } from './test-support.ts';
import { loadTokenizer } from './tokenizer.ts';
import { canonicalTensorName, selectEncoderTensors } from './weights.ts';

const TINY = { model_type: 'albert', hidden_size: 12, embedding_size: 8, num_attention_heads: 3, intermediate_size: 20, max_position_embeddings: 20, vocab_size: 30 };

describe('ALBERT layer sharing (AlbertTransformer.forward: group int(i / (num_hidden_layers / num_hidden_groups)), then its inner layers)', () => {
  // [num_hidden_layers, num_hidden_groups, inner_group_num, the modules run in order (by hand from the formula)]
  const cases: [number, number, number, number[]][] = [
    [12, 1, 1, Array(12).fill(0)], // albert-base-v2: one AlbertLayer run 12 times
    [3, 2, 2, [0, 1, 0, 1, 2, 3]], // i = 0, 1 → group 0 (0/1.5, 1/1.5); i = 2 → group 1
    [4, 2, 1, [0, 0, 1, 1]],
    [2, 4, 1, [0, 2]], // more groups than layers: groups 1 and 3 exist but never run
    [2, 1, 3, [0, 1, 2, 0, 1, 2]],
  ];
  for (const [layers, groups, inner, runs] of cases) {
    it(`${layers} layers, ${groups} group(s) of ${inner}: modules ${runs.join(' ')}`, () => {
      const config = parseEncoderConfig({ ...TINY, num_hidden_layers: layers, num_hidden_groups: groups, inner_group_num: inner }, 'test/albert');
      const modules = layerModules(config);
      expect(modules.runs).toEqual(runs);
      // The adapters library's iter_layers: every group's layers in order, numbered 0 … groups·inner − 1.
      expect(modules.paths).toEqual(Array.from({ length: groups * inner }, (_, m) => `encoder.albert_layer_groups.${Math.floor(m / inner)}.albert_layers.${m % inner}`));
    });
  }

  it('keeps every other family at one module a layer', () => {
    const bert = parseEncoderConfig({ model_type: 'bert', hidden_size: 12, num_attention_heads: 3, num_hidden_layers: 3 }, 'test/bert');
    expect(layerModules(bert)).toEqual({ paths: ['encoder.layer.0', 'encoder.layer.1', 'encoder.layer.2'], runs: [0, 1, 2] });
  });
});

describe('ALBERT checkpoint names', () => {
  const config = parseEncoderConfig({ ...TINY, num_hidden_layers: 3, num_hidden_groups: 2, inner_group_num: 2 }, 'test/albert');
  const cases: [string, string | undefined][] = [
    ['albert.embeddings.word_embeddings.weight', 'embeddings.word_embeddings.weight'],
    ['albert.embeddings.LayerNorm.weight', 'embeddings.LayerNorm.weight'],
    ['albert.encoder.embedding_hidden_mapping_in.weight', 'embeddings_project.weight'],
    ['albert.encoder.albert_layer_groups.0.albert_layers.1.attention.query.weight', 'encoder.layer.1.attention.self.query.weight'],
    ['albert.encoder.albert_layer_groups.1.albert_layers.0.attention.key.bias', 'encoder.layer.2.attention.self.key.bias'],
    ['albert.encoder.albert_layer_groups.1.albert_layers.1.attention.value.weight', 'encoder.layer.3.attention.self.value.weight'],
    ['albert.encoder.albert_layer_groups.1.albert_layers.1.attention.dense.weight', 'encoder.layer.3.attention.output.dense.weight'],
    ['albert.encoder.albert_layer_groups.0.albert_layers.0.attention.LayerNorm.bias', 'encoder.layer.0.attention.output.LayerNorm.bias'],
    ['albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight', 'encoder.layer.0.intermediate.dense.weight'],
    ['albert.encoder.albert_layer_groups.0.albert_layers.0.ffn_output.bias', 'encoder.layer.0.output.dense.bias'],
    ['albert.encoder.albert_layer_groups.1.albert_layers.0.full_layer_layer_norm.weight', 'encoder.layer.2.output.LayerNorm.weight'],
    ['albert.pooler.weight', 'pooler.dense.weight'],
    // AlbertModel saved bare (no prefix).
    ['encoder.albert_layer_groups.0.albert_layers.1.ffn.bias', 'encoder.layer.1.intermediate.dense.bias'],
    // An inner layer beyond inner_group_num, the MLM and sentence-order heads: not the encoder's.
    ['albert.encoder.albert_layer_groups.0.albert_layers.2.ffn.weight', undefined],
    ['predictions.dense.weight', undefined],
    ['sop_classifier.classifier.weight', undefined],
  ];
  for (const [stored, canonical] of cases) {
    it(`${stored} → ${canonical ?? '(ignored)'}`, () => expect(canonicalTensorName(stored, config)).toBe(canonical));
  }
});

/** Every tensor of an AlbertModel checkpoint under its stored name, with seeded values in every term. */
function albertCheckpoint(json: Record<string, number | string>, seed: number): Map<string, { shape: number[]; data: Float32Array }> {
  const random = seededRandom(seed);
  const H = json.hidden_size as number;
  const E = json.embedding_size as number;
  const I = json.intermediate_size as number;
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  const put = (name: string, shape: number[], centre: number, scale: number) => {
    out.set(name, { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => centre + scale * (2 * random() - 1)) });
  };
  const linear = (name: string, outputs: number, inputs: number) => { put(`${name}.weight`, [outputs, inputs], 0, 1.5 / Math.sqrt(inputs)); put(`${name}.bias`, [outputs], 0, 0.5); };
  const norm = (name: string, width: number) => { put(`${name}.weight`, [width], 1, 0.5); put(`${name}.bias`, [width], 0, 0.5); };
  put('albert.embeddings.word_embeddings.weight', [json.vocab_size as number, E], 0, 1);
  put('albert.embeddings.position_embeddings.weight', [json.max_position_embeddings as number, E], 0, 1);
  put('albert.embeddings.token_type_embeddings.weight', [2, E], 0, 1);
  norm('albert.embeddings.LayerNorm', E);
  linear('albert.encoder.embedding_hidden_mapping_in', H, E);
  for (let g = 0; g < ((json.num_hidden_groups as number | undefined) ?? 1); g++) {
    for (let j = 0; j < ((json.inner_group_num as number | undefined) ?? 1); j++) {
      const p = `albert.encoder.albert_layer_groups.${g}.albert_layers.${j}`;
      norm(`${p}.full_layer_layer_norm`, H);
      for (const m of ['query', 'key', 'value', 'dense']) linear(`${p}.attention.${m}`, H, H);
      norm(`${p}.attention.LayerNorm`, H);
      linear(`${p}.ffn`, I, H);
      linear(`${p}.ffn_output`, H, I);
    }
  }
  linear('albert.pooler', H, H);
  return out;
}

const stored = (checkpoint: AlbertCheckpoint): StoredTensors => new Map([...checkpoint].map(([name, t]) => [name, { dtype: 'F32', shape: t.shape, toFloat32: () => Float32Array.from(t.data) }]));

function outputs(out: EncoderOutput) {
  const result = { last: out.lastHiddenState.dataSync(), pooled: out.pooled?.dataSync() };
  tf.dispose(out as unknown as tf.TensorContainer);
  return result;
}

describe('ALBERT forward: tfjs vs the float64 modeling_albert oracle within 1e-4', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await tf.ready();
  });

  const variants: [string, Record<string, number | string>][] = [
    ['2 groups of 2 layers, 3 layers (modules 0 1 0 1 2 3), gelu_new', { ...TINY, num_hidden_layers: 3, num_hidden_groups: 2, inner_group_num: 2 }],
    ['one shared layer run 4 times, embedding as wide as hidden (the mapping still runs), gelu', { ...TINY, embedding_size: 12, num_hidden_layers: 4, hidden_act: 'gelu' }],
  ];
  for (const [label, json] of variants) {
    it(label, () => {
      const config = parseEncoderConfig(json, 'test/albert');
      const checkpoint = albertCheckpoint(json, 5);
      const selected = selectEncoderTensors(stored(checkpoint), { ...config }, 'synthetic');
      expect(selected.hasPooler).toBe(true);
      const weights = uploadEncoderWeights(config, selected.tensors);
      const batch = testBatch(config);
      try {
        const got = outputs(encoderForward(weights, batch));
        const want = albertReferenceForward(json, checkpoint, batch);
        expect(want.schedule.map(([g, j]) => g * ((json.inner_group_num as number | undefined) ?? 1) + j)).toEqual(layerModules(config).runs);
        expect(maxAbsDiff(got.last, want.lastHiddenState)).toBeLessThan(1e-4);
        expect(maxAbsDiff(got.pooled!, want.pooled!)).toBeLessThan(1e-4);
      } finally {
        weights.dispose();
      }
    });
  }
});

/**
 * AlbertTokenizer (the slow one) on Google's sentencepiece, transcribed from tokenization_albert.py: preprocess_text
 * (remove_space, `` and '' → ", NFKD without combining marks, lower case), sp.encode, the digit + "," piece split,
 * then [CLS] (id 2) … [SEP] (id 3). Prints the ids of each text as JSON.
 */
const SLOW_ALBERT = `
import json, sys, unicodedata
import sentencepiece as spm
sp = spm.SentencePieceProcessor()
sp.Load(sys.argv[1])
def prepare(text):
    text = " ".join(text.strip().split()).replace("\`\`", '"').replace("''", '"')
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text.lower()
def ids(text):
    pieces = []
    for piece in sp.encode(prepare(text), out_type=str):
        if len(piece) > 1 and piece[-1] == "," and piece[-2].isdigit():
            parts = sp.EncodeAsPieces(piece[:-1].replace("\u2581", ""))
            if piece[0] != "\u2581" and parts[0][0] == "\u2581":
                parts = parts[1:] if len(parts[0]) == 1 else [parts[0][1:]] + parts[1:]
            pieces += parts + [piece[-1]]
        else:
            pieces.append(piece)
    return [2] + [sp.PieceToId(p) for p in pieces] + [3]
print(json.dumps([ids(t) for t in json.loads(sys.argv[2])]))
`;

/** A Python with Google's sentencepiece (Debian's python3-sentencepiece), or null. */
function sentencepiecePython(): string | null {
  for (const candidate of [process.env.PYTHON, 'python3', '/usr/bin/python3']) {
    if (candidate && spawnSync(candidate, ['-c', 'import sentencepiece'], { encoding: 'utf8' }).status === 0) return candidate;
  }
  return null;
}

describe('tiny-albert over HTTP (model.safetensors, spiece.model)', () => {
  let server: RunningHubServer;
  let ep: HubEndpoint;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    server = await startHubServer({ root: process.env.ADAPTER_STUDIO_FIXTURES!, port: 0 });
    ep = offlineHub(server.url);
  });
  afterAll(async () => server?.close());

  const file = (name: string) => fetchBytes(ep, fileUrl(ep, { type: 'model', id: 'adapter-studio/tiny-albert' }, name));

  it('runs as the oracle does on the repo\'s own config.json and checkpoint names, [CLS] A [SEP] B [SEP] with B typed 1', async () => {
    const encoder = await loadEncoder(ep, 'adapter-studio/tiny-albert', { backend: 'cpu' });
    try {
      expect(encoder.config).toMatchObject({ family: 'albert', numLayers: 3, embeddingSize: 32, hiddenSize: 64, hasPooler: true, layerSharing: { numHiddenGroups: 1, innerGroupNum: 1 } });
      expect(layerModules(encoder.config).runs).toEqual([0, 0, 0]);
      const json = JSON.parse(new TextDecoder().decode(await file('config.json'))) as Record<string, unknown>;
      const checkpoint: AlbertCheckpoint = new Map([...readSafetensors(await file('model.safetensors'), 'model.safetensors')].map(([name, t]) => [name, { shape: t.shape, data: t.toFloat32() }]));
      const batch = encoder.tokenizer.encode(['the film', 'very superb'], ['it was very dull and boring', 'love']);
      // spiece.model numbers <pad> <unk> [CLS] [SEP] [MASK] 0-4, as albert-base-v2's does; row 0 is the longest pair.
      expect([batch.inputIds[0], batch.tokenTypeIds[0], batch.inputIds[batch.seq - 1], batch.tokenTypeIds[batch.seq - 1]]).toEqual([2, 0, 3, 1]);
      const got = outputs(encoder.forward(batch));
      const want = albertReferenceForward(json, checkpoint, batch);
      expect(maxAbsDiff(got.last, want.lastHiddenState)).toBeLessThan(1e-4);
      expect(maxAbsDiff(got.pooled!, want.pooled!)).toBeLessThan(1e-4);
    } finally {
      encoder.dispose();
    }
  });

  const python = sentencepiecePython();
  it.skipIf(!python)('encodes as AlbertTokenizer on Google\'s sentencepiece does (tokenizer.json; the next test ties spiece.model to it)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-spm-'));
    try {
      writeFileSync(join(dir, 'spiece.model'), await file('spiece.model'));
      const texts = [
        'the film was superb and the cast was excellent', 'It was DULL, boring and far too long.', 'Café  naïve   résumé', '``Quoted\'\' words and an unseenword xyzzy',
        'A 10-minute scene, 3 stars: 1,000 people walked out!', 'the movies were loved by everyone', 'ÉLAN   über straße',
      ];
      const want = JSON.parse(spawnSync(python!, ['-c', SLOW_ALBERT, join(dir, 'spiece.model'), JSON.stringify(texts)], { encoding: 'utf8' }).stdout) as number[][];
      const fast = await loadTokenizer(ep, 'adapter-studio/tiny-albert');
      const got = texts.map((t) => [...fast.encode([t]).inputIds]);
      expect(got).toEqual(want);
      // "ß" has no piece and no decomposition: <unk> (id 1) on both sides.
      expect(want.at(-1)).toContain(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tokenizes from spiece.model alone (AlbertConverter: lower case, accents and `` \'\' folded) as its tokenizer.json does', async () => {
    const root = mkdtempSync(join(tmpdir(), 'albert-spiece-'));
    const names = ['config.json', 'spiece.model', 'tokenizer_config.json', 'special_tokens_map.json'];
    writeRepo(root, 'models', 'test/albert-spiece-only', undefined, Object.fromEntries(await Promise.all(names.map(async (n) => [n, await file(n)] as const))));
    const slowServer = await startHubServer({ root, port: 0 });
    try {
      const slow = await loadTokenizer(offlineHub(slowServer.url), 'test/albert-spiece-only');
      const fast = await loadTokenizer(ep, 'adapter-studio/tiny-albert');
      expect([slow.source, fast.source]).toEqual(['spiece.model', 'tokenizer.json']);
      const texts = ['The FILM was Superb!', 'Café  naïve   ``quoted\'\' words', 'unseenword xyzzy, 1,000 [MASK] films', 'the cast [SEP] was excellent'];
      const pairs = ['it was dull', 'LOVE it', 'great', 'no'];
      const encoded = (tok: typeof slow) => { const e = tok.encode(texts, pairs); return [[...e.inputIds], [...e.tokenTypeIds], [...e.attentionMask]]; };
      expect(encoded(slow)).toEqual(encoded(fast));
      expect(fast.tokenize('Café  naïve')).toEqual(slow.tokenize('Café  naïve'));
      expect(fast.tokenize('Café')).toEqual(fast.tokenize('cafe'));
    } finally {
      await slowServer.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
