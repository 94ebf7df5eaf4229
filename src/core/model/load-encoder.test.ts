/**
 * End to end through the offline Hub over HTTP: every fixture architecture loaded with loadEncoder and run
 * on the tfjs cpu backend, checked against the float64 reference forward on the same downloaded weights.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubEndpoint, offlineHub } from '../../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../../hub-server/index.ts';
import { INITIALIZER_RANGE, initialValues } from '../../fixtures/model-weights.ts';
import { estimateParameters } from './config.ts';
import type { EncoderOutput } from './encoder.ts';
import { type LoadProgress, type LoadedEncoder, loadEncoder } from './load-encoder.ts';
import { referenceForward } from './testing/encoder-forward.reference.ts';
import { maxAbsDiff } from './test-support.ts';
import type { EncodedBatch } from './tokenizer.ts';
import { type HostWeights, loadEncoderWeights } from './weights.ts';

const root = process.env.ADAPTER_STUDIO_FIXTURES!;
let server: RunningHubServer;
let ep: HubEndpoint;
beforeAll(async () => {
  await tf.setBackend('cpu');
  server = await startHubServer({ root, port: 0 });
  ep = offlineHub(server.url);
});
afterAll(async () => server?.close());

/** Batches every model is checked on: two single texts of different lengths, and two sentence pairs. */
function batches(encoder: LoadedEncoder): [string, EncodedBatch][] {
  return [
    ['padded singles', encoder.tokenizer.encode(['the film was superb and the cast was excellent', 'dull'])],
    ['pairs', encoder.tokenizer.encode(['the film', 'very superb'], ['it was very dull and boring and the cast was excellent', 'love'])],
  ];
}

function outputs(out: EncoderOutput) {
  const arrays = { last: out.lastHiddenState.dataSync(), first: out.firstToken.dataSync(), pooled: out.pooled?.dataSync() };
  tf.dispose(out as unknown as tf.TensorContainer);
  return arrays;
}

const ARCHITECTURES = ['tiny-bert', 'tiny-roberta', 'tiny-distilbert', 'tiny-electra', 'tiny-xlm-roberta', 'tiny-bert-sharded'];
const errors: string[] = [];
afterAll(() => console.log(`max-abs error, tfjs cpu vs float64 reference:\n${errors.join('\n')}`));

describe('loadEncoder over HTTP: tfjs forward vs float64 reference within 1e-4', () => {
  for (const name of ARCHITECTURES) {
    it(name, async () => {
      const id = `adapter-studio/${name}`;
      const started = performance.now();
      const encoder = await loadEncoder(ep, id, { backend: 'cpu' });
      const loadMs = performance.now() - started;
      const { tensors } = await loadEncoderWeights(ep, id, { config: encoder.config });
      try {
        expect(encoder.info.parameters).toBe(estimateParameters(encoder.config));
        for (const [label, batch] of batches(encoder)) {
          expect(batch.attentionMask).toContain(0); // each batch has padding
          const t0 = performance.now();
          const got = outputs(encoder.forward(batch));
          const forwardMs = performance.now() - t0;
          const want = referenceForward(encoder.config, tensors, batch);
          const last = maxAbsDiff(got.last, want.lastHiddenState);
          const first = maxAbsDiff(got.first, want.firstToken);
          const pooled = got.pooled && want.pooled ? maxAbsDiff(got.pooled, want.pooled) : undefined;
          errors.push(`${name.padEnd(18)} ${label.padEnd(15)} last ${last.toExponential(2)}  first ${first.toExponential(2)}  pooled ${pooled?.toExponential(2) ?? '—'}  (load ${loadMs.toFixed(0)} ms, forward ${forwardMs.toFixed(1)} ms, [${batch.batch}×${batch.seq}])`);
          expect(last).toBeLessThan(1e-4);
          expect(first).toBeLessThan(1e-4);
          expect(got.pooled === undefined).toBe(!encoder.config.hasPooler);
          if (pooled !== undefined) expect(pooled).toBeLessThan(1e-4);
        }
      } finally {
        encoder.dispose();
      }
    });
  }

  it('loads the pooler exactly when the checkpoint has one', async () => {
    const has = async (id: string) => (await loadEncoderWeights(ep, `adapter-studio/${id}`)).config.hasPooler;
    expect(await has('tiny-bert')).toBe(true);
    expect(await has('tiny-bert-sharded')).toBe(true);
    expect(await has('tiny-roberta')).toBe(false);
  });
});

