import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
    expect(table.warnings).toEqual(['File "mixed.jsonl": 2 of the 4 lines are not JSON objects (the first is line 2) and are left out.']);
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
    expect(table.warnings).toEqual(['File "ragged.csv": 1 row could not be read (Too many fields: expected 2 fields but parsed 3, row 2) and is left out.']);
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

/** MRPC as GLUE ships it and as the adapters library's tests use it (testdata/real/README.md). */
const real = (name: string) => readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'testdata', 'real', name));

describe('GLUE-style TSV: MRPC train.tsv', () => {
  it('reads all six pairs (" is text, not a quote) and finds the pair #1/#2 String and the label Quality', async () => {
    const tsv = await parseLocalFile(real('mrpc-train.tsv'), 'train.tsv');
    expect(tsv.columns.map((c) => [c.name, c.kind])).toEqual([['Quality', 'int'], ['#1 ID', 'int'], ['#2 ID', 'int'], ['#1 String', 'string'], ['#2 String', 'string']]);
    expect(tsv.rows).toHaveLength(6);
    expect(tsv).toMatchObject({ badRows: 0, warnings: [] });
    expect(tsv.rows[0]['#2 String']).toBe('" The foodservice pie business does not fit our long-term growth strategy .');

    // The same pairs as the library's quoted CSV: same sentences, and Quality 1 is "equivalent".
    const csv = await parseLocalFile(real('mrpc-train.csv'), 'train.csv');
    expect(csv.warnings).toEqual([]);
    expect(tsv.rows.map((r) => [r['#1 String'], r['#2 String'], r.Quality === 1 ? 'equivalent' : 'not_equivalent']))
      .toEqual(csv.rows.map((r) => [r.sentence1, r.sentence2, r.label]));

    const report = await inspectDataset(localDataset(tsv), { seed: 3 });
    expect(report.mapping).toMatchObject({ text: '#1 String', textPair: '#2 String', label: 'Quality', labelKind: 'int', labelNames: ['0', '1'] });
    expect(report.mapping.reasons.text).toBe('sentence pair "#1 string" / "#2 string"');
    // Six rows are too few for a 10% hold-out: the only warning says so.
    expect(report.warnings).toEqual(['"train" has 6 rows and none falls in the 10% hold-out, so the run will have no validation metrics. Give a validation split or file, or use more rows.']);
  });

  it('read with CSV quoting (named .csv) the stray quotes join lines, and the warning gives the counts', async () => {
    const table = await parseLocalFile(real('mrpc-train.tsv'), 'mrpc.csv');
    expect(table.rows).toHaveLength(1);
    expect(table.warnings).toEqual(['File "mrpc.csv": its 6 lines after the header gave 1 row: quoted cells took in 5 line breaks. If the file does not quote cells with ", a stray " joined those lines: remove it, or save the file as .tsv if it is tab-separated.']);
    expect((await inspectDataset(localDataset(table))).warnings).toEqual([...table.warnings, '"train" has 1 row and none falls in the 10% hold-out, so the run will have no validation metrics. Give a validation split or file, or use more rows.']);
  });

  it('a TSV line with a field too many or too few is left out and counted', async () => {
    const text = 'sentence\tlabel\ngood one\t1\ntab\tin the\ttext\t0\nalso good\t0\nno label\n';
    const table = await parseLocalFile(new TextEncoder().encode(text), 'ragged.tsv');
    expect(table.rows).toEqual([{ sentence: 'good one', label: 1 }, { sentence: 'also good', label: 0 }]);
    expect(table.badRows).toBe(2);
    expect(table.warnings).toEqual(['File "ragged.tsv": 2 of the 4 lines after the header do not have 2 tab-separated fields (the first is line 3) and are left out.']);
  });

  it('a TSV whose writer quoted the cells holding line breaks (pandas) is read with its quotes', async () => {
    const text = 'text\tlabel\n"two\nlines"\t1\nplain\t0\n';
    const table = await parseLocalFile(new TextEncoder().encode(text), 'quoted.tsv');
    expect(table.rows).toEqual([{ text: 'two\nlines', label: 1 }, { text: 'plain', label: 0 }]);
    expect(table.badRows).toBe(0);
  });
});
