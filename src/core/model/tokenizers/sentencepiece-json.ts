/**
 * A SentencePiece model as the tokenizer.json transformers' SpmConverter subclasses build from it: the
 * model's pieces rearranged into the checkpoint's id layout, Unigram (or BPE with merges derived from the
 * piece order), the compiled normaliser + Metaspace pre-tokenizer, and the family's special-token template.
 */
import { PIECE_TYPE, type SentencePiece, type SentencePieceModel } from './sentencepiece-model.ts';
import { type AddedTokenJson, type SpecialToken, type SpecialTokenKey, addedTokensJson } from './special-tokens.ts';
import { TokenizerFileError } from './tokenizer-file-error.ts';

/**
 * How the checkpoint numbers the pieces (fairseq dictionaries put their own special tokens first):
 * - xlm-roberta (XLMRobertaConverter): <s> <pad> </s> <unk>, then pieces[3:] (so piece i has id i + 1), <mask> last;
 * - camembert (CamembertConverter): <s>NOTUSED <pad> </s>NOTUSED <unk> <unk>NOTUSED, then pieces[1:] (id i + 4), <mask> last;
 * - deberta-v2 (DebertaV2Converter, spm.model): the pieces as numbered in the model ([PAD] [CLS] [SEP] [UNK] first in
 *   deberta-v3's), the model's unk_id; [MASK] comes from the added tokens;
 * - albert (AlbertConverter, spiece.model): the pieces as they are (<pad> <unk> [CLS] [SEP] [MASK] first in
 *   albert-base-v2's), a piece ending in digit + "," scored 100 lower (the slow tokenizer splits those).
 */
export type SentencePieceLayout = 'xlm-roberta' | 'camembert' | 'deberta-v2' | 'albert';

/**
 * tokenizer_config.json options a converter reads: DebertaV2Tokenizer's do_lower_case and split_by_punct (both
 * false by default), AlbertTokenizer's do_lower_case (true by default) and keep_accents (false).
 */
export interface SentencePieceOptions {
  lowercase: boolean;
  splitByPunct: boolean;
  keepAccents: boolean;
}

/** The converter options of tokenizer_config.json, with the layout's tokenizer class defaults. */
export function sentencePieceOptions(tokenizerConfig: unknown, layout?: SentencePieceLayout): SentencePieceOptions {
  const c = (typeof tokenizerConfig === 'object' && tokenizerConfig !== null ? tokenizerConfig : {}) as Record<string, unknown>;
  const lowercase = layout === 'albert' ? c.do_lower_case !== false : c.do_lower_case === true;
  return { lowercase, splitByPunct: c.split_by_punct === true, keepAccents: c.keep_accents === true };
}

interface LayoutVocab {
  /** [piece, score] in id order. */
  vocab: [string, number][];
  unkId: number;
}

function layoutVocab(model: SentencePieceModel, layout: SentencePieceLayout): LayoutVocab {
  const tail = (from: number) => model.pieces.slice(from).map((p): [string, number] => [p.piece, p.score]);
  switch (layout) {
    case 'xlm-roberta':
      return { vocab: [['<s>', 0], ['<pad>', 0], ['</s>', 0], ['<unk>', 0], ...tail(3), ['<mask>', 0]], unkId: 3 };
    case 'camembert':
      return {
        vocab: [['<s>NOTUSED', 0], ['<pad>', 0], ['</s>NOTUSED', 0], ['<unk>', 0], ['<unk>NOTUSED', -100], ...tail(1), ['<mask>', 0]],
        unkId: 3,
      };
    case 'deberta-v2':
      return { vocab: tail(0), unkId: model.unkId };
    case 'albert':
      return { vocab: model.pieces.map((p): [string, number] => [p.piece, /\p{Nd},$/u.test(p.piece) ? p.score - 100 : p.score]), unkId: model.unkId };
  }
}

/**
 * BPE merges of a SentencePiece BPE model (transformers' generate_merges): every split of a piece into two
 * pieces, ranked by the merged piece's id, then by the lengths of the halves.
 */
