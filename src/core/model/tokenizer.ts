/**
 * The encoder's tokenizer: transformers.js' PreTrainedTokenizer built from the repo's tokenizer.json, or from
 * its slow files converted in memory (tokenizers/tokenizer-files.ts), fetched through our Hub client (so the
 * configured endpoint and token apply), with HF-style truncation (special tokens kept, longest_first for
 * pairs) and padding done here, because transformers.js truncates by cutting the end of the finished sequence
 * (dropping the final [SEP]).
 */
import { PreTrainedTokenizer } from '@huggingface/transformers';
import type { HubEndpoint } from '../../hub/endpoint.ts';
import type { EncoderConfig } from './config.ts';
import { ModelLoadError } from './errors.ts';
import { fetchEncoderConfig } from './hub-files.ts';
import { hoistPrecompiled } from './tokenizers/precompiled-charsmap.ts';
import { modelMaxLength, plainTokenizerConfig, resolveSpecialTokens } from './tokenizers/special-tokens.ts';
import { tokenOffsets, tokenSurfaceOf } from './tokenizers/token-offsets.ts';
import { type TokenizerSource, familySpecialTokens, readTokenizerFiles } from './tokenizers/tokenizer-files.ts';

export type { TokenizerSource } from './tokenizers/tokenizer-files.ts';

/** Token ids of a batch, row-major [batch, seq], ready for the encoder. */
export interface EncodedBatch {
  /** [batch * seq] token ids, padded with the pad token id. */
  inputIds: Int32Array;
  /** [batch * seq] 1 for real tokens, 0 for padding. */
  attentionMask: Int32Array;
  /** [batch * seq] segment ids: 0 for the first text, 1 for the pair text (BERT-like models; 0 elsewhere). */
  tokenTypeIds: Int32Array;
  /** Number of sequences. */
  batch: number;
  /** Tokens per sequence after padding. */
  seq: number;
}

export interface EncodeOptions {
  /** Longest sequence in tokens, special tokens included; defaults to the model's limit. */
  maxLength?: number;
  /** 'longest': pad to the longest sequence of the batch (default); 'max_length': pad to maxLength. */
  padding?: 'longest' | 'max_length';
}

export interface EncoderTokenizer {
  /** Tokenizes `texts` (and, when given, `pairs[i]` as the second segment of text i). */
  encode(texts: string[], pairs?: string[], options?: EncodeOptions): EncodedBatch;
  /** The tokens of one text without special tokens (for display). */
  tokenize(text: string): string[];
  /** The tokens of one text with each token's [start, end) code points in `text` (two numbers a token; see token-offsets.ts). */
  tokenizeWithOffsets(text: string): { tokens: string[]; offsets: Int32Array };
  /**
   * Ids and segment ids of tokens already cut (a, and b for a pair) with the model's special tokens around them;
   * `aStart` / `bStart`: where a's and b's first tokens stand.
   */
  assemble(a: string[], b: string[] | null): { ids: number[]; tokenTypeIds: number[]; aStart: number; bStart: number };
  /** Special tokens added around one text (pair: false) or a pair (true). */
  specialTokenCount(pair: boolean): number;
  /** Id that fills padding positions. */
  readonly padTokenId: number;
  /** Longest input in tokens: the smaller of the position table's limit and the tokenizer's model_max_length. */
  readonly maxLength: number;
  /** The file(s) the tokenizer was built from. */
  readonly source: TokenizerSource;
  /** The underlying transformers.js tokenizer (decode, vocabulary). */
  readonly tokenizer: PreTrainedTokenizer;
}

/** The parts of the tokenizers.js post-processor we call (public at runtime, not in transformers.js' types). */
type PostProcessor = (tokens: string[], pair: string[] | null, addSpecialTokens: boolean) => { tokens: string[]; token_type_ids?: number[] };

/**
 * Cuts the two segments to fit `budget` tokens as the Rust tokenizers' LongestFirst (truncate_encodings, what
 * transformers' fast tokenizers run) does: n1 being the shorter, the longer is cut to max(n1, budget - n1);
 * when that is still too many the shorter gets budget / 2 rounded down and the longer the rest (on a tie the
 * pair counts as the longer).
 */
function truncateLongestFirst(a: string[], b: string[] | null, budget: number): void {
  if (b === null) {
    a.length = Math.min(a.length, budget);
    return;
  }
  if (a.length + b.length <= budget) return;
  const swap = a.length > b.length;
  let n1 = swap ? b.length : a.length;
  let n2 = n1 > budget ? n1 : Math.max(n1, budget - n1);
  if (n1 + n2 > budget) {
    n1 = Math.floor(budget / 2);
    n2 = n1 + (budget % 2);
  }
  a.length = Math.min(a.length, swap ? n2 : n1);
  b.length = Math.min(b.length, swap ? n1 : n2);
}

/**
 * Builds the tokenizer from a tokenizer.json object and tokenizer_config.json held in memory; `source` says
 * which repo files they came from.
 */
