/**
 * Words to sub-word tokens, as transformers' run_ner.py does with is_split_into_words: every word is tokenised,
 * each token knows its word (word_ids), and only the first token of a word carries the word's tag; its other tokens,
 * the special tokens and padding get −100, which CrossEntropyLoss ignores.
 *
 * The words are joined by single spaces and tokenised once with character offsets (token-offsets.ts), each token
 * belonging to the word its first character falls in: the tokens of is_split_into_words. A tokenizer that reads a
 * leading space as part of the first token (byte-level BPE: RoBERTa, DeBERTa v1) gets one before the first word, as
 * run_ner's add_prefix_space=True gives it, so the first word is tokenised like the others.
 */
import type { EncoderTokenizer } from '../../model/tokenizer.ts';

/** CrossEntropyLoss' ignore_index: the label of positions that are not a word's first token. */
export const IGNORE = -100;

export type WordTokenizer = Pick<EncoderTokenizer, 'tokenizeWithOffsets' | 'assemble' | 'specialTokenCount'>;

/** run_ner's tokenize_and_align_labels for one row: the word's tag at its first token, −100 elsewhere (null word ids are special tokens). */
export function alignLabels(wordIds: readonly (number | null)[], tags: readonly number[]): number[] {
  let previous: number | null = null;
  return wordIds.map((word) => {
    const label = word === null || word === previous ? IGNORE : tags[word];
    previous = word;
    return label;
  });
}

export interface EncodedWords {
  inputIds: number[];
  tokenTypeIds: number[];
  /** The word of each position; null for special tokens. */
  wordIds: (number | null)[];
  /** Words that kept at least one token (the rest were cut by the maximum length). */
  wordsKept: number;
}

const prefixSpace = new WeakMap<WordTokenizer, boolean>();

/** Whether a leading space changes the first token (byte-level BPE's "Ġ"; WordPiece and SentencePiece drop it or add "▁" anyway). */
export function needsPrefixSpace(tokenizer: WordTokenizer): boolean {
  let known = prefixSpace.get(tokenizer);
  if (known === undefined) {
    known = tokenizer.tokenizeWithOffsets(' a').tokens.join(' ') !== tokenizer.tokenizeWithOffsets('a').tokens.join(' ');
    prefixSpace.set(tokenizer, known);
  }
  return known;
}

/** [start, end) code points of each word in `prefix` + words.join(' '). */
function wordSpans(words: readonly string[], prefix: number): [number, number][] {
  let at = prefix;
  return words.map((w) => {
    const span: [number, number] = [at, at + [...w].length];
    at = span[1] + 1;
    return span;
  });
}

/** The tokens of the words with the model's special tokens, cut to `maxLength` positions, and each position's word. */
export function encodeWords(tokenizer: WordTokenizer, words: readonly string[], maxLength: number): EncodedWords {
  const budget = maxLength - tokenizer.specialTokenCount(false);
  if (budget < 1) throw new RangeError(`A maximum length of ${maxLength} leaves no room for words next to the ${tokenizer.specialTokenCount(false)} special tokens.`);
  const prefix = needsPrefixSpace(tokenizer) ? ' ' : '';
  const { tokens, offsets } = tokenizer.tokenizeWithOffsets(prefix + words.join(' '));
  const spans = wordSpans(words, prefix.length);
  const tokenWords: number[] = [];
  let word = 0;
  for (let t = 0; t < tokens.length; t++) {
    const start = offsets[2 * t];
    // Offsets grow with the tokens; a token without a place (−1) continues the word before it.
    if (start >= 0) while (word < spans.length - 1 && start >= spans[word][1] + 1) word++;
    tokenWords.push(word);
  }
  const kept = Math.min(tokens.length, budget);
  const { ids, tokenTypeIds, aStart } = tokenizer.assemble(tokens.slice(0, kept), null);
  const wordIds: (number | null)[] = ids.map((_, i) => (i >= aStart && i < aStart + kept ? tokenWords[i - aStart] : null));
  const wordsKept = kept === 0 ? 0 : tokenWords[kept - 1] + 1;
  return { inputIds: ids, tokenTypeIds, wordIds, wordsKept };
}