function mergesOf(pieces: SentencePiece[]): [string, string][] {
  const ids = new Map(pieces.map((p, i) => [p.piece, i]));
  const merges: { left: string; right: string; rank: number }[] = [];
  pieces.forEach((p, rank) => {
    const chars = [...p.piece];
    const local: { left: string; right: string; rank: number }[] = [];
    for (let k = 1; k < chars.length; k++) {
      const left = chars.slice(0, k).join('');
      const right = chars.slice(k).join('');
      if (ids.has(left) && ids.has(right)) local.push({ left, right, rank });
    }
    local.sort((a, b) => ids.get(a.left)! - ids.get(b.left)! || ids.get(a.right)! - ids.get(b.right)!);
    merges.push(...local);
  });
  merges.sort((a, b) => a.rank - b.rank || [...a.left].length - [...b.left].length || [...a.right].length - [...b.right].length);
  return merges.map((m) => [m.left, m.right]);
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** The normaliser steps of the layout's converter (SpmConverter's, DebertaV2Converter's or AlbertConverter's). */
function normalizerSteps(model: SentencePieceModel, layout: SentencePieceLayout, options: SentencePieceOptions): object[] {
  const precompiled = model.precompiledCharsmap.length > 0 ? [{ type: 'Precompiled', precompiled_charsmap: base64(model.precompiledCharsmap) }] : [];
  if (layout === 'deberta-v2') {
    return [
      ...(options.lowercase ? [{ type: 'Lowercase' }] : []),
      { type: 'Strip', strip_left: true, strip_right: true },
      ...precompiled,
      { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' },
    ];
  }
  if (layout === 'albert') {
    // "``" / "''" → '"', NFKD + StripAccents unless keep_accents, Lowercase with do_lower_case, the charsmap, one space for runs.
    return [
      { type: 'Replace', pattern: { String: '``' }, content: '"' },
      { type: 'Replace', pattern: { String: "''" }, content: '"' },
      ...(options.keepAccents ? [] : [{ type: 'NFKD' }, { type: 'StripAccents' }]),
      ...(options.lowercase ? [{ type: 'Lowercase' }] : []),
      ...precompiled,
      { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' },
    ];
  }
  return [...precompiled, { type: 'Strip', strip_left: false, strip_right: true }, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: '▁' }];
}

export function sentencePieceTokenizerJson(
  model: SentencePieceModel, layout: SentencePieceLayout, specials: Partial<Record<SpecialTokenKey, SpecialToken>>, additional: SpecialToken[], declared: AddedTokenJson[],
  options: SentencePieceOptions = { lowercase: false, splitByPunct: false, keepAccents: true },
): object {
  const { vocab, unkId } = layoutVocab(model, layout);
  const ids = new Map(vocab.map(([piece], id) => [piece, id]));
  // SpmConverter adds the model's control and user-defined pieces as added tokens (never normalised).
  const spmAdded = model.pieces.flatMap((p): AddedTokenJson[] => (p.type === PIECE_TYPE.CONTROL || p.type === PIECE_TYPE.USER_DEFINED) && ids.has(p.piece)
    ? [{ id: ids.get(p.piece)!, content: p.piece, single_word: false, lstrip: false, rstrip: false, normalized: false, special: p.type === PIECE_TYPE.CONTROL }]
    : []);
  const added = addedTokensJson([...Object.values(specials), ...additional], [...spmAdded, ...declared], (t) => ids.get(t), vocab.length);
  const template = (key: 'cls_token' | 'sep_token') => {
    const token = specials[key];
    if (!token) throw new TokenizerFileError(`names no ${key}; set it there`, 'tokenizer_config.json');
    return token.content;
  };
  const [cls, sep] = [template('cls_token'), template('sep_token')];
  const idOf = (token: string) => added.find((t) => t.content === token)?.id ?? ids.get(token)!;
  const metaspace = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true };
  const deberta = layout === 'deberta-v2';
  const preTokenizer = deberta
    ? { type: 'Sequence', pretokenizers: [...(options.splitByPunct ? [{ type: 'Punctuation', behavior: 'Isolated' }] : []), metaspace] }
    : metaspace;
  // DebertaV2Converter and AlbertConverter: "[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1"; the fairseq layouts: "<s> $A </s> </s> $B </s>", all type 0.
  const pair = deberta || layout === 'albert'
    ? [{ SpecialToken: { id: cls, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: sep, type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: sep, type_id: 1 } }]
    : [
      { SpecialToken: { id: cls, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: sep, type_id: 0 } },
      { SpecialToken: { id: sep, type_id: 0 } }, { Sequence: { id: 'B', type_id: 0 } }, { SpecialToken: { id: sep, type_id: 0 } },
    ];
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: { type: 'Sequence', normalizers: normalizerSteps(model, layout, options) },
    pre_tokenizer: preTokenizer,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: cls, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: sep, type_id: 0 } }],
      pair,
      special_tokens: Object.fromEntries([cls, sep].map((t) => [t, { id: t, ids: [idOf(t)], tokens: [t] }])),
    },
    decoder: metaspace,
    model: model.modelType === 'unigram'
      ? { type: 'Unigram', unk_id: unkId, vocab, byte_fallback: false }
      : {
        type: 'BPE', dropout: null, unk_token: vocab[unkId][0], continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: false,
        vocab: Object.fromEntries(ids), merges: mergesOf(model.pieces).filter(([l, r]) => ids.has(l) && ids.has(r)),
      },
  };
}
