/**
 * Word-to-sub-word alignment worked by hand: run_ner's tokenize_and_align_labels on given word ids, then the words
 * of "maria lopez visited paris" on tiny-bert (WordPiece: m ##a ##r ##i ##a / l ##o ##p ##e ##z / v ##i ##s ##i ##t
 * ##ed / p ##a ##r ##i ##s), tiny-roberta (byte-level BPE with add_prefix_space: ĠM ari a / Ġ L op e z) and
 * tiny-xlm-roberta (Unigram: ▁ M a r i a ...), each word's first token labelled; and the cut at the maximum length.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubEndpoint, offlineHub } from '../../../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../../../hub-server/index.ts';
import { loadTokenizer } from '../../model/tokenizer.ts';
import { IGNORE, alignLabels, encodeWords, needsPrefixSpace } from './align.ts';

let server: RunningHubServer;
let ep: HubEndpoint;
beforeAll(async () => {
  server = await startHubServer({ root: process.env.ADAPTER_STUDIO_FIXTURES!, port: 0 });
  ep = offlineHub(server.url);
});
afterAll(async () => server?.close());

const _ = IGNORE;

describe('alignLabels', () => {
  it('labels the first token of each word and ignores the rest, as run_ner', () => {
    // [CLS] w0 w0 w1 w2 w2 w2 [SEP]
    expect(alignLabels([null, 0, 0, 1, 2, 2, 2, null], [3, 0, 5])).toEqual([_, 3, _, 0, 5, _, _, _]);
    // A word split over two separate runs counts once per run start (run_ner compares with the previous word only).
    expect(alignLabels([null, 0, 1, 0, null], [1, 2])).toEqual([_, 1, 2, 1, _]);
  });
});

describe('encodeWords on the demo tokenizers', () => {
  const words = ['Maria', 'Lopez', 'visited', 'Paris'];
  const tags = [1, 2, 0, 5];

  it('tiny-bert: [CLS] m ##a ##r ##i ##a l ##o ##p ##e ##z v ##i ##s ##i ##t ##ed p ##a ##r ##i ##s [SEP]', async () => {
    const tokenizer = await loadTokenizer(ep, 'adapter-studio/tiny-bert');
    expect(needsPrefixSpace(tokenizer)).toBe(false);
    const encoded = encodeWords(tokenizer, words, 64);
    expect(encoded.wordIds).toEqual([null, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, null]);
    expect(encoded.inputIds).toEqual([...tokenizer.encode([words.join(' ')]).inputIds]);
    expect(alignLabels(encoded.wordIds, tags)).toEqual([_, 1, _, _, _, _, 2, _, _, _, _, 0, _, _, _, _, _, 5, _, _, _, _, _]);
    expect(encoded.wordsKept).toBe(4);
    // 8 positions: [CLS] + 6 tokens + [SEP]; the cut keeps "maria" and the first piece of "lopez".
    const cut = encodeWords(tokenizer, words, 8);
    expect(cut.wordIds).toEqual([null, 0, 0, 0, 0, 0, 1, null]);
    expect(cut.wordsKept).toBe(2);
  });

  it('tiny-roberta: the first word gets the leading space add_prefix_space gives it; a lone "Ġ" piece starts its word', async () => {
    const tokenizer = await loadTokenizer(ep, 'adapter-studio/tiny-roberta');
    expect(needsPrefixSpace(tokenizer)).toBe(true);
    const encoded = encodeWords(tokenizer, ['Maria', 'Lopez'], 64);
    // <s> ĠM ari a Ġ L op e z </s>: "Maria" as run_ner's add_prefix_space=True reads it, not as "M ari a".
    expect(tokenizer.tokenizeWithOffsets(' Maria Lopez').tokens).toEqual(['ĠM', 'ari', 'a', 'Ġ', 'L', 'op', 'e', 'z']);
    expect(tokenizer.tokenizeWithOffsets('Maria Lopez').tokens[0]).toBe('M');
    expect(encoded.inputIds).toEqual([...tokenizer.encode([' Maria Lopez']).inputIds]);
    expect(encoded.wordIds).toEqual([null, 0, 0, 0, 1, 1, 1, 1, 1, null]);
  });

  it('tiny-xlm-roberta: the "▁" piece before a word starts it', async () => {
    const tokenizer = await loadTokenizer(ep, 'adapter-studio/tiny-xlm-roberta');
    const encoded = encodeWords(tokenizer, ['the', 'film', 'was', 'by', 'Maria'], 64);
    // <s> ▁the ▁film ▁was ▁by ▁ M a r i a </s>
    expect(encoded.wordIds).toEqual([null, 0, 1, 2, 3, 4, 4, 4, 4, 4, 4, null]);
    expect(() => encodeWords(tokenizer, ['a'], 2)).toThrow(/leaves no room for words/);
  });
});
