import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectDataset } from './dataset-report.ts';
import { DataError } from './errors.ts';
import { localDataset, parseLocalFile } from './local-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'adapter-studio-local-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The same 30 records in every format: a review with a comma, quotes and a newline, and a string label. */
const records = Array.from({ length: 30 }, (_, i) => ({
  review: i === 0 ? 'Great, "really" great\nsecond line' : `review number ${i} is ${i % 3 === 0 ? 'bad' : 'good'}`,
  stars: (i % 5) + 1,
  label: i % 3 === 0 ? 'neg' : 'pos',
}));

function csvCell(value: string | number, sep: string): string {
  const s = String(value);
  return s.includes(sep) || s.includes('"') || s.includes('\n') ? `"${s.replace(/"/g, '""')}"` : s;
}

function delimited(sep: string): string {
  const header = ['review', 'stars', 'label'].join(sep);
  return [header, ...records.map((r) => [r.review, r.stars, r.label].map((v) => csvCell(v, sep)).join(sep))].join('\r\n') + '\r\n';
}

/** Writes a file to disk and reads it back, as a drag-and-drop would hand the bytes over. */
function fileBytes(name: string, content: string | Uint8Array): Uint8Array {
  const path = join(dir, name);
  writeFileSync(path, content);
  return readFileSync(path);
}

const features = { review: { dtype: 'string', _type: 'Value' }, stars: { dtype: 'int64', _type: 'Value' }, label: { names: ['neg', 'pos'], _type: 'ClassLabel' } };
const parquet = new Uint8Array(parquetWriteBuffer({
  columnData: [
    { name: 'review', data: records.map((r) => r.review), type: 'STRING' },
    { name: 'stars', data: records.map((r) => BigInt(r.stars)), type: 'INT64' },
    { name: 'label', data: records.map((r) => (r.label === 'neg' ? 0 : 1)), type: 'INT32' },
  ],
  rowGroupSize: 8,
  kvMetadata: [{ key: 'huggingface', value: JSON.stringify({ info: { features } }) }],
}));

const files: [string, string | Uint8Array][] = [
  ['reviews.csv', delimited(',')],
  ['reviews.tsv', delimited('\t')],
  ['reviews.jsonl', records.map((r) => JSON.stringify(r)).join('\n') + '\n'],
  ['reviews.json', JSON.stringify(records)],
  ['reviews.parquet', parquet],
];

describe('parseLocalFile', () => {
  it.each(files)('reads %s into the same rows, typed columns and mapping', async (name, content) => {
    const table = await parseLocalFile(fileBytes(name, content), name);
    expect(table.rows).toHaveLength(30);
    expect(table.badRows).toBe(0);
    expect(table.rows[0].review).toBe(records[0].review);
    expect(table.rows[7].stars).toBe(records[7].stars);
    expect(table.columns.map((c) => [c.name, c.kind])).toEqual([['review', 'string'], ['stars', 'int'], ['label', name.endsWith('.parquet') ? 'classLabel' : 'string']]);

    const report = await inspectDataset(localDataset(table), { seed: 7 });
    expect(report.mapping).toMatchObject({ text: 'review', label: 'label', labelNames: ['neg', 'pos'] });
    expect(report.preview.labelCounts).toEqual([{ id: 0, name: 'neg', count: 10 }, { id: 1, name: 'pos', count: 20 }]);
    expect(report.plan.validation).toMatchObject({ split: 'train', take: 'heldOut', holdOut: { seed: 7, share: 0.1 } });
  });

  it('accepts a Blob, skips broken JSONL lines and counts them', async () => {
    const text = '{"text": "fine", "label": 1}\nnot json\n[1, 2]\n{"text": "also fine", "label": 0}\n';
    const table = await parseLocalFile(new Blob([text]), 'mixed.jsonl');
    expect(table.rows).toEqual([{ text: 'fine', label: 1 }, { text: 'also fine', label: 0 }]);
    expect(table.badRows).toBe(2);
  });

  it('reads column-oriented JSON and {"data": [...]}', async () => {
    const columns = await parseLocalFile(new TextEncoder().encode('{"text": ["a", "b"], "label": [0, 1]}'), 'cols.json');
    expect(columns.rows).toEqual([{ text: 'a', label: 0 }, { text: 'b', label: 1 }]);
    const wrapped = await parseLocalFile(new TextEncoder().encode('{"data": [{"text": "a", "label": 2}]}'), 'wrapped.json');
    expect(wrapped.rows).toEqual([{ text: 'a', label: 2 }]);
  });

  it('refuses unknown extensions, unreadable and empty files with the file name in the message', async () => {
    await expect(parseLocalFile(new Uint8Array(4), 'model.bin')).rejects.toMatchObject({ code: 'UnsupportedFile', message: expect.stringContaining('"model.bin"') });
    await expect(parseLocalFile(new TextEncoder().encode('{oops'), 'bad.json')).rejects.toMatchObject({ code: 'UnreadableFile' });
    await expect(parseLocalFile(new TextEncoder().encode('PAR1 not really'), 'bad.parquet')).rejects.toBeInstanceOf(DataError);
    await expect(parseLocalFile(new TextEncoder().encode('text,label\n'), 'empty.csv')).rejects.toMatchObject({ code: 'EmptySplit' });
  });

  it('drops CSV lines with the wrong number of fields and counts them', async () => {
    const table = await parseLocalFile(new TextEncoder().encode('text,label\ngood,1\ntoo,many,fields\nalso good,0\n'), 'ragged.csv');
    expect(table.rows).toEqual([{ text: 'good', label: 1 }, { text: 'also good', label: 0 }]);
    expect(table.badRows).toBe(1);
  });
});

describe('localDataset with a validation file', () => {
  it('has train and validation splits, validates on all of the second file, and reads each file\'s own rows', async () => {
    const train = await parseLocalFile(fileBytes('train.csv', delimited(',')), 'train.csv');
    const validation = await parseLocalFile(new TextEncoder().encode('label\treview\tstars\npos\tnice one\t5\nneg\tawful one\t1\n'), 'dev.tsv');
    const handle = localDataset(train, validation);
    expect(handle.splits).toEqual([{ name: 'train', numRows: 30 }, { name: 'validation', numRows: 2 }]);
    expect(handle.target('validation')).toBe('File "dev.tsv"');
    const report = await inspectDataset(handle);
    expect(report.plan.train).toMatchObject({ split: 'train', take: 'all' });
    expect(report.plan.validation).toMatchObject({ split: 'validation', take: 'all' });
    expect(await handle.sample('validation', 5)).toEqual([{ label: 'pos', review: 'nice one', stars: 5 }, { label: 'neg', review: 'awful one', stars: 1 }]);
    await expect(handle.open('test')).rejects.toMatchObject({ code: 'UnknownSplit', message: expect.stringContaining('"train" and "validation"') });
  });

  it('refuses a validation file that lacks a column of the training file', async () => {
    const train = await parseLocalFile(fileBytes('train.csv', delimited(',')), 'train.csv');
    const other = await parseLocalFile(new TextEncoder().encode('review,label\nfine,pos\n'), 'other.csv');
    expect(() => localDataset(train, other)).toThrow(DataError);
    expect(() => localDataset(train, other)).toThrow('Validation file "other.csv" lacks the column stars of "train.csv"; give both files the same header.');
  });
});
