/**
 * The Data step on token-tagged data: detection from conll2003's and wnut_17's features (tokens List(string),
 * ner_tags List(ClassLabel)) and from JSON Lines with tag names, the reason it says, rows skipped for tags that do
 * not fit, tiny-ner on the offline Hub by parquet and by /rows, its batches' aligned labels; then the evaluation:
 * a model whose logits name chosen tags gets seqeval's scores worked out by hand.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubEndpoint, offlineHub } from '../../../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../../../hub-server/index.ts';
import type { Batch } from '../../data/batching.ts';
import { detectMapping } from '../../data/column-mapping.ts';
import { columnsOfFeatures, inferColumns } from '../../data/columns.ts';
import { inspectDataset } from '../../data/dataset-report.ts';
import { type Example, RowMapper } from '../../data/examples.ts';
import { openHubDataset } from '../../data/hub-dataset.ts';
import { localDataset, parseLocalFile } from '../../data/local-files.ts';
import { loadTokenizer } from '../../model/tokenizer.ts';
import { evaluate } from '../../train/evaluate.ts';
import type { TrainableModel } from '../../train/trainable-model.ts';
import { IGNORE } from './align.ts';
import { tagBatches } from './tag-batches.ts';

let server: RunningHubServer;
let ep: HubEndpoint;
beforeAll(async () => {
  await tf.setBackend('cpu');
  server = await startHubServer({ root: process.env.ADAPTER_STUDIO_FIXTURES!, port: 0 });
  ep = offlineHub(server.url);
});
afterAll(async () => server?.close());

const CONLL_TAGS = ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC'];
// eriktks/conll2003's features as the viewer's /info gives them (datasets 2: Sequence).
const CONLL_FEATURES = {
  id: { dtype: 'string', _type: 'Value' },
  tokens: { feature: { dtype: 'string', _type: 'Value' }, _type: 'Sequence' },
  pos_tags: { feature: { names: ['"', "''", '#', '$', '(', ')', ',', '.', ':', '``', 'CC', 'NN'], _type: 'ClassLabel' }, _type: 'Sequence' },
  chunk_tags: { feature: { names: ['O', 'B-ADJP', 'I-ADJP', 'B-NP', 'I-NP'], _type: 'ClassLabel' }, _type: 'Sequence' },
  ner_tags: { feature: { names: CONLL_TAGS, _type: 'ClassLabel' }, _type: 'Sequence' },
};
const ROW = { id: '0', tokens: ['EU', 'rejects', 'German', 'call'], pos_tags: [11, 11, 11, 11], chunk_tags: [3, 0, 3, 4], ner_tags: [3, 0, 7, 0] };

describe('detecting token classification', () => {
  it('reads conll2003\'s features: ner_tags over pos_tags and chunk_tags, its ClassLabel names, and says why', () => {
    const mapping = detectMapping('eriktks/conll2003', columnsOfFeatures(CONLL_FEATURES), [ROW]);
    expect(mapping).toMatchObject({ text: 'tokens', label: 'ner_tags', labelKind: 'tags', task: 'tokenClassification', labelNames: CONLL_TAGS });
    expect(mapping.reasons.label).toBe('"ner_tags" holds one tag per word (Sequence(ClassLabel) of 9 names): token classification, as conll2003');
    expect(mapping.reasons.text).toBe('"tokens" holds a list of words per row (Sequence(Value(string)))');
    const mapper = new RowMapper(mapping);
    expect(mapper.map(ROW, 4)).toEqual({ text: 'EU rejects German call', label: 0, row: 4, words: ['EU', 'rejects', 'German', 'call'], tags: [3, 0, 7, 0] });
    // Tags that do not fit: one too few, an id past the names; no words at all.
    expect(mapper.map({ ...ROW, ner_tags: [3, 0, 7] }, 5)).toBeUndefined();
    expect(mapper.map({ ...ROW, ner_tags: [3, 0, 9, 0] }, 6)).toBeUndefined();
    expect(mapper.map({ ...ROW, tokens: [] }, 7)).toBeUndefined();
    expect(mapper.stats.skipped).toMatchObject({ tagCount: 1, unknownLabel: 1, missingText: 1 });
    // The tagger's other lists are the user's choice.
    expect(detectMapping('eriktks/conll2003', columnsOfFeatures(CONLL_FEATURES), [ROW], { label: 'chunk_tags' }).labelNames).toEqual(['O', 'B-ADJP', 'I-ADJP', 'B-NP', 'I-NP']);
  });

  it('reads wnut_17 (datasets 4 List features, even with no sample rows) and JSON Lines with tag names', async () => {
    const wnutTags = ['O', 'B-corporation', 'I-corporation', 'B-creative-work', 'I-creative-work', 'B-group', 'I-group', 'B-location', 'I-location', 'B-person', 'I-person', 'B-product', 'I-product'];
    const wnut = {
      id: { dtype: 'string', _type: 'Value' },
      tokens: { feature: { dtype: 'string', _type: 'Value' }, _type: 'List' },
      ner_tags: { feature: { names: wnutTags, _type: 'ClassLabel' }, _type: 'List' },
    };
    expect(detectMapping('leondz/wnut_17', columnsOfFeatures(wnut), [])).toMatchObject({ task: 'tokenClassification', labelNames: wnutTags });
    const jsonl = [
      { words: ['Anna', 'lives', 'in', 'Oslo'], tags: ['B-PER', 'O', 'O', 'B-LOC'] },
      { words: ['Bo', 'Li'], tags: ['B-PER', 'I-PER'] },
    ].map((r) => JSON.stringify(r)).join('\n');
    const report = await inspectDataset(localDataset(await parseLocalFile(new TextEncoder().encode(jsonl), 'ner.jsonl')));
    // Names from the rows: "O" first, then by type with B- before I-.
    expect(report.mapping).toMatchObject({ text: 'words', label: 'tags', task: 'tokenClassification', labelNames: ['O', 'B-LOC', 'B-PER', 'I-PER'] });
    expect(report.preview.examples[1]).toMatchObject({ words: ['Bo', 'Li'], tags: [2, 3] });
    expect(report.preview.labelCounts).toEqual([{ id: 0, name: 'O', count: 2 }, { id: 1, name: 'B-LOC', count: 1 }, { id: 2, name: 'B-PER', count: 2 }, { id: 3, name: 'I-PER', count: 1 }]);
  });

  it('leaves other shapes alone: a sentence with a list of labels per row is no tagging task', () => {
    // A plain text with a list of labels is multi-label classification (tasks/multi-label), not tagging.
    const rows = [{ text: 'a b c', labels: ['x', 'y'] }];
    expect(detectMapping('x', inferColumns(rows), rows).task).toBe('multiLabel');
    const mismatched = [{ tokens: ['a', 'b'], tags: ['O'] }];
    expect(() => detectMapping('x', inferColumns(mismatched), mismatched)).toThrow();
  });

  it('inspects tiny-ner on the offline Hub, by parquet and by the viewer\'s /rows', async () => {
    for (const source of ['parquet', 'rows'] as const) {
      const report = await inspectDataset(await openHubDataset(ep, 'adapter-studio/tiny-ner', { source }));
      expect(report.mapping, source).toMatchObject({ text: 'tokens', label: 'ner_tags', task: 'tokenClassification', labelNames: CONLL_TAGS });
      expect(report.columns.map((c) => c.type)).toEqual(['Value(string)', 'List(Value(string))', 'List(ClassLabel)']);
      const [first] = report.preview.examples;
      expect(first.words!.length).toBe(first.tags!.length);
      expect(first.text).toBe(first.words!.join(' '));
      expect(report.plan.validation.split).toBe('validation');
    }
  });
});

describe('token-classification batches and evaluation', () => {
  it('batches aligned labels with −100 on pieces, specials and padding', async () => {
    const tokenizer = await loadTokenizer(ep, 'adapter-studio/tiny-bert');
    const examples: Example[] = [
      { text: '', label: 0, row: 0, words: ['the', 'mayor'], tags: [0, 1] },
      { text: '', label: 0, row: 1, words: ['maria'], tags: [1] },
    ];
    const source = (async function* () { yield* examples; })();
    const batches: Batch[] = [];
    for await (const b of tagBatches(source, tokenizer, { batchSize: 2, maxLength: 16, tagNames: CONLL_TAGS, bucketing: false })) batches.push(b);
    expect(batches).toHaveLength(1);
    const [batch] = batches;
    // Row 0: [CLS] the mayor [SEP] pad pad pad; row 1: [CLS] m ##a ##r ##i ##a [SEP].
    expect(batch.seq).toBe(7);
    expect([...batch.labels]).toEqual([IGNORE, 0, 1, IGNORE, IGNORE, IGNORE, IGNORE, IGNORE, 1, IGNORE, IGNORE, IGNORE, IGNORE, IGNORE]);
    expect([...batch.attentionMask]).toEqual([1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
    expect(batch.tagNames).toBe(CONLL_TAGS);
  });

  it('scores words at their first token by seqeval and token accuracy, the loss over labelled tokens', async () => {
    const tokenizer = await loadTokenizer(ep, 'adapter-studio/tiny-bert');
    // Gold: "the mayor of the city council" O B-PER O O B-ORG I-ORG; "geneva" B-LOC.
    const examples: Example[] = [
      { text: '', label: 0, row: 0, words: ['the', 'mayor', 'of', 'the', 'city', 'council'], tags: [0, 1, 0, 0, 3, 4] },
      { text: '', label: 0, row: 1, words: ['geneva'], tags: [5] },
    ];
    // The "model" predicts, at every labelled position, the tag its row's list names (logit 10, others 0):
    // row 0 gets the ORG one word short (B-ORG O), row 1 gets B-MISC.
    const predicted: Record<number, number[]> = { 0: [0, 1, 0, 0, 3, 0], 1: [7] };
    const model: TrainableModel<Batch> = {
      task: 'tokenClassification',
      parameters: [],
      logits(batch) {
        const values = new Float32Array(batch.batch * batch.seq * 9);
        for (let b = 0; b < batch.batch; b++) {
          let word = 0;
          for (let t = 0; t < batch.seq; t++) {
            if (batch.labels[b * batch.seq + t] === IGNORE) continue;
            values[(b * batch.seq + t) * 9 + predicted[batch.rows[b]][word++]] = 10;
          }
        }
        return tf.tensor2d(values, [batch.batch, batch.seq * 9]);
      },
    };
    const source = (async function* () { yield* examples; })();
    const metrics = await evaluate(model, tagBatches(source, tokenizer, { batchSize: 1, maxLength: 32, tagNames: CONLL_TAGS, bucketing: false }));
    // Gold entities PER, ORG, LOC; predicted PER, ORG (1 word), MISC: 1 right of 3 each way. Tags right: 5 of 7.
    expect(metrics!.entityPrecision).toBeCloseTo(1 / 3, 12);
    expect(metrics!.entityRecall).toBeCloseTo(1 / 3, 12);
    expect(metrics!.entityF1).toBeCloseTo(1 / 3, 12);
    expect(metrics!.tokenAccuracy).toBeCloseTo(5 / 7, 12);
    expect(metrics!.examples).toBe(2);
    // Right tags cost ln(1 + 8e^−10) each, wrong ones 10 + ln(1 + 8e^−10): the mean over 7 words.
    const right = Math.log(1 + 8 * Math.exp(-10));
    expect(metrics!.loss).toBeCloseTo((7 * right + 2 * 10) / 7, 4);
  });
});
