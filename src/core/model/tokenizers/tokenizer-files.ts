/**
 * Finds a repo's tokenizer and turns it into one tokenizer.json object: the repo's own tokenizer.json when it
 * has one, else the slow files its tokenizer class reads (vocab.txt; vocab.json + merges.txt;
 * sentencepiece.bpe.model; spm.model; spiece.model), converted in memory as transformers' convert_slow_tokenizer does.
 */
import type { HubEndpoint } from '../../../hub/endpoint.ts';
import { HubError, fetchBytes, fileUrl, hubFetch, modelInfo } from '../../../hub/client.ts';
import type { EncoderConfig } from '../config.ts';
import { ModelLoadError } from '../errors.ts';
import { familyDefinition, modelTypeEntries, modelTypeEntry } from '../families/index.ts';
import type { SlowTokenizerKind as SlowKind } from '../families/types.ts';
import { fetchRepoJson, modelLoadErrorFromHub } from '../hub-files.ts';
import { byteLevelBpeOptions, byteLevelBpeTokenizerJson, readMerges, readVocabJson } from './bpe-json.ts';
import { readSentencePieceModel } from './sentencepiece-model.ts';
import { sentencePieceOptions, sentencePieceTokenizerJson } from './sentencepiece-json.ts';
import {
  type SpecialToken, type SpecialTokenKey, additionalSpecialTokens, declaredAddedTokens, modelMaxLength, plainTokenizerConfig, resolveSpecialTokens,
} from './special-tokens.ts';
import { TokenizerFileError } from './tokenizer-file-error.ts';
import { readVocabTxt, wordPieceOptions, wordPieceTokenizerJson } from './wordpiece-json.ts';

/** Which file(s) the tokenizer was built from (shown in the Model step and by `embed`). */
export type TokenizerSource = 'tokenizer.json' | 'vocab.txt' | 'vocab.json+merges.txt' | 'sentencepiece.bpe.model' | 'spm.model' | 'spiece.model';

const SLOW_FILES: Record<SlowKind, { files: string[]; what: string; source: TokenizerSource }> = {
  'wordpiece': { files: ['vocab.txt'], what: "BERT's WordPiece vocabulary", source: 'vocab.txt' },
  'byte-level-bpe': { files: ['vocab.json', 'merges.txt'], what: "RoBERTa's byte-level BPE vocabulary and merges", source: 'vocab.json+merges.txt' },
  'deberta-byte-level-bpe': { files: ['vocab.json', 'merges.txt'], what: "DeBERTa's byte-level BPE vocabulary and merges", source: 'vocab.json+merges.txt' },
  'xlm-roberta': { files: ['sentencepiece.bpe.model'], what: "XLM-RoBERTa's SentencePiece model", source: 'sentencepiece.bpe.model' },
  'camembert': { files: ['sentencepiece.bpe.model'], what: "CamemBERT's SentencePiece model", source: 'sentencepiece.bpe.model' },
  'deberta-v2': { files: ['spm.model'], what: "DeBERTa-v2's SentencePiece model", source: 'spm.model' },
  'albert': { files: ['spiece.model'], what: "ALBERT's SentencePiece model", source: 'spiece.model' },
};

/** tokenizer_config.json's `tokenizer_class` (without "Fast") → slow kind, from every family's model types. */
const TOKENIZER_CLASSES: Record<string, SlowKind> = Object.fromEntries(
  modelTypeEntries().map(({ definition }) => [definition.tokenizerClass, definition.slowTokenizer]),
);

/** The tokenizer class's default special tokens, for files that omit them. */
export function familySpecialTokens(config: EncoderConfig): Partial<Record<SpecialTokenKey, SpecialToken>> {
  return familyDefinition(config.family).specialTokens;
}

function slowKind(config: EncoderConfig, tokenizerConfig: unknown): SlowKind {
  const declared = (tokenizerConfig as { tokenizer_class?: unknown } | undefined)?.tokenizer_class;
  const byClass = typeof declared === 'string' ? TOKENIZER_CLASSES[declared.replace(/Fast$/, '')] : undefined;
  if (byClass) return byClass;
  const byType = modelTypeEntry(config.modelType)?.definition.slowTokenizer;
  if (!byType) throw new TypeError(`Model type "${config.modelType}" of "${config.repoId}" is not a supported one; build configs with parseEncoderConfig.`);
  return byType;
}

type FetchOptions = { signal?: AbortSignal; revision?: string };

/** A file of the repo as text or bytes; `undefined` when the repo has no such file. */
async function fetchRepoFile(ep: HubEndpoint, repoId: string, file: string, as: 'text' | 'bytes', options: FetchOptions): Promise<string | Uint8Array | undefined> {
  const url = fileUrl(ep, { type: 'model', id: repoId }, file, options.revision);
  try {
    if (as === 'bytes') return await fetchBytes(ep, url, undefined, { signal: options.signal });
    return await (await hubFetch(ep, url, { signal: options.signal })).text();
  } catch (err) {
    if (err instanceof HubError && err.code === 'EntryNotFound') return undefined;
    throw modelLoadErrorFromHub(err, ep, repoId, file);
  }
}

