/**
 * Token ids worked out by hand from the fixture vocabularies: each case derives its expectation from the
 * algorithm's definition (BERT basic tokenisation + greedy WordPiece, GPT-2 byte-level BPE merges by rank,
 * SentencePiece Unigram Viterbi) applied to the repo's own vocabulary files, never from the tokenizer under test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubEndpoint, offlineHub } from '../../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../../hub-server/index.ts';
import { type EncoderTokenizer, loadTokenizer } from './tokenizer.ts';

const root = process.env.ADAPTER_STUDIO_FIXTURES!;
const repoFile = (id: string, file: string) => readFileSync(join(root, 'models', id, 'files', file), 'utf8');

let server: RunningHubServer;
let ep: HubEndpoint;
beforeAll(async () => {
  server = await startHubServer({ root, port: 0 });
  ep = offlineHub(server.url);
});
afterAll(async () => server?.close());

/** Every row of an encoded batch as plain arrays. */
function rows(encoded: ReturnType<EncoderTokenizer['encode']>) {
  return Array.from({ length: encoded.batch }, (_, b) => {
    const span = [b * encoded.seq, (b + 1) * encoded.seq] as const;
    return {
      ids: [...encoded.inputIds.subarray(...span)],
      mask: [...encoded.attentionMask.subarray(...span)],
      types: [...encoded.tokenTypeIds.subarray(...span)],
    };
  });
}

