/**
 * The Data step on SQuAD-shaped data: detection from the `datasets` features as the viewer's /info and /first-rows
 * give squad's (answers: Sequence of {text, answer_start}) and from plain rows (JSON Lines with a list of answer
 * objects), the reason it says, rows skipped for unreadable answers, and tiny-squad through the offline Hub by
 * parquet and by /rows. Then the evaluation over windows: a model whose logits point at chosen tokens gets the
 * exact match and F1 worked out by hand.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubEndpoint, offlineHub } from '../../../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../../../hub-server/index.ts';
import type { Batch } from '../../data/batching.ts';
import { detectMapping } from '../../data/column-mapping.ts';
import { columnsOfFeatures, inferColumns } from '../../data/columns.ts';
import { inspectDataset } from '../../data/dataset-report.ts';
import type { Example } from '../../data/examples.ts';
import { RowMapper } from '../../data/examples.ts';
import { openHubDataset } from '../../data/hub-dataset.ts';
import { parseLocalFile, localDataset } from '../../data/local-files.ts';
import { loadTokenizer } from '../../model/tokenizer.ts';
import { evaluate } from '../../train/evaluate.ts';
import type { TrainableModel } from '../../train/trainable-model.ts';
import { questionEvalBatches } from './qa-training-data.ts';

let server: RunningHubServer;
let ep: HubEndpoint;
beforeAll(async () => {
  await tf.setBackend('cpu');
  server = await startHubServer({ root: process.env.ADAPTER_STUDIO_FIXTURES!, port: 0 });
  ep = offlineHub(server.url);
});
afterAll(async () => server?.close());

// rajpurkar/squad's features as the dataset viewer's /info gives them.
const SQUAD_FEATURES = {
  id: { dtype: 'string', _type: 'Value' },
  title: { dtype: 'string', _type: 'Value' },
  context: { dtype: 'string', _type: 'Value' },
  question: { dtype: 'string', _type: 'Value' },
  answers: { feature: { text: { dtype: 'string', _type: 'Value' }, answer_start: { dtype: 'int32', _type: 'Value' } }, _type: 'Sequence' },
};
const ROW = { id: '1', title: 'T', context: 'The mayor fixed the old road last week.', question: 'When?', answers: { text: ['last week'], answer_start: [29] } };

describe('detecting extractive question answering', () => {
  it('reads squad\'s features, says why, and maps rows to question / context / answers', () => {
    const mapping = detectMapping('rajpurkar/squad', columnsOfFeatures(SQUAD_FEATURES), [ROW]);
    expect(mapping).toMatchObject({ text: 'question', textPair: 'context', label: 'answers', labelKind: 'answers', task: 'questionAnswering', labelNames: [] });
    expect(mapping.reasons.label).toBe('"answers" holds answer spans ({text, answer_start} in the context, Sequence(struct)): extractive question answering, as SQuAD');
    const mapper = new RowMapper(mapping);
    expect(mapper.map(ROW, 0)).toEqual({ text: 'When?', textPair: ROW.context, label: 0, row: 0, answers: { text: ['last week'], answerStart: [29] } });
    // Unreadable answers are left out and counted as missing labels.
    expect(mapper.map({ ...ROW, answers: { text: ['a', 'b'], answer_start: [1] } }, 1)).toBeUndefined();
    expect(mapper.map({ ...ROW, answers: 'last week' }, 2)).toBeUndefined();
    expect(mapper.stats.skipped.missingLabel).toBe(2);
  });

  it('takes the datasets-4 form (a struct of Lists) and hand-written JSON Lines (a list of answer objects)', async () => {
    const lists = { ...SQUAD_FEATURES, answers: { text: { feature: { dtype: 'string', _type: 'Value' }, _type: 'List' }, answer_start: { feature: { dtype: 'int32', _type: 'Value' }, _type: 'List' } } };
    expect(detectMapping('x', columnsOfFeatures(lists), [ROW]).task).toBe('questionAnswering');
    const jsonl = [{ question: 'When?', context: ROW.context, answers: [{ text: 'last week', answer_start: 29 }] }].map((r) => JSON.stringify(r)).join('\n');
    const table = await parseLocalFile(new TextEncoder().encode(jsonl), 'qa.jsonl');
    const report = await inspectDataset(localDataset(table));
    expect(report.mapping.task).toBe('questionAnswering');
    expect(report.preview.examples[0].answers).toEqual({ text: ['last week'], answerStart: [29] });
  });

  it('leaves other shapes to the classifiers: answers without starts (duorc), a label column chosen instead', () => {
    const duorc = { ...SQUAD_FEATURES, answers: { feature: { dtype: 'string', _type: 'Value' }, _type: 'List' }, label: { names: ['a', 'b'], _type: 'ClassLabel' } };
    expect(detectMapping('ibm/duorc', columnsOfFeatures(duorc), [{ ...ROW, answers: ['last week'], label: 0 }]).task).toBe('classification');
    const rows = [{ ...ROW, label: 1 }];
    expect(detectMapping('x', inferColumns(rows), rows, { label: 'label' }).task).toBe('classification');
  });

  it('inspects tiny-squad on the offline Hub, by parquet and by the viewer\'s /rows', async () => {
    for (const source of ['parquet', 'rows'] as const) {
      const report = await inspectDataset(await openHubDataset(ep, 'adapter-studio/tiny-squad', { source }));
      expect(report.mapping.task, source).toBe('questionAnswering');
      expect(report.columns.find((c) => c.name === 'answers')?.type).toBe('Sequence(struct)');
      const [first] = report.preview.examples;
      expect([...first.textPair!].slice(first.answers!.answerStart[0], first.answers!.answerStart[0] + [...first.answers!.text[0]].length).join('')).toBe(first.answers!.text[0]);
    }
  });
});

describe('evaluating question answering over windows', () => {
  it('scores each example by its best span over all its windows, as SQuAD', async () => {
    const tokenizer = await loadTokenizer(ep, 'adapter-studio/tiny-bert');
    // Nine one-token words (code points: the 0–3, film 4–8, was 9–12, by 13–15, the 16–19, film 20–24, in 25–27,
    // the 28–31, film 32–36); windows of 4 context tokens every 2 (max length 8, stride 2), as windows.test.ts.
    const context = 'the film was by the film in the film';
    const examples: Example[] = [
      { text: 'film', textPair: context, label: 0, row: 0, answers: { text: ['by the'], answerStart: [13] } },
      { text: 'film', textPair: context, label: 0, row: 1, answers: { text: ['the film', 'in the film'], answerStart: [28, 25] } },
    ];
    // The "model" puts a start logit of 5 on the word at `start` and an end logit of 5 on the word at `end` (context
    // word indexes) wherever they fall in a window, 0 elsewhere: example 0 → words 3–5 "by the film", example 1 → 7–8.
    const pick: Record<number, [number, number]> = { 0: [3, 5], 1: [7, 8] };
    const model: TrainableModel<Batch> = {
      task: 'questionAnswering',
      parameters: [],
      logits(batch) {
        const values = new Float32Array(batch.batch * 2 * batch.seq);
        for (let b = 0; b < batch.batch; b++) {
          const offsets = batch.qa!.offsets[b];
          const [s, e] = pick[batch.qa!.rows[b]];
          const wordStarts = [0, 4, 9, 13, 16, 20, 25, 28, 32];
          for (let t = 0; t < offsets.length / 2; t++) {
            if (offsets[2 * t] === wordStarts[s]) values[b * 2 * batch.seq + t] = 5;
            if (offsets[2 * t] === wordStarts[e]) values[b * 2 * batch.seq + batch.seq + t] = 5;
          }
        }
        return tf.tensor2d(values, [batch.batch, 2 * batch.seq]);
      },
    };
    const source = (async function* () { yield* examples; })();
    const metrics = await evaluate(model, questionEvalBatches(source, tokenizer, { batchSize: 3, maxLength: 8, docStride: 2 }));
    // Example 0: only window 1 (words 2–5) holds both picks, score 10, "by the film" vs "by the": normalised to
    // [by, film] vs [by] (the article goes), EM 0, P 1/2, R 1, F1 2/3. Example 1: "the film" (window 3 holds words
    // 6–8) is a gold answer: EM 1, F1 1. In percent over 2 questions: EM 50, F1 (2/3 + 1) / 2.
    expect(metrics!.exactMatch).toBeCloseTo(50, 10);
    expect(metrics!.f1).toBeCloseTo((100 * (2 / 3 + 1)) / 2, 10);
    expect(metrics!.examples).toBe(2);
    expect(Number.isFinite(metrics!.loss)).toBe(true);
  });
});
