/**
 * Tagging one text: its words (split at whitespace, each with its place in the text), their tokens through the
 * model, each word's tag the argmax at its first token with that tag's softmax probability, and the entities the
 * tags spell (strict IOB2, seqeval.ts) with their words' mean probability, as the token-classification pipeline's
 * "first" aggregation labels words.
 */
import * as tf from '@tensorflow/tfjs';
import type { TokenBatch } from '../../train/adapter-trainable.ts';
import type { TrainableModel } from '../../train/trainable-model.ts';
import { type WordTokenizer, encodeWords } from './align.ts';
import { entitiesOf, isIob2 } from './seqeval.ts';

export interface TaggedWord {
  word: string;
  /** [start, end) UTF-16 indices in the text. */
  start: number;
  end: number;
  /** Predicted tag; undefined for words past the maximum length. */
  tag?: string;
  probability?: number;
}

export interface TaggedEntity {
  /** Entity type (the tag without its B- / I- prefix). */
  label: string;
  text: string;
  /** [start, end) UTF-16 indices in the text. */
  start: number;
  end: number;
  /** First word and one past the last. */
  words: [number, number];
  /** Mean probability of its words' tags. */
  probability: number;
}

export interface TaggingResult {
  words: TaggedWord[];
  entities: TaggedEntity[];
  /** Words left untagged by the maximum length. */
  truncatedWords: number;
}

/** Whitespace-separated words with their [start, end) in the text. */
export function splitWords(text: string): { word: string; start: number; end: number }[] {
  return [...text.matchAll(/\S+/g)].map((m) => ({ word: m[0], start: m.index, end: m.index + m[0].length }));
}

export async function tagText(model: TrainableModel<TokenBatch>, tokenizer: WordTokenizer, text: string, tagNames: readonly string[], options: { maxLength: number }): Promise<TaggingResult> {
  const spans = splitWords(text);
  if (spans.length === 0) throw new RangeError('Give a text with at least one word to tag.');
  const encoded = encodeWords(tokenizer, spans.map((s) => s.word), options.maxLength);
  const seq = encoded.inputIds.length;
  const batch: TokenBatch = {
    inputIds: Int32Array.from(encoded.inputIds), attentionMask: new Int32Array(seq).fill(1), tokenTypeIds: Int32Array.from(encoded.tokenTypeIds),
    batch: 1, seq, labels: new Int32Array(seq),
  };
  const probabilities = tf.tidy(() => tf.softmax(model.logits(batch, { training: false, seed: 0 }).reshape([seq, tagNames.length])));
  const values = await probabilities.data() as Float32Array;
  probabilities.dispose();
  const words: TaggedWord[] = spans.map((s) => ({ ...s }));
  let previous: number | null = null;
  encoded.wordIds.forEach((w, t) => {
    if (w !== null && w !== previous) {
      const row = values.subarray(t * tagNames.length, (t + 1) * tagNames.length);
      let best = 0;
      for (let c = 1; c < row.length; c++) if (row[c] > row[best]) best = c;
      words[w].tag = tagNames[best];
      words[w].probability = row[best];
    }
    previous = w;
  });
  // A word without a token of its own (or past the maximum length) counts as outside every entity.
  const entities = entitiesOf(words.map((w) => w.tag ?? 'O'), isIob2(tagNames)).map((e): TaggedEntity => {
    const inside = words.slice(e.start, e.end);
    const probability = inside.reduce((sum, w) => sum + (w.probability ?? 0), 0) / inside.length;
    return { label: e.type, text: text.slice(inside[0].start, inside.at(-1)!.end), start: inside[0].start, end: inside.at(-1)!.end, words: [e.start, e.end], probability };
  });
  return { words, entities, truncatedWords: words.length - encoded.wordsKept };
}
