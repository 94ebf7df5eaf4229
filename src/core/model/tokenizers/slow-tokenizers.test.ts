/**
 * Tokenizers built from repos that ship only the slow files, served by the offline Hub, against token ids made
 * by the real libraries from the same files (testdata/real/README.md):
 * - WordPiece (SiBERT's vocab.txt, cased as shipped and uncased) and byte-level BPE (KantaiBERT's vocab.json +
 *   merges.txt): Hugging Face's Rust `tokenizers` (goldens-rust.json.gz, make-goldens.mjs);
 * - SentencePiece Unigram and BPE models: Google's sentencepiece library (goldens-spm.json.gz, make-spm.py).
 * Corpus: corpus.json, 223 texts (punctuation, accents, CJK, Sinhala, emoji, zero-width and control characters,
 * long words, special-token strings), 75 pairs, truncation to 6, 9, 16 and 33 tokens.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubEndpoint, offlineHub } from '../../../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../../../hub-server/index.ts';
import { writeRepo } from '../../../hub-server/test-hub.ts';
import { ModelLoadError } from '../errors.ts';
import { type EncoderTokenizer, loadTokenizer } from '../tokenizer.ts';

const real = join(import.meta.dirname, 'testdata', 'real');
const file = (path: string) => readFileSync(join(real, path));
const corpus = JSON.parse(file('corpus.json').toString('utf8')) as { texts: string[]; pairs: [string, string][]; maxLengths: number[] };
const gunzipJson = (path: string) => JSON.parse(gunzipSync(file(path)).toString('utf8'));

interface RustGoldens {
  singles: number[][];
  pairs: { ids: number[]; types: string }[];
  truncated: Record<string, { singles: number[][]; pairs: { ids: number[]; types: string }[] }>;
}
const rust = gunzipJson('goldens-rust.json.gz') as Record<'wordpiece-cased' | 'wordpiece-uncased' | 'byte-level-bpe', RustGoldens>;
const spm = gunzipJson('goldens-spm.json.gz') as Record<'unigram' | 'bpe', number[][]>;

const sibert = { 'config.json': file('sibert/config.json'), 'vocab.txt': file('sibert/vocab.txt'), 'special_tokens_map.json': file('sibert/special_tokens_map.json') };
const kantaibert = { 'config.json': file('kantaibert/config.json'), 'vocab.json': file('kantaibert/vocab.json'), 'merges.txt': file('kantaibert/merges.txt') };
/** config.json of an XLM-R checkpoint with `pieces` SentencePiece pieces (fairseq adds <pad> and <mask>). */
const xlmrConfig = (pieces: number) => JSON.stringify({ model_type: 'xlm-roberta', vocab_size: pieces + 2, max_position_embeddings: 514, type_vocab_size: 1, pad_token_id: 1 });

let server: RunningHubServer;
let ep: HubEndpoint;
let root: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'slow-tokenizers-'));
  writeRepo(root, 'models', 'real/sibert', undefined, { ...sibert, 'tokenizer_config.json': file('sibert/tokenizer_config.json') });
  writeRepo(root, 'models', 'real/sibert-uncased', undefined, { ...sibert, 'tokenizer_config.json': '{"do_lower_case": true}' });
  writeRepo(root, 'models', 'real/kantaibert', undefined, kantaibert);
  writeRepo(root, 'models', 'real/spm-unigram', undefined, { 'config.json': xlmrConfig(946), 'sentencepiece.bpe.model': file('spm-unigram.model') });
  writeRepo(root, 'models', 'real/spm-bpe', undefined, { 'config.json': xlmrConfig(1000), 'sentencepiece.bpe.model': file('spm-bpe.model') });
  server = await startHubServer({ root, port: 0 });
  ep = offlineHub(server.url);
});
afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

/** Token ids of one encoded text (no padding: batch of one). */
const ids = (tok: EncoderTokenizer, text: string, pair?: string, maxLength?: number) => {
  const e = tok.encode([text], pair === undefined ? undefined : [pair], { maxLength });
  return { ids: [...e.inputIds], types: [...e.tokenTypeIds].join('') };
};

