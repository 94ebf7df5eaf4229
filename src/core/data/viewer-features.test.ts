import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { detectMapping } from './column-mapping.ts';
import { type Feature, type Row, columnsOfFeatures } from './columns.ts';
import { thrownDataError } from './test-support.ts';

/** The 200 examples of /first-rows and /info in the dataset viewer's OpenAPI description (testdata/real/README.md). */
const EXAMPLES = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'testdata', 'real', 'dataset-viewer-examples.json'), 'utf8')) as {
  'first-rows': Record<string, { features: { name: string; type: Feature }[]; rows: { row: Row }[] }>;
  info: Record<string, { dataset_info: Record<string, { features: Record<string, Feature> }> | { features: Record<string, Feature> } }>;
  'parquet-features': Record<string, Record<string, Feature>>;
};

function firstRows(name: string) {
  const page = EXAMPLES['first-rows'][name];
  return { columns: columnsOfFeatures(page.features), rows: page.rows.map((r) => r.row) };
}

describe('column detection on the viewer\'s documented datasets', () => {
  it('imdb (/first-rows): text and its ClassLabel', () => {
    const { columns, rows } = firstRows('A simple dataset (stanfordnlp/stanfordnlp/imdb) with text and label');
    expect(detectMapping('imdb', columns, rows)).toMatchObject({ text: 'text', label: 'label', labelKind: 'classLabel', labelNames: ['neg', 'pos'] });
  });

  it('glue "ax" (/info): the premise/hypothesis pair and the three NLI classes; idx is not the label', () => {
    const info = EXAMPLES.info['config metadata'].dataset_info as { features: Record<string, Feature> };
    const m = detectMapping('glue ax', columnsOfFeatures(info.features), []);
    expect(m).toMatchObject({ text: 'premise', textPair: 'hypothesis', label: 'label', labelNames: ['entailment', 'neutral', 'contradiction'] });
  });

  it('a time series (lists of floats, a timestamp, an item id): no text column, and the id is named as not text', () => {
    const { columns, rows } = firstRows('Truncated cells');
    expect(columns.map((c) => c.type)).toEqual(['Value(timestamp[s])', 'List(Value(float32))', 'List(Value(uint64))', 'List(List(Value(float32)))', 'Value(string)']);
    const err = thrownDataError(() => detectMapping('Dataset "monash_tsf"', columns, rows));
    expect(err.code).toBe('NoTextColumn');
    expect(err.message).toBe('Dataset "monash_tsf" has no text column ("item_id" is an identifier, not text); columns are: start, target, feat_static_cat, feat_dynamic_real, item_id. Choose the text column.');
  });

  it('images only (/first-rows horse2zebra, /info mnist): refused as another modality', () => {
    const pair = firstRows('Image column');
    expect(thrownDataError(() => detectMapping('horse2zebra', pair.columns, pair.rows))).toMatchObject({
      code: 'UnsupportedModality',
      message: 'horse2zebra holds image ("imageA"), image ("imageB") and no text; columns are: imageA, imageB. Adapter Studio trains text classifiers: pick a text dataset.',
    });
    const mnist = (EXAMPLES.info['dataset metadata'].dataset_info as Record<string, { features: Record<string, Feature> }>)['ylecun/mnist'];
    expect(thrownDataError(() => detectMapping('mnist', columnsOfFeatures(mnist.features), [])).code).toBe('UnsupportedModality');
  });

  it('audio with transcripts: the transcript is the text, and the reason says the audio is not used', () => {
    const { columns, rows } = firstRows('Audio column');
    const m = detectMapping('voxpopuli', columns, rows);
    expect(m).toMatchObject({ text: 'raw_text', label: 'language', labelKind: 'classLabel' });
    expect(m.labelNames).toHaveLength(17);
    expect(m.reasons.text).toBe('the string column with the longest cells; the audio column "audio" is not used');
  });

  it('token tags (a List of ClassLabel per row, as `datasets` writes conll features): read as token classification, and without a word list says why there is no label', () => {
    // huggingface/datasets tests/commands/test_test.py: tokens List(Value("string")), ner_tags List(ClassLabel(names=[...])).
    const features: Record<string, Feature> = {
      id: { dtype: 'string', _type: 'Value' },
      tokens: { feature: { dtype: 'string', _type: 'Value' }, _type: 'List' },
      ner_tags: { feature: { names: ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC'], _type: 'ClassLabel' }, _type: 'List' },
    };
    const columns = columnsOfFeatures(features);
    expect(columns.map((c) => c.type)).toEqual(['Value(string)', 'List(Value(string))', 'List(ClassLabel)']);
    expect(detectMapping('conll', columns, [])).toMatchObject({ text: 'tokens', label: 'ner_tags', task: 'tokenClassification', labelNames: ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC'] });
    const withoutWords = columns.filter((c) => c.name !== 'tokens');
    const err = thrownDataError(() => detectMapping('conll', withoutWords, []));
    expect(err.code).toBe('NoLabelColumn');
    expect(err.message).toBe('conll has no column with one label per row: "ner_tags" (List(ClassLabel)) holds a list of class labels per row (token tagging or multi-label), which Adapter Studio does not train; columns are: id, ner_tags. Choose a single-label column, or pick a text classification dataset.');
  });

  it('duorc (/parquet features): a question with a list of free-text answers is neither SQuAD nor multi-label', () => {
    // answers is List(Value(string)) without answer_start: no spans to train a QA head on, and not a label set.
    const columns = columnsOfFeatures(EXAMPLES['parquet-features']['duorc with ParaphraseRC config']);
    expect(columns.find((c) => c.name === 'answers')?.type).toBe('List(Value(string))');
    const err = thrownDataError(() => detectMapping('duorc', columns, []));
    expect(err.code).toBe('NoLabelColumn');
    expect(err.message).toBe('duorc has no label column; columns are: plot_id, plot, title, question_id, question, answers, no_answer. Choose the label column.');
  });
});
