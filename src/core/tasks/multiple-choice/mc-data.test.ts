/**
 * The Data step on multiple-choice data: detection from swag's and cosmos_qa's `datasets` features (and the
 * reason it says), rows read into a context, a header and the choices, the pairs built as run_swag.py builds them
 * (worked by hand), batches of whole examples checked token by token against tiny-bert's own encoding of each
 * pair, tiny-swag through the offline Hub by parquet and /rows, and accuracy over examples from chosen logits.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubEndpoint, offlineHub } from '../../../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../../../hub-server/index.ts';
import { type Batch, batchExamples } from '../../data/batching.ts';
import { detectMapping } from '../../data/column-mapping.ts';
import { columnsOfFeatures } from '../../data/columns.ts';
import { inspectDataset } from '../../data/dataset-report.ts';
import { type Example, RowMapper } from '../../data/examples.ts';
import { openHubDataset } from '../../data/hub-dataset.ts';
import { localDataset, parseLocalFile } from '../../data/local-files.ts';
import { loadTokenizer } from '../../model/tokenizer.ts';
import { tokenizeWith } from '../../train/dataset-batches.ts';
import { evaluate, taskMetrics } from '../../train/evaluate.ts';
import type { TrainableModel } from '../../train/trainable-model.ts';
import { choicePairs } from './pairs.ts';

let server: RunningHubServer;
let ep: HubEndpoint;
beforeAll(async () => {
  await tf.setBackend('cpu');
  server = await startHubServer({ root: process.env.ADAPTER_STUDIO_FIXTURES!, port: 0 });
  ep = offlineHub(server.url);
});
afterAll(async () => server?.close());

const string = { dtype: 'string', _type: 'Value' };
// allenai/swag (regular) and allenai/cosmos_qa as the dataset viewer's /info gives their features.
const SWAG_FEATURES = {
  'video-id': string, 'fold-ind': string, startphrase: string, sent1: string, sent2: string, 'gold-source': string,
  ending0: string, ending1: string, ending2: string, ending3: string, label: { names: ['0', '1', '2', '3'], _type: 'ClassLabel' },
};
const COSMOS_FEATURES = { id: string, context: string, question: string, answer0: string, answer1: string, answer2: string, answer3: string, label: { dtype: 'int32', _type: 'Value' } };
const SWAG_ROW = {
  'video-id': 'anetv_1', 'fold-ind': '3', startphrase: 'Members of the procession walk down the street holding small horn brass instruments. A drum line',
  sent1: 'Members of the procession walk down the street holding small horn brass instruments.', sent2: 'A drum line', 'gold-source': 'gold',
  ending0: 'passes by walking down the street playing their instruments.', ending1: 'has heard approaching them.', ending2: "arrives and they're outside dancing and asleep.", ending3: 'turns the lead singer watches the performance.', label: 0,
};

describe('detecting multiple choice', () => {
  it('reads swag\'s columns: sent1 the context, sent2 before each ending, label the right ending', () => {
    const mapping = detectMapping('allenai/swag', columnsOfFeatures(SWAG_FEATURES), [SWAG_ROW]);
    expect(mapping).toMatchObject({ text: 'sent1', textPair: 'sent2', label: 'label', labelKind: 'classLabel', task: 'multipleChoice', choices: ['ending0', 'ending1', 'ending2', 'ending3'], labelNames: ['ending0', 'ending1', 'ending2', 'ending3'] });
    expect(mapping.reasons).toEqual({
      text: 'context "sent1", then "sent2" before each choice',
      label: '"label" (ClassLabel) picks one of the 4 choices ending0..ending3: multiple choice, as SWAG',
    });
    const mapper = new RowMapper(mapping);
    expect(mapper.map(SWAG_ROW, 7)).toEqual({ text: SWAG_ROW.sent1, textPair: 'A drum line', label: 0, row: 7, choices: [SWAG_ROW.ending0, SWAG_ROW.ending1, SWAG_ROW.ending2, SWAG_ROW.ending3] });
    // swag's test split is unlabelled (-1); a row without one of its endings cannot be a 4-way example.
    expect(mapper.map({ ...SWAG_ROW, label: -1 }, 8)).toBeUndefined();
    expect(mapper.map({ ...SWAG_ROW, ending2: '' }, 9)).toBeUndefined();
    expect(mapper.stats.skipped).toMatchObject({ unlabelled: 1, missingText: 1 });
  });

  it('reads cosmos_qa\'s columns: context, the question before each answer', () => {
    const mapping = detectMapping('allenai/cosmos_qa', columnsOfFeatures(COSMOS_FEATURES), []);
    expect(mapping).toMatchObject({ text: 'context', textPair: 'question', label: 'label', labelKind: 'int', task: 'multipleChoice', choices: ['answer0', 'answer1', 'answer2', 'answer3'] });
    expect(mapping.reasons.label).toBe('"label" (Value(int32)) picks one of the 4 choices answer0..answer3: multiple choice, as Cosmos QA');
    // Overrides: no header, another context column.
    expect(detectMapping('x', columnsOfFeatures(COSMOS_FEATURES), [], { textPair: '' }).textPair).toBeUndefined();
    expect(detectMapping('x', columnsOfFeatures(COSMOS_FEATURES), [], { text: 'question', textPair: '' })).toMatchObject({ text: 'question', task: 'multipleChoice' });
  });

  it('reads a local JSON Lines file of Cosmos QA rows (column kinds from the values)', async () => {
    const rows = [
      { id: 'a', context: 'The kettle boiled.', question: 'What next?', answer0: 'Tea was made.', answer1: 'It snowed.', answer2: 'Nothing.', answer3: 'A cat sang.', label: 0 },
      { id: 'b', context: 'The shop closed.', question: 'Why?', answer0: 'Night came.', answer1: 'It opened.', answer2: 'Fish swam.', answer3: 'None of the above.', label: 0 },
    ];
    const table = await parseLocalFile(new TextEncoder().encode(rows.map((r) => JSON.stringify(r)).join('\n')), 'cosmos.jsonl');
    const report = await inspectDataset(localDataset(table));
    expect(report.mapping).toMatchObject({ task: 'multipleChoice', text: 'context', textPair: 'question', labelKind: 'int', choices: ['answer0', 'answer1', 'answer2', 'answer3'] });
    expect(report.preview.examples[1]).toMatchObject({ text: 'The shop closed.', textPair: 'Why?', label: 0, choices: ['Night came.', 'It opened.', 'Fish swam.', 'None of the above.'] });
  });

  it('leaves other shapes to the classifiers: one numbered column, no integer label', () => {
    const one = { text: string, answer0: string, label: { names: ['a', 'b'], _type: 'ClassLabel' } };
    expect(detectMapping('x', columnsOfFeatures(one), []).task).toBe('classification');
    const stringLabel = { ...COSMOS_FEATURES, label: string };
    expect(detectMapping('x', columnsOfFeatures(stringLabel), [{ label: 'a' }]).task).toBe('classification');
  });
});

describe('pairs and batches', () => {
  it('builds run_swag\'s pairs: the context first, "{header} {ending}" second', () => {
    expect(choicePairs({ text: 'A man sits.', textPair: 'He', choices: ['stands up.', 'sleeps.'] })).toEqual({
      first: ['A man sits.', 'A man sits.'],
      second: ['He stands up.', 'He sleeps.'],
    });
    expect(choicePairs({ text: 'Q?', choices: ['yes', 'no', 'maybe'] })).toEqual({ first: ['Q?', 'Q?', 'Q?'], second: ['yes', 'no', 'maybe'] });
    expect(() => choicePairs({ text: 'Q?', choices: ['only'] })).toThrow(/at least 2 choices/);
  });

  it('batches whole examples: N pairs each in order, padded to the longest, one label per example', async () => {
    const tokenizer = await loadTokenizer(ep, 'adapter-studio/tiny-bert');
    const examples: Example[] = [
      { text: 'the film was good', textPair: 'it', choices: ['was fun', 'was a very long and dull film'], label: 1, row: 4 },
      { text: 'the film', choices: ['good', 'bad'], label: 0, row: 9 },
      { text: 'a film', choices: ['good film', 'bad'], label: 1, row: 12 },
    ];
    const source = (async function* () { yield* examples; })();
    const batches: Batch[] = [];
    for await (const b of batchExamples(source, tokenizeWith(tokenizer), { batchSize: 2, maxLength: 16, task: 'multipleChoice', bucketing: false })) batches.push(b);
    expect(batches.map((b) => [b.batch, b.choices, [...b.labels], [...b.rows]])).toEqual([[4, 2, [1, 0], [4, 9]], [2, 2, [1], [12]]]);
    // Each pair's row is tokenizer.encode(context, "{header} {choice}") on its own, right-padded to the batch's longest.
    for (const [b, batch] of batches.entries()) {
      for (let r = 0; r < batch.batch; r++) {
        const example = examples[b * 2 + Math.floor(r / 2)];
        const pairs = choicePairs(example);
        const alone = tokenizer.encode([pairs.first[r % 2]], [pairs.second[r % 2]], { maxLength: 16 });
        const ids = [...batch.inputIds.subarray(r * batch.seq, (r + 1) * batch.seq)];
        const mask = [...batch.attentionMask.subarray(r * batch.seq, (r + 1) * batch.seq)];
        expect(ids.slice(0, alone.seq)).toEqual([...alone.inputIds]);
        expect(mask).toEqual([...Array(alone.seq).fill(1), ...Array(batch.seq - alone.seq).fill(0)]);
        expect([...batch.tokenTypeIds.subarray(r * batch.seq, r * batch.seq + alone.seq)]).toEqual([...alone.tokenTypeIds]);
      }
    }
    // The first batch pads to its longest pair ("the film was good" + "it was a very long and dull film"), at most 16.
    expect(batches[0].seq).toBe(Math.min(16, tokenizer.encode(['the film was good'], ['it was a very long and dull film']).seq));
  });

  it('refuses examples with different numbers of choices in one pool', async () => {
    const tokenizer = await loadTokenizer(ep, 'adapter-studio/tiny-bert');
    const source = (async function* () { yield* [{ text: 'a', choices: ['b', 'c'], label: 0, row: 0 }, { text: 'a', choices: ['b', 'c', 'd'], label: 0, row: 1 }]; })();
    await expect(async () => { for await (const _ of batchExamples(source, tokenizeWith(tokenizer), { batchSize: 2, maxLength: 16, task: 'multipleChoice' })); }).rejects.toThrow(/row 1 has 3 choices, but row 0 has 2/);
  });
});

describe('tiny-swag and accuracy', () => {
  it('inspects tiny-swag on the offline Hub, by parquet and by the viewer\'s /rows: the right ending has the context\'s topic', async () => {
    for (const source of ['parquet', 'rows'] as const) {
      const report = await inspectDataset(await openHubDataset(ep, 'adapter-studio/tiny-swag', { source }));
      expect(report.mapping, source).toMatchObject({ task: 'multipleChoice', text: 'sent1', textPair: 'sent2', choices: ['ending0', 'ending1', 'ending2', 'ending3'] });
      const { examples } = report.preview;
      expect(examples.length).toBeGreaterThan(0);
      for (const e of examples) {
        expect(e.choices).toHaveLength(4);
        expect(new Set(e.choices).size).toBe(4);
        expect(e.label).toBeGreaterThanOrEqual(0);
        expect(e.label).toBeLessThan(4);
      }
      // The label distribution counts how often each choice is the right one.
      expect(report.preview.labelCounts!.map((c) => c.name)).toEqual(['ending0', 'ending1', 'ending2', 'ending3']);
    }
  });

  it('counts an example right when its right choice has the largest logit', async () => {
    // Hand-worked: argmax of [0.1, 2, −1] is 1 (right), of [3, 3, 0] is 0 (ties go first; label 1: wrong), of [0, 0, 5] is 2 (right).
    const logits = [[0.1, 2, -1], [3, 3, 0], [0, 0, 5]];
    const labels = [1, 1, 2];
    const model: TrainableModel<Batch> = { task: 'multipleChoice', parameters: [], logits: (batch) => tf.tensor2d(logits.slice(batch.rows[0], batch.rows[0] + batch.labels.length)) };
    const batch = (from: number, n: number): Batch => ({ inputIds: new Int32Array(0), attentionMask: new Int32Array(0), tokenTypeIds: new Int32Array(0), batch: 3 * n, seq: 0, choices: 3, realTokens: 0, labels: Int32Array.from(labels.slice(from, from + n)), rows: Int32Array.from({ length: n }, (_, i) => from + i) });
    const metrics = await evaluate(model, (async function* () { yield batch(0, 2); yield batch(2, 1); })());
    const ce = (row: number[], label: number) => Math.log(row.reduce((s, v) => s + Math.exp(v), 0)) - row[label];
    expect(metrics).toEqual({ accuracy: 2 / 3, loss: expect.closeTo(logits.reduce((s, row, i) => s + ce(row, labels[i]), 0) / 3, 5), examples: 3 });
    expect(taskMetrics('multipleChoice', [1, 0], [1, 1], 2)).toEqual({ loss: 1, accuracy: 0.5, examples: 2 });
  });
});
