import { describe, expect, it } from 'vitest';
import { detectMapping } from './column-mapping.ts';
import type { ColumnInfo, Row } from './columns.ts';
import { RowMapper } from './examples.ts';
import { buildPreview } from './preview.ts';
import { thrownDataError } from './test-support.ts';

const T = 'Dataset "x/y" split "train"';
const str = (name: string): ColumnInfo => ({ name, kind: 'string', type: 'Value(string)' });
const int = (name: string): ColumnInfo => ({ name, kind: 'int', type: 'Value(int64)' });
const float = (name: string): ColumnInfo => ({ name, kind: 'float', type: 'Value(float32)' });
const classLabel = (name: string, classNames: string[]): ColumnInfo => ({ name, kind: 'classLabel', classNames, type: 'ClassLabel' });

describe('detectMapping', () => {
  it('prefers a ClassLabel column and a well-known text name', () => {
    const m = detectMapping(T, [str('title'), str('text'), classLabel('label', ['neg', 'pos'])], []);
    expect(m).toMatchObject({ text: 'text', label: 'label', labelKind: 'classLabel', task: 'classification', labelNames: ['neg', 'pos'] });
    expect(m.textPair).toBeUndefined();
  });

  it('finds sentence pairs', () => {
    for (const [a, b] of [['premise', 'hypothesis'], ['sentence1', 'sentence2'], ['question1', 'question2']]) {
      const m = detectMapping(T, [str(a), str(b), classLabel('label', ['no', 'yes'])], []);
      expect([m.text, m.textPair]).toEqual([a, b]);
    }
    const single = detectMapping(T, [str('sentence1'), str('sentence2'), classLabel('label', ['no', 'yes'])], [], { textPair: '' });
    expect(single.textPair).toBeUndefined();
  });

  it('falls back to the string column with the longest cells, never the label', () => {
    const rows: Row[] = [
      { title: 'short', body: 'a much longer body of text here', label: 'spam' },
      { title: 'tiny', body: 'another long body of some length', label: 'ham' },
    ];
    const m = detectMapping(T, [str('title'), str('body'), str('label')], rows);
    expect(m.text).toBe('body');
    expect(m.reasons.text).toContain('longest');
    expect(m).toMatchObject({ label: 'label', labelKind: 'string', labelNames: ['ham', 'spam'] });
  });

  it('reads float labels as regression and integer labels as classes 0..max', () => {
    expect(detectMapping(T, [str('sentence1'), str('sentence2'), float('label')], [])).toMatchObject({ task: 'regression', labelKind: 'float', labelNames: [] });
    const rows = [{ text: 'a', stars: 2 }, { text: 'b', stars: 0 }];
    expect(detectMapping(T, [str('text'), int('stars')], rows)).toMatchObject({ label: 'stars', labelKind: 'int', labelNames: ['0', '1', '2'] });
  });

  it('says which columns exist when there is no text, no label, or only images', () => {
    expect(thrownDataError(() => detectMapping(T, [{ name: 'review', kind: 'float', type: 'Value(float64)' }, int('stars')], [])).message)
      .toBe('Dataset "x/y" split "train" has no text column; columns are: review, stars. Choose the text column.');
    const noLabel = thrownDataError(() => detectMapping(T, [str('text'), str('author')], []));
    expect(noLabel.code).toBe('NoLabelColumn');
    expect(noLabel.message).toBe('Dataset "x/y" split "train" has no label column; columns are: text, author. Choose the label column.');
    const images = thrownDataError(() => detectMapping(T, [{ name: 'img', kind: 'image', type: 'Image' }, classLabel('label', ['cat', 'dog'])], []));
    expect(images.code).toBe('UnsupportedModality');
    expect(images.message).toContain('image ("img")');
  });

  it('applies overrides and rejects unknown columns', () => {
    const cols = [str('a'), str('b'), int('y'), classLabel('label', ['n', 'p'])];
    expect(detectMapping(T, cols, [{ a: 'x', b: 'y', y: 3 }], { text: 'b', label: 'y' })).toMatchObject({ text: 'b', label: 'y', labelNames: ['0', '1', '2', '3'] });
    const bad = thrownDataError(() => detectMapping(T, cols, [], { text: 'nope' }));
    expect(bad.code).toBe('UnknownColumn');
    expect(bad.message).toContain('columns are: a, b, y, label');
    expect(detectMapping(T, cols, [], { labelNames: ['zero', 'one'], label: 'y' }).labelNames).toEqual(['zero', 'one']);
  });
});

describe('RowMapper', () => {
  it('skips null text, −1 and unknown labels, truncates huge cells, and counts each', () => {
    const mapping = detectMapping(T, [str('text'), classLabel('label', ['neg', 'pos'])], []);
    const mapper = new RowMapper(mapping, 10);
    const rows: Row[] = [
      { text: 'fine', label: 1 },
      { text: null, label: 0 },
      { text: '   ', label: 0 },
      { text: 'test row', label: -1 },
      { text: 'ok', label: 7 },
      { text: 'ok', label: null },
      { text: 'x'.repeat(25), label: 0 },
    ];
    const out = rows.map((r, i) => mapper.map(r, i));
    expect(out[0]).toEqual({ text: 'fine', label: 1, row: 0 });
    expect(out[6]).toEqual({ text: 'x'.repeat(10), label: 0, row: 6 });
    expect(out.filter(Boolean)).toHaveLength(2);
    expect(mapper.stats).toEqual({ rows: 7, kept: 2, truncated: 1, skipped: { missingText: 2, unlabelled: 1, unknownLabel: 1, missingLabel: 1, tagCount: 0 } });
  });

  it('maps string labels to their index in the names and floats to themselves', () => {
    const strings = detectMapping(T, [str('text'), str('label')], [{ text: 'a', label: 'pos' }, { text: 'b', label: 'neg' }]);
    const mapper = new RowMapper(strings);
    expect(mapper.map({ text: 'c', label: 'pos' }, 0)?.label).toBe(strings.labelNames.indexOf('pos'));
    expect(mapper.map({ text: 'c', label: 'meh' }, 1)).toBeUndefined();
    const reg = new RowMapper(detectMapping(T, [str('sentence1'), str('sentence2'), float('label')], []));
    expect(reg.map({ sentence1: 'a', sentence2: 'b', label: 3.25 }, 4)).toEqual({ text: 'a', textPair: 'b', label: 3.25, row: 4 });
    expect(reg.map({ sentence1: 'a', sentence2: null, label: 1 }, 5)).toBeUndefined();
  });

  it('previews with a label distribution over every class', () => {
    const mapping = detectMapping(T, [str('text'), classLabel('label', ['a', 'b', 'c'])], []);
    const rows = [0, 0, 2, 0, -1].map((label, i) => ({ text: `t${i}`, label }));
    const preview = buildPreview(rows, mapping, 2);
    expect(preview.examples.map((e) => e.row)).toEqual([0, 1]);
    expect(preview.labelCounts).toEqual([{ id: 0, name: 'a', count: 3 }, { id: 1, name: 'b', count: 0 }, { id: 2, name: 'c', count: 1 }]);
    expect(preview.stats.skipped.unlabelled).toBe(1);
  });
});
