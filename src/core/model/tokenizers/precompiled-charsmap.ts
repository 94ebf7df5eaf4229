/**
 * SentencePiece's compiled normaliser (NormalizerSpec.precompiled_charsmap, the `Precompiled` normaliser of a
 * tokenizer.json), applied as sentencepiece's normalizer.cc does: at each position the longest key of the
 * Darts double-array trie that prefixes the UTF-8 input is replaced by its normalised string; where no key
 * matches, one character is copied. transformers.js' own Precompiled normaliser approximates this table with
 * NFKC, which differs on some characters (it turns U+200D into a space, where nmt_nfkc keeps it).
 *
 * Blob layout: uint32 little-endian trie size in bytes, the trie (uint32 units), then NUL-terminated strings.
 */
import { TokenizerFileError } from './tokenizer-file-error.ts';

/** A Darts-clone unit: bit 8 has_leaf, bits 10+ the offset (scaled by bit 9), low byte + bit 31 the label. */
const hasLeaf = (unit: number) => ((unit >>> 8) & 1) === 1;
const value = (unit: number) => unit & 0x7fffffff;
const label = (unit: number) => unit & 0x800000ff;
const offset = (unit: number) => (unit >>> 10) << ((unit & 0x200) >>> 6);

export type TextNormalizer = (text: string) => string;

export function precompiledNormalizer(charsmap: Uint8Array, file: string): TextNormalizer {
  if (charsmap.length < 4) throw new TokenizerFileError(`has a precompiled_charsmap of ${charsmap.length} bytes, too short for its header`, file);
  const view = new DataView(charsmap.buffer, charsmap.byteOffset, charsmap.byteLength);
  const trieBytes = view.getUint32(0, true);
  if (trieBytes % 4 !== 0 || 4 + trieBytes > charsmap.length) {
    throw new TokenizerFileError(`has a precompiled_charsmap whose trie (${trieBytes} bytes) does not fit its ${charsmap.length} bytes`, file);
  }
  const units = trieBytes / 4;
  const unitAt = (i: number) => (i < units ? view.getUint32(4 + i * 4, true) : 0);
  const strings = charsmap.subarray(4 + trieBytes);
  const decoder = new TextDecoder();
  const replacements = new Map<number, string>();
  const replacement = (at: number): string => {
    let s = replacements.get(at);
    if (s === undefined) {
      let end = at;
      while (end < strings.length && strings[end] !== 0) end++;
      s = decoder.decode(strings.subarray(at, end));
      replacements.set(at, s);
    }
    return s;
  };

  /** Longest trie key prefixing bytes[from...]: [length, value], or undefined. */
  const longestMatch = (bytes: Uint8Array, from: number): [number, number] | undefined => {
    let node = offset(unitAt(0));
    let found: [number, number] | undefined;
    for (let i = from; i < bytes.length; i++) {
      node ^= bytes[i];
      const unit = unitAt(node);
      if (label(unit) !== bytes[i]) break;
      node ^= offset(unit);
      if (hasLeaf(unit)) found = [i + 1 - from, value(unitAt(node))];
    }
    return found;
  };

  const encoder = new TextEncoder();
  return (text) => {
    const bytes = encoder.encode(text);
    let out = '';
    let i = 0;
    // Characters the charsmap leaves alone are decoded a run at a time, not one by one.
    let unmatchedFrom = 0;
    while (i < bytes.length) {
      const match = longestMatch(bytes, i);
      if (match) {
        if (unmatchedFrom < i) out += decoder.decode(bytes.subarray(unmatchedFrom, i));
        out += replacement(match[1]);
        i += match[0];
        unmatchedFrom = i;
        continue;
      }
      // Step over one UTF-8 character (the input came from a JS string, so it is well formed).
      const lead = bytes[i];
      i += lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
    }
    if (unmatchedFrom < bytes.length) out += decoder.decode(bytes.subarray(unmatchedFrom));
    return out;
  };
}

type NormalizerJson = { type?: string; normalizers?: NormalizerJson[]; precompiled_charsmap?: string | null; strip_left?: boolean; strip_right?: boolean };

/** Rust's char::is_whitespace (Unicode White_Space), which the tokenizers' Strip uses; JS's trim also takes U+FEFF. */
const LEADING_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;
const TRAILING_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/u;

/**
 * Takes a leading `Precompiled` normaliser out of a tokenizer.json (alone, first of a Sequence, or after a
 * leading `Strip` as DebertaV2Converter places it; the Strip is taken too, with Rust's whitespace) and returns
 * them as a function to run on the text before transformers.js sees it, so the charsmap itself is applied.
 * Elsewhere in a Sequence (ALBERT puts it after Lowercase) it is left to transformers.js' approximation.
 */
export function hoistPrecompiled(tokenizerJson: unknown, file: string): { tokenizerJson: unknown; normalize?: TextNormalizer } {
  const json = tokenizerJson as { normalizer?: NormalizerJson | null } | null;
  const normalizer = json?.normalizer;
  const steps = normalizer?.type === 'Sequence' ? normalizer.normalizers ?? [] : normalizer ? [normalizer] : [];
  const strip = steps[0]?.type === 'Strip' ? steps[0] : undefined;
  const precompiled = steps[strip ? 1 : 0];
  if (precompiled?.type !== 'Precompiled' || !precompiled.precompiled_charsmap) return { tokenizerJson };
  const bytes = Uint8Array.from(atob(precompiled.precompiled_charsmap), (c) => c.charCodeAt(0));
  const rest = normalizer!.type === 'Sequence' ? { ...normalizer, normalizers: steps.slice(strip ? 2 : 1) } : null;
  const charsmap = precompiledNormalizer(bytes, file);
  if (!strip) return { tokenizerJson: { ...json, normalizer: rest }, normalize: charsmap };
  const stripped = (text: string) => {
    const left = strip.strip_left !== false ? text.replace(LEADING_SPACE, '') : text;
    return strip.strip_right !== false ? left.replace(TRAILING_SPACE, '') : left;
  };
  return { tokenizerJson: { ...json, normalizer: rest }, normalize: (text) => charsmap(stripped(text)) };
}