/** Indices where `got(i)` differs from `want(i)`, with the text, for a readable failure. */
function mismatches<T>(count: number, got: (i: number) => T, want: (i: number) => T, label: (i: number) => string) {
  const out: { at: string; got: T; want: T }[] = [];
  for (let i = 0; i < count; i++) {
    const g = got(i);
    const w = want(i);
    if (JSON.stringify(g) !== JSON.stringify(w)) out.push({ at: label(i), got: g, want: w });
  }
  return out;
}

describe.each([
  { repo: 'real/sibert', kind: 'wordpiece-cased' as const, source: 'vocab.txt' },
  { repo: 'real/sibert-uncased', kind: 'wordpiece-uncased' as const, source: 'vocab.txt' },
  { repo: 'real/kantaibert', kind: 'byte-level-bpe' as const, source: 'vocab.json+merges.txt' },
])('$repo ($kind) agrees with the Rust tokenizers library', ({ repo, kind, source }) => {
  let tok: EncoderTokenizer;
  const golden = rust[kind];
  const text = (i: number) => JSON.stringify(corpus.texts[i]);
  const pair = (i: number) => JSON.stringify(corpus.pairs[i]);
  beforeAll(async () => {
    tok = await loadTokenizer(ep, repo);
  });

  it(`says it was built from ${source}`, () => {
    expect(tok.source).toBe(source);
  });

  it(`on all ${corpus.texts.length} texts`, () => {
    expect(mismatches(corpus.texts.length, (i) => ids(tok, corpus.texts[i]).ids, (i) => golden.singles[i], text)).toEqual([]);
  });

  it(`on all ${corpus.pairs.length} pairs, token types included`, () => {
    // RoBERTa models have one token type: the encoder is given 0 everywhere, as RobertaProcessing does.
    expect(mismatches(corpus.pairs.length, (i) => ids(tok, ...corpus.pairs[i]), (i) => golden.pairs[i], pair)).toEqual([]);
  });

  it.each(corpus.maxLengths)('truncated to %i tokens (longest_first for pairs)', (maxLength) => {
    const t = golden.truncated[maxLength];
    expect(mismatches(corpus.texts.length, (i) => ids(tok, corpus.texts[i], undefined, maxLength).ids, (i) => t.singles[i], text)).toEqual([]);
    expect(mismatches(corpus.pairs.length, (i) => ids(tok, ...corpus.pairs[i], maxLength), (i) => t.pairs[i], pair)).toEqual([]);
  });
});

