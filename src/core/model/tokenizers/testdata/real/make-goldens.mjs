// Writes goldens-rust.json.gz: token ids of corpus.json from Hugging Face's Rust `tokenizers` (the npm binding,
// the library every tokenizer.json is run by), reading the slow files with its own readers (WordPiece.fromFile,
// BPE.fromFile) and assembled as transformers' convert_slow_tokenizer.py does (BertConverter, RobertaConverter).
// Not run by the tests; regenerate with:
//   npm install --prefix /tmp/tokref tokenizers@0.23.2
//   TOKENIZERS=/tmp/tokref/node_modules/tokenizers node make-goldens.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const tk = createRequire(import.meta.url)(process.env.TOKENIZERS ?? 'tokenizers');
const corpus = JSON.parse(readFileSync(join(here, 'corpus.json'), 'utf8'));

/** BertConverter: BertNormalizer(clean_text, handle_chinese_chars, strip_accents, lowercase), BertPreTokenizer, WordPiece, [CLS] $A [SEP] $B:1 [SEP]:1. */
async function wordPiece(vocabFile, lowercase) {
  const vocab = readFileSync(vocabFile, 'utf8').split('\n');
  const id = (t) => vocab.indexOf(t);
  const tok = new tk.Tokenizer(await tk.WordPiece.fromFile(vocabFile, { unkToken: '[UNK]' }));
  tok.setNormalizer(tk.bertNormalizer({ cleanText: true, handleChineseChars: true, lowercase }));
  tok.setPreTokenizer(tk.bertPreTokenizer());
  tok.setPostProcessor(tk.templateProcessing('[CLS]:0 $A:0 [SEP]:0', '[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1', [['[CLS]', id('[CLS]')], ['[SEP]', id('[SEP]')]]));
  tok.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  return tok;
}

/** RobertaConverter: ByteLevel(add_prefix_space=False), BPE without unk, RobertaProcessing; <mask> strips the space before it. */
async function byteLevelBpe(vocabFile, mergesFile) {
  const vocab = JSON.parse(readFileSync(vocabFile, 'utf8'));
  const tok = new tk.Tokenizer(await tk.BPE.fromFile(vocabFile, mergesFile, { continuingSubwordPrefix: '', endOfWordSuffix: '', fuseUnk: false }));
  tok.setPreTokenizer(tk.byteLevelPreTokenizer(false, true));
  tok.setPostProcessor(tk.robertaProcessing(['</s>', vocab['</s>']], ['<s>', vocab['<s>']], true, false));
  tok.addAddedTokens(['<s>', '<pad>', '</s>', '<unk>'].map((t) => new tk.AddedToken(t, true)));
  tok.addAddedTokens([new tk.AddedToken('<mask>', true, { leftStrip: true })]);
  return tok;
}

/**
 * Truncated encodings go through `postProcess` (truncate_encodings, then the special tokens) on the full-length
 * encodings of each text: `encode` with truncation set would stop tokenizing a text once it passes max_length
 * (tokenizers 0.23's tokenize_with_limit), which can move a token between the two sides of a pair.
 */
async function encodeAll(tok) {
  const row = (e) => ({ ids: e.getIds(), types: e.getTypeIds().join('') });
  const bare = async (text) => tok.encode(text, null, { addSpecialTokens: false });
  tok.disableTruncation();
  const singles = [];
  for (const text of corpus.texts) singles.push((await tok.encode(text)).getIds());
  const pairs = [];
  for (const [a, b] of corpus.pairs) pairs.push(row(await tok.encode(a, b)));
  const truncated = {};
  for (const maxLength of corpus.maxLengths) {
    const t = { singles: [], pairs: [] };
    for (const text of corpus.texts) {
      const e = await bare(text);
      tok.setTruncation(maxLength, { strategy: 'LongestFirst' });
      t.singles.push(tok.postProcess(e, null, true).getIds());
      tok.disableTruncation();
    }
    for (const [a, b] of corpus.pairs) {
      const [ea, eb] = [await bare(a), await bare(b)];
      tok.setTruncation(maxLength, { strategy: 'LongestFirst' });
      t.pairs.push(row(tok.postProcess(ea, eb, true)));
      tok.disableTruncation();
    }
    truncated[maxLength] = t;
  }
  return { singles, pairs, truncated };
}

const sibert = join(here, 'sibert', 'vocab.txt');
const goldens = {
  source: 'tokenizers 0.23.2 (npm binding of the Rust library), see make-goldens.mjs',
  'wordpiece-cased': await encodeAll(await wordPiece(sibert, false)),
  'wordpiece-uncased': await encodeAll(await wordPiece(sibert, true)),
  'byte-level-bpe': await encodeAll(await byteLevelBpe(join(here, 'kantaibert', 'vocab.json'), join(here, 'kantaibert', 'merges.txt'))),
};
writeFileSync(join(here, 'goldens-rust.json.gz'), gzipSync(JSON.stringify(goldens)));