describe('BERT WordPiece (adapter-studio/tiny-bert, tokenizer_config.json is only {"do_lower_case": true})', () => {
  const vocab = () => repoFile('adapter-studio/tiny-bert', 'vocab.txt').split('\n');
  let tok: EncoderTokenizer;
  let id: (token: string) => number;
  beforeAll(async () => {
    tok = await loadTokenizer(ep, 'adapter-studio/tiny-bert');
    const v = vocab();
    id = (token) => {
      const i = v.indexOf(token);
      if (i < 0) throw new Error(`test precondition: "${token}" is not in tiny-bert's vocab.txt`);
      return i;
    };
  });

  /** Greedy longest-match-first WordPiece of one word (BERT's WordpieceTokenizer). */
  const wordPiece = (word: string): string[] => {
    const v = new Set(vocab());
    const pieces: string[] = [];
    let start = 0;
    while (start < word.length) {
      let end = word.length;
      let piece: string | undefined;
      while (end > start) {
        const candidate = (start > 0 ? '##' : '') + word.slice(start, end);
        if (v.has(candidate)) { piece = candidate; break; }
        end--;
      }
      if (!piece) return ['[UNK]'];
      pieces.push(piece);
      start = end;
    }
    return pieces;
  };

  it('fills the special tokens a bare tokenizer_config lacks', () => {
    expect(tok.source).toBe('tokenizer.json');
    expect(tok.padTokenId).toBe(id('[PAD]'));
    expect(tok.tokenizer.sep_token_id).toBe(id('[SEP]'));
    expect(tok.maxLength).toBe(128);
  });

  it('lower-cases, splits punctuation and wraps in [CLS] … [SEP]', () => {
    const [row] = rows(tok.encode(['The film was SUPERB!']));
    expect(row.ids).toEqual(['[CLS]', 'the', 'film', 'was', 'superb', '!', '[SEP]'].map(id));
    expect(row.mask).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(row.types).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it('strips accents (uncased BERT) and splits unknown words into ## pieces', () => {
    expect(vocab()).not.toContain('cafe');
    const expected = ['[CLS]', ...wordPiece('cafe'), ...wordPiece('movies'), '[SEP]'];
    expect(expected.filter((t) => t.startsWith('##')).length).toBeGreaterThan(1);
    expect(wordPiece('movies')).toEqual(['movie', '##s']);
    expect(rows(tok.encode(['Café MOVIES']))[0].ids).toEqual(expected.map(id));
  });

  it('maps a character outside the vocabulary to [UNK]', () => {
    expect(rows(tok.encode(['the 日 film']))[0].ids).toEqual(['[CLS]', 'the', '[UNK]', 'film', '[SEP]'].map(id));
  });

  it('builds [CLS] a [SEP] b [SEP] with token types 0 then 1, padded with [PAD]', () => {
    const [long, short] = rows(tok.encode(['the film was', 'superb'], ['very excellent', 'dull']));
    expect(long.ids).toEqual(['[CLS]', 'the', 'film', 'was', '[SEP]', 'very', 'excellent', '[SEP]'].map(id));
    expect(long.types).toEqual([0, 0, 0, 0, 0, 1, 1, 1]);
    expect(short.ids).toEqual([...['[CLS]', 'superb', '[SEP]', 'dull', '[SEP]'].map(id), id('[PAD]'), id('[PAD]'), id('[PAD]')]);
    expect(short.mask).toEqual([1, 1, 1, 1, 1, 0, 0, 0]);
    expect(short.types).toEqual([0, 0, 0, 1, 1, 0, 0, 0]);
  });

  it('truncates singles keeping [SEP], and pairs longest-first', () => {
    expect(rows(tok.encode(['the film was very excellent and the game was superb'], undefined, { maxLength: 6 }))[0].ids)
      .toEqual(['[CLS]', 'the', 'film', 'was', 'very', '[SEP]'].map(id));
    // a = 6 words, b = 2, budget 7 - 3 = 4: a loses 4 → a 2, b 2.
    expect(rows(tok.encode(['the film was very excellent and'], ['superb game'], { maxLength: 7 }))[0].ids)
      .toEqual(['[CLS]', 'the', 'film', '[SEP]', 'superb', 'game', '[SEP]'].map(id));
    // a = 3, b = 3, budget 4: the tie takes from b first, then a → 2 and 2.
    expect(rows(tok.encode(['the film was'], ['very excellent game'], { maxLength: 7 }))[0].ids)
      .toEqual(['[CLS]', 'the', 'film', '[SEP]', 'very', 'excellent', '[SEP]'].map(id));
  });

  it("pads to maxLength with padding 'max_length' and refuses a maxLength with no room for text", () => {
    const encoded = tok.encode(['superb'], undefined, { maxLength: 6, padding: 'max_length' });
    expect(encoded.seq).toBe(6);
    expect(rows(encoded)[0].mask).toEqual([1, 1, 1, 0, 0, 0]);
    expect(() => tok.encode(['superb'], ['dull'], { maxLength: 4 })).toThrow(/maxLength 4 leaves no room for text next to the 3 special tokens/);
    expect(() => tok.encode(['a', 'b'], ['c'])).toThrow(/2 texts but 1 pair texts/);
  });

  it('returns Int32Arrays, never BigInt', () => {
    const encoded = tok.encode(['superb film']);
    for (const array of [encoded.inputIds, encoded.attentionMask, encoded.tokenTypeIds]) expect(array).toBeInstanceOf(Int32Array);
  });
});

describe('RoBERTa byte-level BPE (adapter-studio/tiny-roberta)', () => {
  let tok: EncoderTokenizer;
  let vocab: Record<string, number>;
  let ranks: Map<string, number>;
  beforeAll(async () => {
    tok = await loadTokenizer(ep, 'adapter-studio/tiny-roberta');
    vocab = JSON.parse(repoFile('adapter-studio/tiny-roberta', 'vocab.json'));
    const merges = repoFile('adapter-studio/tiny-roberta', 'merges.txt').split('\n').filter((l) => l && !l.startsWith('#version'));
    ranks = new Map(merges.map((m, i) => [m, i]));
  });

  /** GPT-2 BPE of one pre-token: bytes → printable symbols (space → Ġ), then merge the best-ranked pair until none applies. */
  const bpe = (word: string): string[] => {
    let symbols = [...word].map((ch) => (ch === ' ' ? 'Ġ' : ch));
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (rank !== undefined && rank < bestRank) { bestRank = rank; best = i; }
      }
      if (best < 0) return symbols;
      symbols = [...symbols.slice(0, best), symbols[best] + symbols[best + 1], ...symbols.slice(best + 2)];
    }
  };
  const ids = (...pretokens: string[]) => pretokens.flatMap(bpe).map((t) => {
    if (!(t in vocab)) throw new Error(`test precondition: "${t}" is not in vocab.json`);
    return vocab[t];
  });

  it('marks a leading space with Ġ and wraps in <s> … </s>', () => {
    expect(bpe(' film')[0].startsWith('Ġ')).toBe(true);
    const [row] = rows(tok.encode(['the film was great']));
    expect(row.ids).toEqual([vocab['<s>'], ...ids('the', ' film', ' was', ' great'), vocab['</s>']]);
  });

  it('builds <s> a </s></s> b </s> with all token types 0, padded with <pad> = 1', () => {
    const [long, short] = rows(tok.encode(['the film was great', 'good'], ['very bad', 'bad']));
    const s = vocab['<s>'];
    const e = vocab['</s>'];
    expect(long.ids).toEqual([s, ...ids('the', ' film', ' was', ' great'), e, e, ...ids('very', ' bad'), e]);
    expect(long.types.every((t) => t === 0)).toBe(true);
    const shortIds = [s, ...ids('good'), e, e, ...ids('bad'), e];
    expect(short.ids).toEqual([...shortIds, ...new Array(long.ids.length - shortIds.length).fill(1)]);
    expect(tok.padTokenId).toBe(1);
  });
});