describe.each(['unigram', 'bpe'] as const)('XLM-R layout over a SentencePiece %s model agrees with the sentencepiece library', (name) => {
  let tok: EncoderTokenizer;
  const pieces = spm[name];
  // The slow tokenizer matches special-token strings before SentencePiece sees the text; sentencepiece alone does
  // not, so those texts are checked in tokenizer-files.test.ts instead.
  const plain = corpus.texts.map((_, i) => i).filter((i) => !/<\/?s>|<unk>|<pad>|<mask>/.test(corpus.texts[i]));
  beforeAll(async () => {
    tok = await loadTokenizer(ep, `real/spm-${name}`);
  });

  it('says it was built from sentencepiece.bpe.model', () => {
    expect(tok.source).toBe('sentencepiece.bpe.model');
    expect(plain.length).toBeGreaterThan(200);
  });

  /**
   * Where the fast pipeline is known to part from sentencepiece itself (asserted exactly, so both a new
   * difference and a fixed one fail the test): with the bpe model's identity normaliser, a tab, CR or newline
   * at the end. transformers' converter strips trailing whitespace (Strip normaliser); sentencepiece only
   * strips spaces and keeps the rest as <unk>. (The unigram model's nmt_nfkc charsmap maps them to spaces.)
   */
  const knownDifference = (text: string) => name === 'bpe' && /[\t\n\r]$/.test(text);

  it('wraps the library\'s pieces, shifted to fairseq ids, in <s> … </s>', () => {
    const differing = mismatches(plain.length, (k) => ids(tok, corpus.texts[plain[k]]).ids, (k) => [0, ...pieces[plain[k]], 2], (k) => corpus.texts[plain[k]]);
    const known = plain.map((i) => corpus.texts[i]).filter(knownDifference);
    expect(known.length).toBe(name === 'bpe' ? 3 : 0);
    expect(differing.map((d) => d.at)).toEqual(known);
  });

  it('builds <s> A </s></s> B </s> for pairs and truncates them longest-first', () => {
    const index = new Map(corpus.texts.map((t, i) => [t, i]));
    const usable = corpus.pairs.filter(([a, b]) => [a, b].every((t) => plain.includes(index.get(t)!) && !knownDifference(t)));
    expect(usable.length).toBeGreaterThan(60);
    for (const maxLength of [undefined, ...corpus.maxLengths]) {
      const want = ([a, b]: [string, string]) => {
        let [x, y] = [pieces[index.get(a)!], pieces[index.get(b)!]];
        const budget = maxLength === undefined ? Infinity : maxLength - 4;
        if (x.length + y.length > budget) {
          // Rust's truncate_encodings, as the WordPiece/BPE goldens above confirm: when the shorter side fits in
          // half the budget only the longer is cut, to what the shorter leaves; else the shorter side gets half
          // (rounded down) and the longer the rest, a tie counting the pair as the longer.
          const half = Math.floor(budget / 2);
          if (Math.min(x.length, y.length) <= half) {
            if (x.length > y.length) x = x.slice(0, budget - y.length);
            else y = y.slice(0, budget - x.length);
          } else if (x.length > y.length) {
            [x, y] = [x.slice(0, budget - half), y.slice(0, half)];
          } else {
            [x, y] = [x.slice(0, half), y.slice(0, budget - half)];
          }
        }
        return { ids: [0, ...x, 2, 2, ...y, 2], types: '0'.repeat(x.length + y.length + 4) };
      };
      expect(mismatches(usable.length, (i) => ids(tok, ...usable[i], maxLength), (i) => want(usable[i]), (i) => `${maxLength}: ${JSON.stringify(usable[i])}`)).toEqual([]);
    }
  });
});

describe('DeBERTa-v2 layout (spm.model) over the SentencePiece models agrees with the sentencepiece library', () => {
  // DebertaV2Tokenizer keeps the model's own ids; [CLS] and [SEP] are not pieces of these models, so they come after them.
  const plain = corpus.texts.map((_, i) => i).filter((i) => !/<\/?s>|<unk>|<pad>|<mask>|\[(CLS|SEP|UNK|PAD|MASK)\]/.test(corpus.texts[i]));
  const spmIds = (xlmr: number) => (xlmr === 3 ? 0 : xlmr - 1);
  it.each([['unigram', 946], ['bpe', 1000]] as const)('%s: [CLS] + the library\'s ids + [SEP], from spm.model', async (name, pieces) => {
    writeRepo(root, 'models', `real/spm-deberta-${name}`, undefined, {
      'config.json': JSON.stringify({ model_type: 'deberta-v2', vocab_size: pieces + 5, max_position_embeddings: 512, type_vocab_size: 0 }),
      'spm.model': file(`spm-${name}.model`), 'tokenizer_config.json': '{"do_lower_case": false, "vocab_type": "spm", "unk_token": "<unk>"}',
    });
    const tok = await loadTokenizer(ep, `real/spm-deberta-${name}`);
    expect(tok.source).toBe('spm.model');
    const [cls, sep] = [ids(tok, '').ids[0], ids(tok, '').ids.at(-1)!];
    expect(cls).toBeGreaterThanOrEqual(pieces);
    expect(sep).toBeGreaterThanOrEqual(pieces);
    // With the identity normaliser (no charsmap, so transformers.js runs the Strip): as for XLM-R above, a trailing tab
    // or newline (Strip removes it, sentencepiece keeps <unk>), and a leading U+FEFF, which JavaScript's trim takes
    // and Rust's Strip (char::is_whitespace) leaves. The unigram model's charsmap puts the Strip in the studio's hands: none.
    const known = plain.map((i) => corpus.texts[i]).filter((t) => name === 'bpe' && (/[\t\n\r]$/.test(t) || t.startsWith('\uFEFF')));
    const differing = mismatches(plain.length, (k) => ids(tok, corpus.texts[plain[k]]).ids, (k) => [cls, ...spm[name][plain[k]].map(spmIds), sep], (k) => corpus.texts[plain[k]]);
    expect(differing.map((d) => d.at)).toEqual(known);
    // Pairs: [CLS] a [SEP] b [SEP].
    const [a, b] = corpus.pairs[0];
    expect(ids(tok, a, b).ids).toEqual([...ids(tok, a).ids.slice(0, -1), sep, ...ids(tok, b).ids.slice(1)]);
  });
});

