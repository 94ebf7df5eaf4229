// IndexedDB as browsers and workers have it (an in-memory implementation of the W3C API).
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { detectMapping } from './column-mapping.ts';
import { IndexedDbExampleStore, openExampleStore } from './example-store.ts';
import { ExampleStream } from './example-stream.ts';
import type { Example } from './examples.ts';
import { memoryRowSource } from './row-source.ts';

const rows = Array.from({ length: 2500 }, (_, i) => ({ text: `row ${i}`, label: i % 3 }));
const mapping = detectMapping('test', [{ name: 'text', kind: 'string', type: 'text' }, { name: 'label', kind: 'int', type: 'int' }], rows);

describe('IndexedDB example cache', () => {
  it('is chosen when IndexedDB exists and keeps chunks in order', async () => {
    const store = await openExampleStore('run-1/train');
    expect(store).toBeInstanceOf(IndexedDbExampleStore);
    const chunk = (from: number): Example[] => [0, 1, 2].map((i) => ({ text: `t${from + i}`, label: 0, row: from + i }));
    await store.append(chunk(0));
    await store.append(chunk(3));
    expect(store.count).toBe(6);
    const read: Example[] = [];
    for await (const c of store.chunks()) read.push(...c);
    expect(read.map((e) => e.row)).toEqual([0, 1, 2, 3, 4, 5]);
    // Another key is another cache; reopening a key starts it empty.
    const other = await openExampleStore('run-1/validation');
    expect(other.count).toBe(0);
    const reopened = await openExampleStore('run-1/train');
    const left: Example[] = [];
    for await (const c of reopened.chunks()) left.push(...c);
    expect(left).toEqual([]);
  });

  it('serves later epochs of a stream, every row once each', async () => {
    let streamed = 0;
    const source = memoryRowSource('memory', rows, 400);
    const counting = { ...source, chunks: (from?: number) => {
      const inner = source.chunks(from);
      return (async function* () {
        for await (const c of inner) {
          streamed += c.rows.length;
          yield c;
        }
      })();
    } };
    const stream = new ExampleStream(counting, { split: 'train', take: 'all' }, mapping, { store: await openExampleStore('run-2/train') });
    for (let epoch = 0; epoch < 3; epoch++) {
      const seen: number[] = [];
      for await (const e of stream.epoch(epoch, { seed: 3, shuffleBuffer: 300 })) seen.push(e.row);
      expect(seen.sort((a, b) => a - b)).toEqual(rows.map((_, i) => i));
    }
    expect(streamed).toBe(2500);
    expect(stream.cached).toBe(2500);
  });
});