describe('weights arrive with the values the fixture generator wrote', () => {
  // The generator seeds each tensor by model_type and its checkpoint name (src/fixtures/model-weights.ts):
  // embedding tables N(0, 0.02), linear weights N(0, 1/fan_in). (Word embeddings also get word meanings added.)
  // [repo, model_type, checkpoint name, canonical name, zeroed padding row of an embedding table]
  const cases: [string, string, string, string, number?][] = [
    ['tiny-bert', 'bert', 'bert.encoder.layer.1.attention.self.key.weight', 'encoder.layer.1.attention.self.key.weight'],
    ['tiny-bert', 'bert', 'bert.embeddings.token_type_embeddings.weight', 'embeddings.token_type_embeddings.weight'],
    ['tiny-bert-sharded', 'bert', 'encoder.layer.1.output.dense.weight', 'encoder.layer.1.output.dense.weight'],
    ['tiny-bert-bin', 'bert', 'bert.encoder.layer.0.intermediate.dense.weight', 'encoder.layer.0.intermediate.dense.weight'],
    ['tiny-distilbert', 'distilbert', 'distilbert.transformer.layer.1.attention.out_lin.weight', 'encoder.layer.1.attention.output.dense.weight'],
    ['tiny-distilbert', 'distilbert', 'distilbert.transformer.layer.0.ffn.lin2.weight', 'encoder.layer.0.output.dense.weight'],
    ['tiny-roberta', 'roberta', 'roberta.embeddings.position_embeddings.weight', 'embeddings.position_embeddings.weight', 1],
    ['tiny-electra', 'electra', 'electra.embeddings_project.weight', 'embeddings_project.weight'],
  ];
  for (const [repo, modelType, original, canonical, paddingRow] of cases) {
    it(`${repo}: ${original} → ${canonical}`, async () => {
      const { tensors } = await loadEncoderWeights(ep, `adapter-studio/${repo}`);
      const tensor = tensors.get(canonical)!;
      const std = /embeddings\.\w+_embeddings/.test(original) ? INITIALIZER_RANGE : 1 / Math.sqrt(tensor.shape[1]);
      const expected = initialValues({ name: original, shape: tensor.shape, init: { kind: 'normal', std, paddingRow } }, modelType);
      expect(tensor.data).toEqual(expected);
    });
  }
});

describe('dtype and layout variants of tiny-bert', () => {
  let reference: { tensors: HostWeights; out: ReturnType<typeof outputs>; batch: EncodedBatch };
  beforeAll(async () => {
    const encoder = await loadEncoder(ep, 'adapter-studio/tiny-bert');
    const batch = encoder.tokenizer.encode(['the film was superb', 'dull'], ['it was boring', 'love it']);
    reference = { tensors: (await loadEncoderWeights(ep, 'adapter-studio/tiny-bert')).tensors, out: outputs(encoder.forward(batch)), batch };
    encoder.dispose();
  });

  /** Half an ulp of the dtype at |x| (round to nearest even), with the dtype's subnormal floor. */
  const halfUlp = { F16: (x: number) => Math.max(Math.abs(x) * 2 ** -11, 2 ** -25), BF16: (x: number) => Math.abs(x) * 2 ** -8 + 2 ** -134, F32: () => 0 };
  const variants: [string, 'F16' | 'BF16' | 'F32', number][] = [
    ['tiny-bert-fp16', 'F16', 5e-3],
    ['tiny-bert-bf16', 'BF16', 5e-2],
    ['tiny-bert-bin', 'F32', 0],
  ];
  for (const [repo, dtype, tolerance] of variants) {
    it(`${repo}: weights are tiny-bert's rounded to ${dtype}, outputs agree within ${tolerance}`, async () => {
      const loaded = await loadEncoderWeights(ep, `adapter-studio/${repo}`);
      expect(loaded.dtypes).toEqual([dtype]);
      expect(loaded.format).toBe(repo.endsWith('bin') ? 'pytorch' : 'safetensors');
      for (const [name, tensor] of reference.tensors) {
        const other = loaded.tensors.get(name)!;
        expect(other.shape).toEqual(tensor.shape);
        for (let i = 0; i < tensor.data.length; i++) {
          if (Math.abs(other.data[i] - tensor.data[i]) > halfUlp[dtype](tensor.data[i])) {
            throw new Error(`${repo} ${name}[${i}] = ${other.data[i]}, tiny-bert has ${tensor.data[i]}`);
          }
        }
      }
      const encoder = await loadEncoder(ep, `adapter-studio/${repo}`);
      const out = outputs(encoder.forward(reference.batch));
      encoder.dispose();
      const diffs = [maxAbsDiff(out.last, reference.out.last), maxAbsDiff(out.first, reference.out.first), maxAbsDiff(out.pooled!, reference.out.pooled!)];
      errors.push(`${repo.padEnd(18)} vs tiny-bert      last ${diffs[0].toExponential(2)}  first ${diffs[1].toExponential(2)}  pooled ${diffs[2].toExponential(2)}`);
      for (const d of diffs) expect(d).toBeLessThanOrEqual(tolerance);
    });
  }
});

describe('progress and info', () => {
  it('reports stages and weight bytes up to the file size, and fills info', async () => {
    const progress: LoadProgress[] = [];
    const encoder = await loadEncoder(ep, 'adapter-studio/tiny-bert-sharded', { onProgress: (p) => progress.push(p) });
    encoder.dispose();
    expect(progress.map((p) => p.stage).filter((s, i, all) => s !== all[i - 1])).toEqual(['config', 'tokenizer', 'weights', 'upload', 'ready']);
    const weights = progress.filter((p) => p.stage === 'weights' && p.file);
    const last = weights[weights.length - 1];
    expect(last.loaded).toBe(last.total);
    expect(new Set(weights.map((p) => p.file))).toEqual(new Set(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']));
    expect(encoder.info).toMatchObject({ format: 'safetensors-sharded', downloadBytes: last.total, networkBytes: last.total, dtypes: ['F32'], backend: 'cpu' });
    expect(encoder.info.files).toEqual(['model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
  });
});