export function createEncoderTokenizer(tokenizerJson: unknown, tokenizerConfig: unknown, config: EncoderConfig, source: TokenizerSource = 'tokenizer.json'): EncoderTokenizer {
  const repoId = config.repoId;
  const modelMax = modelMaxLength(config.maxSequenceLength, tokenizerConfig);
  const plainConfig = plainTokenizerConfig(tokenizerConfig, resolveSpecialTokens(familySpecialTokens(config), undefined, tokenizerConfig), modelMax);
  let tokenizer: PreTrainedTokenizer;
  let normalize = (text: string) => text;
  try {
    const hoisted = hoistPrecompiled(tokenizerJson, source);
    if (hoisted.normalize) normalize = hoisted.normalize;
    tokenizer = new PreTrainedTokenizer(hoisted.tokenizerJson, plainConfig);
  } catch (err) {
    throw new ModelLoadError(`The tokenizer of "${repoId}" could not be built from ${source} (${(err as Error).message}). Re-save it with a recent transformers and upload tokenizer.json.`, 'NoTokenizer', repoId, { cause: err });
  }
  const inner = tokenizer._tokenizer as unknown as { post_processor: PostProcessor | null; token_to_id(t: string): number | undefined; get_added_tokens_decoder(): Map<number, { content: string }> };
  const addedIds = new Map([...inner.get_added_tokens_decoder()].map(([id, token]) => [token.content, id]));
  const unkId = tokenizer.unk_token_id;
  const toId = (token: string): number => {
    const id = addedIds.get(token) ?? inner.token_to_id(token) ?? unkId;
    if (id === undefined) throw new ModelLoadError(`Token "${token}" is not in the vocabulary of "${repoId}" and the tokenizer has no unknown token.`, 'NoTokenizer', repoId);
    return id;
  };
  const padTokenId = tokenizer.pad_token_id;
  if (padTokenId === undefined || padTokenId === null) {
    throw new ModelLoadError(`The tokenizer of "${repoId}" has no padding token ("${tokenizer.pad_token}" is not in its vocabulary). Set pad_token in tokenizer_config.json.`, 'NoTokenizer', repoId);
  }
  const postProcess = (a: string[], b: string[] | null) => inner.post_processor
    ? inner.post_processor(a, b, true)
    : { tokens: [...a, ...(b ?? [])], token_type_ids: [...a.map(() => 0), ...(b ?? []).map(() => 1)] };
  const specialCount = (pair: boolean) => postProcess([], pair ? [] : null).tokens.length;
  // Where each segment's tokens land in the template: the post-processors only insert special tokens around them.
  const markers = postProcess(['\u0000a'], ['\u0000b']).tokens;
  const aStart = markers.indexOf('\u0000a');
  const bGap = markers.indexOf('\u0000b') - aStart - 1;
  const surface = tokenSurfaceOf(tokenizerJson);
  const innerNormalize = (inner as unknown as { normalizer: ((text: string) => string) | null }).normalizer;
  const normalizeForOffsets = (text: string) => (innerNormalize ? innerNormalize(normalize(text)) : normalize(text));
  // RoBERTa-family tokenizers return no token_type_ids; their single-row type table is always indexed with 0.
  const usesSegments = config.typeVocabSize > 1;

  return {
    padTokenId,
    maxLength: modelMax,
    source,
    tokenizer,
    tokenize: (text) => tokenizer.tokenize(normalize(text)),
    tokenizeWithOffsets(text) {
      const tokens = tokenizer.tokenize(normalize(text));
      return { tokens, offsets: tokenOffsets(text, tokens, { surface, normalize: normalizeForOffsets, unknownToken: tokenizer.unk_token ?? undefined }) };
    },
    assemble(a, b) {
      const { tokens, token_type_ids: types } = postProcess(a, b);
      return { ids: tokens.map(toId), tokenTypeIds: usesSegments && types ? types : tokens.map(() => 0), aStart, bStart: aStart + a.length + bGap };
    },
    specialTokenCount: specialCount,
    encode(texts, pairs, options = {}) {
      if (texts.length === 0) throw new TypeError('encode() needs at least one text.');
      if (pairs && pairs.length !== texts.length) throw new TypeError(`encode() got ${texts.length} texts but ${pairs.length} pair texts; give one pair text per text.`);
      const maxLength = Math.min(options.maxLength ?? modelMax, modelMax);
      const rows: { ids: number[]; types: number[] }[] = texts.map((text, i) => {
        const a = tokenizer.tokenize(normalize(text));
        const b = pairs ? tokenizer.tokenize(normalize(pairs[i])) : null;
        const budget = maxLength - specialCount(b !== null);
        if (budget < (b === null ? 1 : 2)) {
          throw new RangeError(`maxLength ${maxLength} leaves no room for text next to the ${specialCount(b !== null)} special tokens of "${repoId}".`);
        }
        truncateLongestFirst(a, b, budget);
        const { tokens, token_type_ids: types } = postProcess(a, b);
        return { ids: tokens.map(toId), types: usesSegments && types ? types : tokens.map(() => 0) };
      });
      const seq = options.padding === 'max_length' ? maxLength : Math.max(...rows.map((r) => r.ids.length));
      const batch = rows.length;
      const inputIds = new Int32Array(batch * seq).fill(padTokenId);
      const attentionMask = new Int32Array(batch * seq);
      const tokenTypeIds = new Int32Array(batch * seq);
      rows.forEach((row, r) => {
        inputIds.set(row.ids, r * seq);
        attentionMask.fill(1, r * seq, r * seq + row.ids.length);
        tokenTypeIds.set(row.types, r * seq);
      });
      return { inputIds, attentionMask, tokenTypeIds, batch, seq };
    },
  };
}

/**
 * Fetches the tokenizer of `repoId` through the Hub client and builds it: tokenizer.json when the repo has it,
 * else its slow files (vocab.txt, vocab.json + merges.txt, sentencepiece.bpe.model); `source` says which.
 */
export async function loadTokenizer(ep: HubEndpoint, repoId: string, options: { config?: EncoderConfig; signal?: AbortSignal; revision?: string } = {}): Promise<EncoderTokenizer> {
  const config = options.config ?? await fetchEncoderConfig(ep, repoId, options);
  const files = await readTokenizerFiles(ep, repoId, config, options);
  return createEncoderTokenizer(files.tokenizerJson, files.tokenizerConfig, config, files.source);
}