/** The repo's file names for the "no tokenizer" message, or undefined when the listing cannot be had. */
async function repoFileNames(ep: HubEndpoint, repoId: string, options: FetchOptions): Promise<string[] | undefined> {
  try {
    const info = await modelInfo(ep, repoId, { signal: options.signal, retry: { retries: 1, baseDelayMs: 500, maxDelayMs: 5_000 }, revision: options.revision });
    return info.siblings?.map((s) => s.rfilename);
  } catch {
    return undefined;
  }
}

function noTokenizerError(repoId: string, kind: SlowKind, missing: string[], present: string[] | undefined): ModelLoadError {
  const { files, what } = SLOW_FILES[kind];
  const has = present === undefined ? 'its file list could not be read' : present.length ? `it has ${present.join(', ')}` : 'it has no files';
  return new ModelLoadError(
    `Model "${repoId}" has no tokenizer the studio can read: it looked for tokenizer.json and ${files.join(' + ')} (${what}), ` +
    `and ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing; ${has}. ` +
    'Upload tokenizer.json (tokenizer.save_pretrained() with a recent transformers writes it) or the original tokenizer files.',
    'NoTokenizer', repoId,
  );
}

/** A tokenizer ready for transformers.js: tokenizer.json, tokenizer_config.json with plain special tokens, and where it came from. */
export interface TokenizerFiles {
  tokenizerJson: unknown;
  tokenizerConfig: Record<string, unknown>;
  source: TokenizerSource;
}

/**
 * Reads the repo's tokenizer files: tokenizer.json when present, else the slow files of the tokenizer class
 * (chosen by tokenizer_config's `tokenizer_class`, else by config.json's model_type). Throws ModelLoadError
 * 'NoTokenizer' naming the files looked for and the repo's files when neither is there, or when a file is broken.
 */
export async function readTokenizerFiles(ep: HubEndpoint, repoId: string, config: EncoderConfig, options: FetchOptions = {}): Promise<TokenizerFiles> {
  const [tokenizerJson, tokenizerConfig, specialTokensMap] = await Promise.all(
    ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'].map((f) => fetchRepoJson(ep, repoId, f, options)),
  );
  const specials = resolveSpecialTokens(familySpecialTokens(config), specialTokensMap, tokenizerConfig);
  const plainConfig = plainTokenizerConfig(tokenizerConfig, specials, modelMaxLength(config.maxSequenceLength, tokenizerConfig));
  if (tokenizerJson !== undefined) return { tokenizerJson, tokenizerConfig: plainConfig, source: 'tokenizer.json' };

  const kind = slowKind(config, tokenizerConfig);
  const fileNames = SLOW_FILES[kind].files;
  const [contents, addedTokens] = await Promise.all([
    Promise.all(fileNames.map((f) => fetchRepoFile(ep, repoId, f, f.endsWith('.model') ? 'bytes' : 'text', options))),
    fetchRepoJson(ep, repoId, 'added_tokens.json', options),
  ]);
  const missing = fileNames.filter((_, i) => contents[i] === undefined);
  if (missing.length > 0) throw noTokenizerError(repoId, kind, ['tokenizer.json', ...missing], await repoFileNames(ep, repoId, options));

  const declared = declaredAddedTokens(tokenizerConfig, addedTokens);
  const extra = additionalSpecialTokens(specialTokensMap, tokenizerConfig);
  try {
    const text = (i: number) => contents[i] as string;
    const built = kind === 'wordpiece'
      ? wordPieceTokenizerJson(readVocabTxt(text(0)), wordPieceOptions(tokenizerConfig), specials, extra, declared)
      : kind === 'byte-level-bpe' || kind === 'deberta-byte-level-bpe'
        ? byteLevelBpeTokenizerJson(readVocabJson(text(0)), readMerges(text(1)), byteLevelBpeOptions(tokenizerConfig), specials, extra, declared, kind === 'byte-level-bpe' ? 'roberta' : 'cls-sep')
        : sentencePieceTokenizerJson(readSentencePieceModel(contents[0] as Uint8Array, fileNames[0]), kind, specials, extra, declared, sentencePieceOptions(tokenizerConfig, kind));
    return { tokenizerJson: built, tokenizerConfig: plainConfig, source: SLOW_FILES[kind].source };
  } catch (err) {
    if (!(err instanceof TokenizerFileError)) throw err;
    throw new ModelLoadError(
      `${err.file} of model "${repoId}" ${err.detail}. Fix or re-upload ${err.file}, or upload tokenizer.json (tokenizer.save_pretrained() with a recent transformers writes it).`,
      'NoTokenizer', repoId, { cause: err },
    );
  }
}
