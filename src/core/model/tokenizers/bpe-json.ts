/**
 * RoBERTa's slow files (vocab.json + merges.txt) as the tokenizer.json transformers' RobertaConverter builds:
 * GPT-2 byte-level pre-tokenizer, BPE without an unknown token, <s> A </s> (</s> B </s>) post-processor; or, for
 * DeBERTa (DebertaConverter), the same with the [CLS] A [SEP] (B [SEP], type 1) template.
 */
import { type AddedTokenJson, type SpecialToken, type SpecialTokenKey, addedTokensJson } from './special-tokens.ts';
import { TokenizerFileError, idSpan } from './tokenizer-file-error.ts';
import { clsSepTemplate } from './wordpiece-json.ts';

/** RobertaTokenizer's switches from tokenizer_config.json. */
export interface ByteLevelBpeOptions {
  /** `add_prefix_space` (default false): treat the text as if it began with a space. */
  addPrefixSpace: boolean;
  /** `trim_offsets` (default true); only offsets depend on it. */
  trimOffsets: boolean;
}

export function byteLevelBpeOptions(tokenizerConfig: unknown): ByteLevelBpeOptions {
  const c = (typeof tokenizerConfig === 'object' && tokenizerConfig !== null ? tokenizerConfig : {}) as Record<string, unknown>;
  return { addPrefixSpace: c.add_prefix_space === true, trimOffsets: c.trim_offsets !== false };
}

/** vocab.json: an object of token → non-negative integer id. */
export function readVocabJson(text: string): Map<string, number> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TokenizerFileError(`is not valid JSON (${(err as Error).message})`, 'vocab.json', { cause: err });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new TokenizerFileError('is not a JSON object of token → id', 'vocab.json');
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(json)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw new TokenizerFileError(`gives token ${JSON.stringify(token)} the id ${JSON.stringify(id)}; ids must be non-negative integers`, 'vocab.json');
    }
    vocab.set(token, id);
  }
  if (vocab.size === 0) throw new TokenizerFileError('is empty', 'vocab.json');
  return vocab;
}

/** merges.txt: an optional `#version` line, then one "left right" pair per line in rank order. */
export function readMerges(text: string): [string, string][] {
  const merges: [string, string][] = [];
  text.split(/\r\n|\r|\n/).forEach((line, i) => {
    if ((i === 0 && line.startsWith('#version')) || line === '') return;
    const parts = line.split(' ');
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      throw new TokenizerFileError(`line ${i + 1} is ${JSON.stringify(line.slice(0, 80))}, expected two symbols separated by one space`, 'merges.txt');
    }
    merges.push([parts[0], parts[1]]);
  });
  return merges;
}

/** Which post-processor the converter gives the tokenizer: RoBERTa's, or DeBERTa's [CLS] A [SEP] B [SEP] template. */
export type ByteLevelTemplate = 'roberta' | 'cls-sep';

export function byteLevelBpeTokenizerJson(vocab: Map<string, number>, merges: [string, string][], options: ByteLevelBpeOptions, specials: Partial<Record<SpecialTokenKey, SpecialToken>>, additional: SpecialToken[], declared: AddedTokenJson[], template: ByteLevelTemplate = 'roberta'): object {
  const added = addedTokensJson([...Object.values(specials), ...additional], declared, (t) => vocab.get(t), idSpan(vocab.values()));
  const idOf = (key: 'cls_token' | 'sep_token'): [string, number] => {
    const token = specials[key];
    if (!token) throw new TokenizerFileError(`names no ${key}; set it there`, 'tokenizer_config.json');
    return [token.content, added.find((t) => t.content === token.content)!.id];
  };
  const byteLevel = { type: 'ByteLevel', add_prefix_space: options.addPrefixSpace, trim_offsets: options.trimOffsets, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: template === 'roberta'
      ? { type: 'RobertaProcessing', sep: idOf('sep_token'), cls: idOf('cls_token'), trim_offsets: options.trimOffsets, add_prefix_space: options.addPrefixSpace }
      : clsSepTemplate(idOf('cls_token'), idOf('sep_token')),
    decoder: byteLevel,
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, ignore_merges: false,
      vocab: Object.fromEntries(vocab), merges,
    },
  };
}
