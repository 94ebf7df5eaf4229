/**
 * BERT's slow files (vocab.txt + tokenizer_config.json) as the tokenizer.json transformers' BertConverter
 * builds from them: BertNormalizer, BertPreTokenizer, WordPiece, [CLS] A [SEP] (B [SEP]) template.
 * DistilBERT and ELECTRA use the same converter.
 */
import { type AddedTokenJson, type SpecialToken, type SpecialTokenKey, addedTokensJson } from './special-tokens.ts';
import { TokenizerFileError, idSpan } from './tokenizer-file-error.ts';

/** BertTokenizer's basic-tokenizer switches, from tokenizer_config.json. */
export interface WordPieceOptions {
  /** `do_lower_case` (BertTokenizer's default: true). */
  lowercase: boolean;
  /** `strip_accents`; null follows `lowercase`. */
  stripAccents: boolean | null;
  /** `tokenize_chinese_chars` (default true): a space around every CJK ideograph. */
  tokenizeChineseChars: boolean;
}

/** Reads the switches; transformers' defaults where the file is silent. `never_split` has no fast equivalent (BertConverter drops it too). */
export function wordPieceOptions(tokenizerConfig: unknown): WordPieceOptions {
  const c = (typeof tokenizerConfig === 'object' && tokenizerConfig !== null ? tokenizerConfig : {}) as Record<string, unknown>;
  return {
    lowercase: typeof c.do_lower_case === 'boolean' ? c.do_lower_case : true,
    stripAccents: typeof c.strip_accents === 'boolean' ? c.strip_accents : null,
    tokenizeChineseChars: typeof c.tokenize_chinese_chars === 'boolean' ? c.tokenize_chinese_chars : true,
  };
}

/**
 * The vocabulary of vocab.txt: line i is token i, as BertTokenizer's load_vocab reads it (Python text mode,
 * so \r\n, \r and \n all end a line; a later duplicate line takes the token's id).
 */
export function readVocabTxt(text: string, file = 'vocab.txt'): Map<string, number> {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) throw new TokenizerFileError('is empty', file);
  const vocab = new Map<string, number>();
  lines.forEach((token, id) => vocab.set(token, id));
  return vocab;
}

/** BERT's (and DeBERTa's) post-processor: [CLS] A [SEP] with types 0, then B [SEP] with type 1 for a pair. */
export function clsSepTemplate([cls, clsId]: [string, number], [sep, sepId]: [string, number]): object {
  return {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: cls, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: sep, type_id: 0 } }],
    pair: [
      { SpecialToken: { id: cls, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: sep, type_id: 0 } },
      { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: sep, type_id: 1 } },
    ],
    special_tokens: { [cls]: { id: cls, ids: [clsId], tokens: [cls] }, [sep]: { id: sep, ids: [sepId], tokens: [sep] } },
  };
}

export function wordPieceTokenizerJson(vocab: Map<string, number>, options: WordPieceOptions, specials: Partial<Record<SpecialTokenKey, SpecialToken>>, additional: SpecialToken[], declared: AddedTokenJson[]): object {
  const required = (key: 'unk_token' | 'cls_token' | 'sep_token') => {
    const token = specials[key];
    if (!token) throw new TokenizerFileError(`names no ${key}; set it there`, 'tokenizer_config.json');
    return token.content;
  };
  const [unk, cls, sep] = [required('unk_token'), required('cls_token'), required('sep_token')];
  const added = addedTokensJson([...Object.values(specials), ...additional], declared, (t) => vocab.get(t), idSpan(vocab.values()));
  const idOf = (token: string) => added.find((t) => t.content === token)?.id ?? vocab.get(token)!;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: options.tokenizeChineseChars, strip_accents: options.stripAccents, lowercase: options.lowercase },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: clsSepTemplate([cls, idOf(cls)], [sep, idOf(sep)]),
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: unk, continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(vocab) },
  };
}
