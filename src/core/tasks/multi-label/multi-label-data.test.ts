/**
 * The Data step on multi-label data: detection from go_emotions' features as the viewer's /info gives them
 * (labels: Sequence(ClassLabel)), the datasets-4 `List` form, JSON Lines with lists of names, several 0/1 columns
 * chosen by name, the reasons it says and the errors for what does not fit; rows mapped to multi-hot targets by
 * hand-worked cases; batches of [batch · labels] targets; tiny-multilabel through the offline Hub by parquet and /rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubEndpoint, offlineHub } from '../../../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../../../hub-server/index.ts';
import { batchExamples } from '../../data/batching.ts';
import { detectMapping } from '../../data/column-mapping.ts';
import { columnsOfFeatures, inferColumns } from '../../data/columns.ts';
import { inspectDataset } from '../../data/dataset-report.ts';
import { RowMapper } from '../../data/examples.ts';
import { openHubDataset } from '../../data/hub-dataset.ts';
import { localDataset, parseLocalFile } from '../../data/local-files.ts';
import { thrownDataError } from '../../data/test-support.ts';

let server: RunningHubServer;
let ep: HubEndpoint;
beforeAll(async () => {
  server = await startHubServer({ root: process.env.ADAPTER_STUDIO_FIXTURES!, port: 0 });
  ep = offlineHub(server.url);
});
afterAll(async () => server?.close());

const EMOTIONS = ['admiration', 'amusement', 'anger', 'annoyance'];
// google-research-datasets/go_emotions "simplified" as /info gives it (28 names there; the first four here).
const GO_EMOTIONS = {
  text: { dtype: 'string', _type: 'Value' },
  labels: { feature: { names: EMOTIONS, _type: 'ClassLabel' }, _type: 'Sequence' },
  id: { dtype: 'string', _type: 'Value' },
};
const ROWS = [{ text: 'So funny and so good', labels: [0, 1], id: 'e1' }, { text: 'Stop it', labels: [3], id: 'e2' }];

describe('detecting multi-label classification', () => {
  it('reads go_emotions\' Sequence(ClassLabel), says why, and maps rows to multi-hot targets', () => {
    const mapping = detectMapping('go_emotions', columnsOfFeatures(GO_EMOTIONS), ROWS);
    expect(mapping).toMatchObject({ text: 'text', label: 'labels', labelKind: 'labelList', task: 'multiLabel', labelNames: EMOTIONS });
    expect(mapping.reasons.label).toBe('"labels" holds a list of labels per row (Sequence(ClassLabel), 4 labels): multi-label classification, a sigmoid per label');
    const mapper = new RowMapper(mapping);
    expect(mapper.map(ROWS[0], 0)).toEqual({ text: 'So funny and so good', label: 0, row: 0, targets: [1, 1, 0, 0] });
    expect(mapper.map(ROWS[1], 1)?.targets).toEqual([0, 0, 0, 1]);
    // No label at all is a valid set; an id past the names, or a cell that is no list, is left out and counted.
    expect(mapper.map({ text: 'Fine', labels: [] }, 2)?.targets).toEqual([0, 0, 0, 0]);
    expect(mapper.map({ text: 'Hm', labels: [4] }, 3)).toBeUndefined();
    expect(mapper.map({ text: 'Hm', labels: 2 }, 4)).toBeUndefined();
    expect(mapper.map({ text: 'Hm', labels: null }, 5)).toBeUndefined();
    expect(mapper.stats.skipped).toMatchObject({ unknownLabel: 2, missingLabel: 1 });
  });

  it('takes the datasets-4 List form and JSON Lines with lists of label names', async () => {
    const lists = { ...GO_EMOTIONS, labels: { feature: { names: EMOTIONS, _type: 'ClassLabel' }, _type: 'List' } };
    expect(detectMapping('x', columnsOfFeatures(lists), ROWS).task).toBe('multiLabel');
    const jsonl = [{ text: 'Great fun', labels: ['joy', 'fun'] }, { text: 'Awful day', labels: ['anger'] }].map((r) => JSON.stringify(r)).join('\n');
    const report = await inspectDataset(localDataset(await parseLocalFile(new TextEncoder().encode(jsonl), 'emotions.jsonl')));
    expect(report.mapping).toMatchObject({ task: 'multiLabel', labelNames: ['anger', 'fun', 'joy'] });
    expect(report.preview.examples.map((e) => e.targets)).toEqual([[0, 1, 1], [1, 0, 0]]);
    expect(report.preview.labelCounts).toEqual([{ id: 0, name: 'anger', count: 1 }, { id: 1, name: 'fun', count: 1 }, { id: 2, name: 'joy', count: 1 }]);
  });

  it('reads several 0/1 columns chosen with labelColumns, one label each, in the order given', () => {
    const rows = [{ comment: 'you fool', toxic: 1, insult: 1, threat: 0 }, { comment: 'nice work', toxic: 0, insult: 0, threat: 0 }, { comment: 'or else', toxic: true, insult: false, threat: true }];
    const mapping = detectMapping('toxic', inferColumns(rows), rows, { labelColumns: ['threat', 'toxic', 'insult'] });
    expect(mapping).toMatchObject({ text: 'comment', label: 'threat,toxic,insult', labelColumns: ['threat', 'toxic', 'insult'], labelKind: 'binaryColumns', task: 'multiLabel', labelNames: ['threat', 'toxic', 'insult'] });
    expect(mapping.reasons.label).toBe('chosen: 3 0/1 columns, one per label: multi-label classification, a sigmoid per label');
    const mapper = new RowMapper(mapping);
    expect(rows.map((r, i) => mapper.map(r, i)?.targets)).toEqual([[0, 1, 1], [0, 0, 0], [1, 1, 0]]);
    expect(mapper.map({ comment: 'x y', toxic: 2, insult: 0, threat: 0 }, 3)).toBeUndefined();
    expect(mapper.map({ comment: 'x y', toxic: null, insult: 0, threat: 0 }, 4)).toBeUndefined();
    expect(mapper.stats.skipped).toMatchObject({ unknownLabel: 1, missingLabel: 1 });
    // Without the choice the same rows are not multi-label: several 0/1 columns are only read so when named.
    expect(thrownDataError(() => detectMapping('toxic', inferColumns(rows), rows)).code).toBe('NoLabelColumn');
  });

  it('says what is wrong with chosen label columns', () => {
    const rows = [{ comment: 'you fool', toxic: 1, insult: 3, score: 0.5 }];
    const columns = inferColumns(rows);
    expect(thrownDataError(() => detectMapping('t', columns, rows, { labelColumns: ['toxic', 'insult'] })).message).toBe('t column "insult" holds 3; each of several label columns must hold 0/1 (or true/false), one column per label. Choose 0/1 columns, or one list-of-labels column.');
    expect(thrownDataError(() => detectMapping('t', columns, rows, { labelColumns: ['toxic', 'nope'] })).message).toContain('t has no column "nope" (chosen as a label column); columns are: comment, toxic, insult, score.');
    expect(thrownDataError(() => detectMapping('t', columns, rows, { labelColumns: ['toxic'] })).message).toContain('one 0/1 label column ("toxic") is binary classification, not multi-label');
  });

  it('prefers a single-label column when both exist, and leaves token tagging (a list of tokens) alone', () => {
    const both = { ...GO_EMOTIONS, label: { names: ['neg', 'pos'], _type: 'ClassLabel' } };
    expect(detectMapping('x', columnsOfFeatures(both), ROWS.map((r) => ({ ...r, label: 0 }))).task).toBe('classification');
    expect(detectMapping('x', columnsOfFeatures(both), ROWS.map((r) => ({ ...r, label: 0 })), { label: 'labels' }).task).toBe('multiLabel');
    const conll = { id: { dtype: 'string', _type: 'Value' }, tokens: { feature: { dtype: 'string', _type: 'Value' }, _type: 'Sequence' }, ner_tags: { feature: { names: ['O', 'B-PER'], _type: 'ClassLabel' }, _type: 'Sequence' } };
    // Tags beside a list of tokens (no plain text column) are token classification's, whatever reads them.
    const taskOf = () => { try { return detectMapping('conll', columnsOfFeatures(conll), [{ id: '0', tokens: ['EU'], ner_tags: [0] }]).task; } catch { return 'refused'; } };
    expect(taskOf()).not.toBe('multiLabel');
  });
});

describe('multi-label batches and the demo dataset', () => {
  it('cut [batch · labels] 0/1 targets in the order of the batch\'s examples', async () => {
    const examples = [{ text: 'a b', label: 0, row: 0, targets: [1, 0, 1] }, { text: 'c', label: 0, row: 1, targets: [0, 1, 0] }];
    const tokenize = (texts: string[]) => {
      const seq = 3;
      const inputIds = new Int32Array(texts.length * seq);
      const attentionMask = new Int32Array(texts.length * seq);
      texts.forEach((t, b) => t.split(' ').forEach((_, i) => { inputIds[b * seq + i] = 5; attentionMask[b * seq + i] = 1; }));
      return { inputIds, attentionMask, tokenTypeIds: new Int32Array(texts.length * seq), batch: texts.length, seq };
    };
    const batches = [];
    for await (const b of batchExamples((async function* () { yield* examples; })(), tokenize, { batchSize: 2, maxLength: 8, task: 'multiLabel', bucketing: false })) batches.push(b);
    expect(batches).toHaveLength(1);
    expect(Array.from(batches[0].labels)).toEqual([1, 0, 1, 0, 1, 0]);
    expect(batches[0].labels).toBeInstanceOf(Float32Array);
  });

  it('inspects tiny-multilabel on the offline Hub, by parquet and by the viewer\'s /rows', async () => {
    for (const source of ['parquet', 'rows'] as const) {
      const report = await inspectDataset(await openHubDataset(ep, 'adapter-studio/tiny-multilabel', { source }));
      expect(report.mapping, source).toMatchObject({ task: 'multiLabel', text: 'text', label: 'labels', labelNames: ['world', 'sports', 'business', 'science'] });
      expect(report.columns.find((c) => c.name === 'labels')?.type).toBe('List(ClassLabel)');
      expect(report.plan.validation.split).toBe('validation');
      for (const e of report.preview.examples) {
        const count = e.targets!.reduce((a, b) => a + b, 0);
        expect(count).toBeGreaterThanOrEqual(1);
        expect(count).toBeLessThanOrEqual(3);
        // One sentence per topic the row is labelled with.
        expect(e.text.split('. ').length).toBe(count);
      }
      for (const [reason, count] of Object.entries(report.preview.stats.skipped)) expect(count, reason).toBe(0);
    }
  });
});