describe('CamemBERT layout over the SentencePiece unigram model', () => {
  it('numbers pieces as CamembertTokenizer does: <unk> 3, every other piece id + 4, so <s> = 5 and </s> = 6', async () => {
    writeRepo(root, 'models', 'real/spm-camembert', undefined, {
      'config.json': JSON.stringify({ model_type: 'camembert', vocab_size: 946 + 5, max_position_embeddings: 514, type_vocab_size: 1, pad_token_id: 1 }),
      'sentencepiece.bpe.model': file('spm-unigram.model'),
    });
    const tok = await loadTokenizer(ep, 'real/spm-camembert');
    // goldens-spm holds XLM-R's mapping (unk 3, id + 1); CamemBERT's offset is 4.
    const camembert = (xlmr: number) => (xlmr === 3 ? 3 : xlmr + 3);
    const plain = corpus.texts.map((_, i) => i).filter((i) => !/<\/?s>|<unk>|<pad>|<mask>/.test(corpus.texts[i]));
    expect(mismatches(plain.length, (k) => ids(tok, corpus.texts[plain[k]]).ids, (k) => [5, ...spm.unigram[plain[k]].map(camembert), 6], (k) => corpus.texts[plain[k]])).toEqual([]);
    expect(tok.padTokenId).toBe(1);
    expect(ids(tok, 'a <mask>').ids.at(-2)).toBe(946 + 4);
  });
});

