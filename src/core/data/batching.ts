import { Prng } from '../random.ts';
import { multiHotBatch } from '../tasks/multi-label/label-set.ts';
import { choicePool } from '../tasks/multiple-choice/mc-batches.ts';
import type { QaBatchInfo } from '../tasks/question-answering/qa-batches.ts';
import type { Task } from '../train/trainable-model.ts';
import { padIdOf, rowLengths } from './encoded-rows.ts';
import type { Example } from './examples.ts';

/** Token ids of a list of texts, padded on the right to a common length (what the model's tokenizer `encode` returns). */
export interface Encoded {
  /** [batch, seq] token ids, row-major. */
  inputIds: Int32Array;
  /** [batch, seq] 1 for real tokens, 0 for padding. */
  attentionMask: Int32Array;
  /** [batch, seq] segment of each token: 0 first text, 1 second text of a pair. */
  tokenTypeIds: Int32Array;
  batch: number;
  seq: number;
}

/** Tokenises texts (and second segments of pairs), at most `maxLength` tokens each; decouples batching from the model code. */
export type Tokenize = (texts: string[], pairs: string[] | undefined, options: { maxLength: number }) => Encoded | Promise<Encoded>;

/** A training batch, padded only to its own longest example (dynamic padding). */
export interface Batch extends Encoded {
  /** [batch] class ids (classification, Int32) or targets (regression, Float32); multi-label: [batch · labels] 0/1 (Float32). */
  labels: Int32Array | Float32Array;
  /** [batch] row of each example in its split. */
  rows: Int32Array;
  /** Tokens that are not padding (sum of attentionMask). */
  realTokens: number;
  /** Question answering: each window's example, offsets, context and gold answers (labels then hold start, end per window). */
  qa?: QaBatchInfo;
  /** Token classification: the tag names by id (labels then hold a tag id or −100 per position). */
  tagNames?: readonly string[];
  /** Multiple choice: pairs per example; the rows are then examples × choices pairs, labels and rows one per example. */
  choices?: number;
}

export interface BatchOptions {
  batchSize: number;
  /** Most tokens per example (longer ones are truncated by the tokenizer). */
  maxLength: number;
  task: Task;
  /** Sort each pool of examples by token length before cutting batches, so each batch pads little (default true). */
  bucketing?: boolean;
  /** Batches per pool that is tokenised and cut together (default 16). */
  poolBatches?: number;
  /** Seed of the order in which each pool's batches are served (default 0). */
  seed?: number;
}

/** Real tokens over padded tokens of the batches seen: 1 means no padding at all. */
export class PaddingMeter {
  /** Tokens that are not padding. */
  realTokens = 0;
  /** All token slots, padding included (batch × seq summed). */
  slots = 0;

  add(batch: Batch): void {
    this.realTokens += batch.realTokens;
    this.slots += batch.batch * batch.seq;
  }

  get efficiency(): number {
    return this.slots === 0 ? 1 : this.realTokens / this.slots;
  }
}

function cutBatch(enc: Encoded, lengths: Int32Array, members: number[], pool: Example[], padId: number | undefined, task: BatchOptions['task']): Batch {
  const batch = members.length;
  const seq = Math.max(1, ...members.map((i) => lengths[i]));
  const inputIds = new Int32Array(batch * seq);
  const attentionMask = new Int32Array(batch * seq);
  const tokenTypeIds = new Int32Array(batch * seq);
  const labels = task === 'regression' ? new Float32Array(batch) : new Int32Array(batch);
  const rows = new Int32Array(batch);
  let realTokens = 0;
  members.forEach((i, b) => {
    const n = lengths[i];
    if (n < seq) inputIds.fill(padId ?? 0, b * seq + n, (b + 1) * seq);
    inputIds.set(enc.inputIds.subarray(i * enc.seq, i * enc.seq + n), b * seq);
    attentionMask.fill(1, b * seq, b * seq + n);
    tokenTypeIds.set(enc.tokenTypeIds.subarray(i * enc.seq, i * enc.seq + n), b * seq);
    labels[b] = pool[i].label;
    rows[b] = pool[i].row;
    realTokens += n;
  });
  const targets = task === 'multiLabel' ? multiHotBatch(members.map((i) => pool[i].targets)) : labels;
  return { inputIds, attentionMask, tokenTypeIds, batch, seq, labels: targets, rows, realTokens };
}

async function* batchPool(pool: Example[], poolIndex: number, tokenize: Tokenize, options: BatchOptions): AsyncGenerator<Batch> {
  const pairs = pool[0].textPair === undefined ? undefined : pool.map((e) => e.textPair ?? '');
  const enc = await tokenize(pool.map((e) => e.text), pairs, { maxLength: options.maxLength });
  if (enc.batch !== pool.length) throw new Error(`The tokenizer returned ${enc.batch} rows for ${pool.length} texts.`);
  const lengths = rowLengths(enc);
  const padId = padIdOf(enc);
  const order = pool.map((_, i) => i);
  const bucketing = options.bucketing ?? true;
  if (bucketing) order.sort((a, b) => lengths[a] - lengths[b] || a - b);
  const groups: number[][] = [];
  for (let i = 0; i < order.length; i += options.batchSize) groups.push(order.slice(i, i + options.batchSize));
  // Sorted pools would serve short batches first: serve the buckets in a seeded random order instead.
  if (bucketing) new Prng((options.seed ?? 0) + poolIndex).shuffle(groups);
  for (const members of groups) yield cutBatch(enc, lengths, members, pool, padId, options.task);
}

/**
 * Tokenises examples a pool at a time and cuts padded batches: with bucketing, each pool is sorted by token
 * length so a batch holds examples of similar length and pads only to its own longest one.
 */
export async function* batchExamples(examples: AsyncIterable<Example>, tokenize: Tokenize, options: BatchOptions): AsyncGenerator<Batch> {
  if (!(options.batchSize >= 1)) throw new RangeError(`The batch size must be at least 1, got ${options.batchSize}.`);
  // Multiple choice: whole examples a batch, each its choices' pairs (tasks/multiple-choice/mc-batches.ts).
  const cut = options.task === 'multipleChoice' ? choicePool : batchPool;
  const poolSize = options.batchSize * (options.poolBatches ?? 16);
  let pool: Example[] = [];
  let poolIndex = 0;
  for await (const example of examples) {
    pool.push(example);
    if (pool.length === poolSize) {
      yield* cut(pool, poolIndex++, tokenize, options);
      pool = [];
    }
  }
  if (pool.length > 0) yield* cut(pool, poolIndex, tokenize, options);
}
