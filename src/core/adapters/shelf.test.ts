/** The shelf holds several live adapters on one encoder, each with its head, and resolves setups over them. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAdapter } from './adapter.ts';
import { createShelf } from './shelf.ts';
import { TINY } from './test-support.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('adapter shelf', () => {
  it('keeps each adapter with its head and labels, refuses another encoder\'s, frees what it removes', () => {
    const shelf = createShelf(TINY.bert);
    const sentiment = createAdapter(TINY.bert, 'seq_bn', { name: 'sentiment', head: { numLabels: 2, id2label: ['neg', 'pos'] } });
    const topics = createAdapter(TINY.bert, 'seq_bn', { name: 'topics', head: { numLabels: 3, id2label: ['a', 'b', 'c'] } });
    shelf.add(sentiment, { kind: 'trained', source: 'run 1' });
    shelf.add(topics, { kind: 'hub', source: 'AdapterHub/tiny-bert-pf-topics' });
    expect(shelf.entries().map((e) => [e.adapter.name, e.adapter.head?.id2label, e.origin.kind])).toEqual([['sentiment', ['neg', 'pos'], 'trained'], ['topics', ['a', 'b', 'c'], 'hub']]);
    const twin = createAdapter(TINY.roberta, 'seq_bn', { name: 'twin' });
    expect(() => shelf.add(twin, { kind: 'file', source: 'x' })).toThrow(/built on "test\/roberta", not on the loaded "test\/bert"/);
    twin.dispose();
    expect(shelf.resolve({ block: 'Parallel', adapters: ['topics', 'sentiment'] }).map((a) => a.name)).toEqual(['topics', 'sentiment']);
    expect(() => shelf.resolve({ block: 'Stack', adapters: ['sentiment', 'nope'] })).toThrow(/no adapter "nope" is loaded \(loaded: sentiment, topics\)/);
    const before = tf.memory().numTensors;
    shelf.remove('topics');
    expect(tf.memory().numTensors).toBeLessThan(before);
    // The name is free again once removed.
    shelf.add(createAdapter(TINY.bert, 'lora', { name: 'topics' }), { kind: 'file', source: 'topics.zip' });
    expect(() => shelf.add(createAdapter(TINY.bert, 'lora', { name: 'other' }), { kind: 'file', source: 'y' })).not.toThrow();
    shelf.dispose();
    expect(shelf.entries()).toEqual([]);
  });
});