describe('refusals name the files', () => {
  it('has only config.json and weights: lists what was looked for and what the repo has', async () => {
    writeRepo(root, 'models', 'broken/no-tokenizer', undefined, { 'config.json': file('sibert/config.json'), 'pytorch_model.bin': 'x' });
    const err = await loadTokenizer(ep, 'broken/no-tokenizer').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).reason).toBe('NoTokenizer');
    expect((err as Error).message).toBe(
      'Model "broken/no-tokenizer" has no tokenizer the studio can read: it looked for tokenizer.json and vocab.txt (BERT\'s WordPiece vocabulary), ' +
      'and tokenizer.json and vocab.txt are missing; it has config.json, pytorch_model.bin. ' +
      'Upload tokenizer.json (tokenizer.save_pretrained() with a recent transformers writes it) or the original tokenizer files.',
    );
  });

  it('has vocab.json without merges.txt', async () => {
    writeRepo(root, 'models', 'broken/no-merges', undefined, { 'config.json': kantaibert['config.json'], 'vocab.json': kantaibert['vocab.json'] });
    await expect(loadTokenizer(ep, 'broken/no-merges')).rejects.toThrow(
      /looked for tokenizer.json and vocab.json \+ merges.txt \(RoBERTa's byte-level BPE vocabulary and merges\), and tokenizer.json and merges.txt are missing; it has config.json, vocab.json\./,
    );
  });

  it.each([
    ['vocab.json that is not JSON', 'broken/bpe-1', { 'vocab.json': '{"<s>": 0, "a": ' }, /^vocab.json of model "broken\/bpe-1" is not valid JSON \(.+\)\. Fix or re-upload vocab.json, or upload tokenizer.json/],
    ['vocab.json with a string id', 'broken/bpe-2', { 'vocab.json': '{"<s>": 0, "a": "1"}' }, /^vocab.json of model "broken\/bpe-2" gives token "a" the id "1"; ids must be non-negative integers\./],
    ['vocab.json that is a list', 'broken/bpe-3', { 'vocab.json': '["<s>", "a"]' }, /^vocab.json of model "broken\/bpe-3" is not a JSON object of token → id\./],
    ['merges.txt with a three-part line', 'broken/bpe-4', { 'merges.txt': '#version: 0.2\nĠ t\nh e x\n' }, /^merges.txt of model "broken\/bpe-4" line 3 is "h e x", expected two symbols separated by one space\./],
  ])('has %s', async (_, id, broken, message) => {
    writeRepo(root, 'models', id, undefined, { ...kantaibert, ...broken });
    const err = await loadTokenizer(ep, id).catch((e: unknown) => e);
    expect((err as ModelLoadError).reason).toBe('NoTokenizer');
    expect((err as Error).message).toMatch(message);
  });

  it('has an empty vocab.txt', async () => {
    writeRepo(root, 'models', 'broken/empty-vocab', undefined, { 'config.json': sibert['config.json'], 'vocab.txt': '' });
    await expect(loadTokenizer(ep, 'broken/empty-vocab')).rejects.toThrow('vocab.txt of model "broken/empty-vocab" is empty. Fix or re-upload vocab.txt');
  });

  it.each([
    // A Git LFS pointer is what a clone without LFS leaves in place of the model.
    ['text in place of the model', 'broken/spm-1', new TextEncoder().encode('version https://git-lfs.github.com/spec/v1\n'), /^sentencepiece.bpe.model of model "broken\/spm-1" is not a SentencePiece model \(.+\)\. Fix or re-upload/],
    ['an empty file', 'broken/spm-2', new Uint8Array(0), /^sentencepiece.bpe.model of model "broken\/spm-2" holds no pieces, so it is not a SentencePiece model\./],
    // ModelProto { pieces: [{ piece: "a", score: 0 }], trainer_spec: { model_type: WORD (3) } }
    ['a word model', 'broken/spm-3', Uint8Array.of(0x0a, 0x08, 0x0a, 0x01, 0x61, 0x15, 0, 0, 0, 0, 0x12, 0x02, 0x18, 0x03), /^sentencepiece.bpe.model of model "broken\/spm-3" is a SentencePiece word model; only Unigram and BPE models have fast equivalents\./],
    // ModelProto { pieces: [{ piece: "a" }], normalizer_spec: { precompiled_charsmap: 3 bytes / a header promising a 400-byte trie } }
    ['a charsmap shorter than its header', 'broken/spm-4', Uint8Array.of(0x0a, 0x08, 0x0a, 0x01, 0x61, 0x15, 0, 0, 0, 0, 0x1a, 0x05, 0x12, 0x03, 1, 2, 3), /^sentencepiece.bpe.model of model "broken\/spm-4" has a precompiled_charsmap of 3 bytes, too short for its header\./],
    ['a charsmap whose trie overruns it', 'broken/spm-5', Uint8Array.of(0x0a, 0x08, 0x0a, 0x01, 0x61, 0x15, 0, 0, 0, 0, 0x1a, 0x0a, 0x12, 0x08, 0x90, 0x01, 0, 0, 0, 0, 0, 0), /^sentencepiece.bpe.model of model "broken\/spm-5" has a precompiled_charsmap whose trie \(400 bytes\) does not fit its 8 bytes\./],
  ])('has %s as sentencepiece.bpe.model', async (_, id, bytes, message) => {
    writeRepo(root, 'models', id, undefined, { 'config.json': xlmrConfig(10), 'sentencepiece.bpe.model': bytes });
    await expect(loadTokenizer(ep, id)).rejects.toThrow(message);
  });
});
