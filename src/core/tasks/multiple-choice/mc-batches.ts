/**
 * Multiple-choice batches: each example becomes its N (context, choice) pairs (pairs.ts), tokenised a pool at a
 * time; a batch holds whole examples, their pairs in order (example 0's N, then example 1's...), padded to the
 * batch's longest pair, with one label per example. With bucketing, a pool's examples are sorted by their
 * longest pair and the pool's batches served in a seeded order, as batching.ts does for sentences.
 */
import type { Batch, Tokenize } from '../../data/batching.ts';
import { padIdOf, rowLengths } from '../../data/encoded-rows.ts';
import type { Example } from '../../data/examples.ts';
import { Prng } from '../../random.ts';
import { choicePairs } from './pairs.ts';

export interface ChoiceBatchOptions {
  /** Examples per batch (each brings its N pairs). */
  batchSize: number;
  /** Most tokens per pair. */
  maxLength: number;
  /** Batches per pool tokenised and cut together (default 16). */
  poolBatches?: number;
  /** Sort a pool's examples by their longest pair (default true) and serve its batches in the order of this seed. */
  bucketing?: boolean;
  seed?: number;
}

/** One pool's batches: whole examples a batch, each its choices' pairs (batchExamples pools the examples). */
export async function* choicePool(pool: Example[], poolIndex: number, tokenize: Tokenize, options: ChoiceBatchOptions): AsyncGenerator<Batch> {
  const choices = pool[0].choices?.length ?? 0;
  const bad = pool.find((e) => e.choices?.length !== choices);
  if (bad) throw new RangeError(`Example of row ${bad.row} has ${bad.choices?.length ?? 0} choices, but row ${pool[0].row} has ${choices}; every example needs as many.`);
  const pairs = pool.map(choicePairs);
  const enc = await tokenize(pairs.flatMap((p) => p.first), pairs.flatMap((p) => p.second), { maxLength: options.maxLength });
  if (enc.batch !== pool.length * choices) throw new Error(`The tokenizer returned ${enc.batch} rows for ${pool.length * choices} pairs.`);
  const lengths = rowLengths(enc);
  const padId = padIdOf(enc) ?? 0;
  const longest = pool.map((_, e) => Math.max(...lengths.subarray(e * choices, (e + 1) * choices)));
  const order = pool.map((_, i) => i);
  const bucketing = options.bucketing ?? true;
  if (bucketing) order.sort((a, b) => longest[a] - longest[b] || a - b);
  const groups: number[][] = [];
  for (let i = 0; i < order.length; i += options.batchSize) groups.push(order.slice(i, i + options.batchSize));
  if (bucketing) new Prng((options.seed ?? 0) + poolIndex).shuffle(groups);
  for (const members of groups) {
    const seq = Math.max(1, ...members.map((e) => longest[e]));
    const rowsOut = members.length * choices;
    const inputIds = new Int32Array(rowsOut * seq).fill(padId);
    const attentionMask = new Int32Array(rowsOut * seq);
    const tokenTypeIds = new Int32Array(rowsOut * seq);
    let realTokens = 0;
    members.forEach((e, b) => {
      for (let c = 0; c < choices; c++) {
        const from = e * choices + c;
        const to = b * choices + c;
        const n = lengths[from];
        inputIds.set(enc.inputIds.subarray(from * enc.seq, from * enc.seq + n), to * seq);
        attentionMask.fill(1, to * seq, to * seq + n);
        tokenTypeIds.set(enc.tokenTypeIds.subarray(from * enc.seq, from * enc.seq + n), to * seq);
        realTokens += n;
      }
    });
    yield {
      inputIds, attentionMask, tokenTypeIds, batch: rowsOut, seq, realTokens, choices,
      labels: Int32Array.from(members, (e) => pool[e].label),
      rows: Int32Array.from(members, (e) => pool[e].row),
    };
  }
}