describe('XLM-RoBERTa Unigram (adapter-studio/tiny-xlm-roberta)', () => {
  let tok: EncoderTokenizer;
  let pieces: Map<string, { id: number; score: number }>;
  beforeAll(async () => {
    tok = await loadTokenizer(ep, 'adapter-studio/tiny-xlm-roberta');
    const json = JSON.parse(repoFile('adapter-studio/tiny-xlm-roberta', 'tokenizer.json')) as { model: { vocab: [string, number][] } };
    pieces = new Map(json.model.vocab.map(([piece, score], id) => [piece, { id, score }]));
  });

  /** Viterbi: the segmentation of `text` into vocabulary pieces with the highest total log-probability. */
  const viterbi = (text: string): number[] => {
    const best: { score: number; from: number; piece: string }[] = [{ score: 0, from: -1, piece: '' }];
    for (let end = 1; end <= text.length; end++) {
      best[end] = { score: -Infinity, from: -1, piece: '' };
      for (let start = 0; start < end; start++) {
        const entry = pieces.get(text.slice(start, end));
        if (!entry || best[start].score === -Infinity || start === end) continue;
        const score = best[start].score + entry.score;
        if (score > best[end].score) best[end] = { score, from: start, piece: text.slice(start, end) };
      }
    }
    if (best[text.length].score === -Infinity) throw new Error(`test precondition: "${text}" cannot be segmented`);
    const out: number[] = [];
    for (let end = text.length; end > 0; end = best[end].from) out.unshift(pieces.get(best[end].piece)!.id);
    return out;
  };

  it('prepends ▁ to each word, segments by Viterbi and wraps in <s> … </s>', () => {
    const [row] = rows(tok.encode(['the film was great']));
    expect(row.ids).toEqual([0, ...viterbi('▁the'), ...viterbi('▁film'), ...viterbi('▁was'), ...viterbi('▁great'), 2]);
  });

  it('builds <s> a </s></s> b </s> for pairs', () => {
    const [row] = rows(tok.encode(['good film'], ['bad']));
    expect(row.ids).toEqual([0, ...viterbi('▁good'), ...viterbi('▁film'), 2, 2, ...viterbi('▁bad'), 2]);
    expect(row.types.every((t) => t === 0)).toBe(true);
  });
});
