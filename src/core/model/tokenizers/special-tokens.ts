/**
 * Special and added tokens of a repo's slow-tokenizer files, as transformers reads them: tokenizer_config.json
 * (strings or `{content, lstrip, rstrip, ...}` objects, `added_tokens_decoder`), special_tokens_map.json (same
 * forms, older repos) and added_tokens.json (`{"token": id}`, older repos); plus the model's input length limit.
 */

/** The attributes transformers' SpecialTokensMixin knows, in its order. */
export const SPECIAL_TOKEN_KEYS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const;
export type SpecialTokenKey = typeof SPECIAL_TOKEN_KEYS[number];

/** One special token string with the AddedToken flags that change how it is matched in text. */
export interface SpecialToken {
  content: string;
  /** Swallows the whitespace before it (RoBERTa's <mask>). */
  lstrip: boolean;
  rstrip: boolean;
  singleWord: boolean;
}

/** An entry of tokenizer.json's `added_tokens`. */
export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

type Json = Record<string, unknown>;

const asObject = (value: unknown): Json => (typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Json : {});

/** A token given as a string or as an AddedToken object (`{content, lstrip, ...}`, with or without `__type`). */
function readToken(value: unknown): SpecialToken | undefined {
  if (typeof value === 'string') return { content: value, lstrip: false, rstrip: false, singleWord: false };
  const o = asObject(value);
  if (typeof o.content !== 'string') return undefined;
  return { content: o.content, lstrip: o.lstrip === true, rstrip: o.rstrip === true, singleWord: o.single_word === true };
}

/**
 * The special tokens in force: the family's defaults, overridden by special_tokens_map.json, overridden by
 * tokenizer_config.json (transformers gives the init kwargs of tokenizer_config precedence). An explicit
 * `null` removes a default (e.g. `"bos_token": null`). `defaults` carry the class's flags for string values.
 */
export function resolveSpecialTokens(defaults: Partial<Record<SpecialTokenKey, SpecialToken>>, specialTokensMap: unknown, tokenizerConfig: unknown): Partial<Record<SpecialTokenKey, SpecialToken>> {
  const out = { ...defaults };
  for (const source of [asObject(specialTokensMap), asObject(tokenizerConfig)]) {
    for (const key of SPECIAL_TOKEN_KEYS) {
      if (!(key in source)) continue;
      const value = source[key];
      const token = readToken(value);
      // A plain string is wrapped by the tokenizer class with its own flags (RoBERTa: AddedToken(mask, lstrip=True)).
      if (token) out[key] = typeof value === 'string' && defaults[key] ? { ...defaults[key], content: token.content } : token;
      else if (value === null) delete out[key];
    }
  }
  return out;
}

/** `additional_special_tokens` of both files (strings or objects), tokenizer_config's list winning when both have one. */
export function additionalSpecialTokens(specialTokensMap: unknown, tokenizerConfig: unknown): SpecialToken[] {
  const list = asObject(tokenizerConfig).additional_special_tokens ?? asObject(specialTokensMap).additional_special_tokens;
  return Array.isArray(list) ? list.map(readToken).filter((t): t is SpecialToken => t !== undefined) : [];
}

/**
 * Tokens added on top of the vocabulary with their ids: tokenizer_config's `added_tokens_decoder`
 * (`{"id": {content, special, ...}}`) and added_tokens.json (`{"token": id}`), for ids the vocabulary does not
 * already give another token.
 */
export function declaredAddedTokens(tokenizerConfig: unknown, addedTokensJson: unknown): AddedTokenJson[] {
  const out = new Map<number, AddedTokenJson>();
  for (const [id, value] of Object.entries(asObject(asObject(tokenizerConfig).added_tokens_decoder))) {
    const token = readToken(value);
    const n = Number(id);
    if (!token || !Number.isInteger(n) || n < 0) continue;
    const o = asObject(value);
    out.set(n, {
      id: n, content: token.content, single_word: token.singleWord, lstrip: token.lstrip, rstrip: token.rstrip,
      normalized: o.normalized === true, special: o.special === true,
    });
  }
  for (const [content, id] of Object.entries(asObject(addedTokensJson))) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || out.has(id)) continue;
    out.set(id, { id, content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: false });
  }
  return [...out.values()];
}

/**
 * Builds tokenizer.json's `added_tokens`: every special token (by its vocabulary id, or the next free id when
 * the vocabulary lacks it, as `add_special_tokens` does), the declared added tokens, sorted by id.
 * `idOf` looks a token up in the model's vocabulary.
 */
export function addedTokensJson(specials: SpecialToken[], declared: AddedTokenJson[], idOf: (token: string) => number | undefined, vocabSize: number): AddedTokenJson[] {
  const byContent = new Map<string, AddedTokenJson>();
  for (const t of declared) byContent.set(t.content, t);
  let next = Math.max(vocabSize, ...declared.map((t) => t.id + 1));
  for (const s of specials) {
    const known = byContent.get(s.content);
    if (known) {
      // The declared entry's flags win, as transformers' added_tokens_decoder does.
      byContent.set(s.content, { ...known, special: true });
      continue;
    }
    const id = idOf(s.content) ?? next++;
    byContent.set(s.content, { id, content: s.content, single_word: s.singleWord, lstrip: s.lstrip, rstrip: s.rstrip, normalized: false, special: true });
  }
  return [...byContent.values()].sort((a, b) => a.id - b.id);
}

/** transformers writes 1e30 (VERY_LARGE_INTEGER) as model_max_length when a tokenizer has no limit. */
const UNSET_LENGTH = 1e29;

/**
 * Longest input in tokens: the smallest of the position table's limit and the tokenizer's own
 * `model_max_length` (or the pre-2020 `max_len`), ignoring transformers' "unset" sentinel and non-numbers.
 */
export function modelMaxLength(positionLimit: number, tokenizerConfig: unknown): number {
  const c = asObject(tokenizerConfig);
  const declared = [c.model_max_length, c.max_len].filter((v): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && v < UNSET_LENGTH);
  return Math.min(positionLimit, ...declared);
}

/** tokenizer_config.json as transformers.js' PreTrainedTokenizer reads it: special tokens as plain strings. */
export function plainTokenizerConfig(tokenizerConfig: unknown, specials: Partial<Record<SpecialTokenKey, SpecialToken>>, maxLength: number): Record<string, unknown> {
  const out: Record<string, unknown> = { ...asObject(tokenizerConfig), model_max_length: maxLength };
  // null (not absent) for a removed token, so that reading this config again does not bring the default back.
  for (const key of SPECIAL_TOKEN_KEYS) out[key] = specials[key]?.content ?? null;
  delete out.additional_special_tokens;
  delete out.added_tokens_decoder;
  return out;
}
