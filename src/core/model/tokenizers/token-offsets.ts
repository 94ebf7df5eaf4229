/**
 * Character offsets of a text's tokens, which transformers.js' tokenizers do not return (the Rust tokenizers'
 * `return_offsets_mapping`). The tokens' surfaces are matched, in order, against the text as the tokenizer's
 * normalizer sees it, one grapheme cluster at a time, with whitespace (and SentencePiece's "▁") left out on both
 * sides, so offsets come out trimmed as the Rust ByteLevel / Metaspace processors trim them:
 * - WordPiece: a token's surface is its string without the continuing-subword prefix ("##");
 * - byte-level BPE (RoBERTa, DeBERTa): the bytes the token's characters stand for (GPT-2's bytes_to_unicode), so
 *   a token that holds half of a multi-byte character still lines up;
 * - SentencePiece (Unigram / BPE with Metaspace): the token's string, "▁" read as a space.
 * Offsets count code points (Python's str indices, what SQuAD's answer_start counts), end exclusive. An unknown
 * token spans what lies between its neighbours' matches.
 */

/** How a tokenizer's tokens spell the text. */
export type TokenSurface =
  | { kind: 'wordPiece'; continuingPrefix: string }
  | { kind: 'byteLevel' }
  | { kind: 'metaspace' };

/** The surface style of a tokenizer.json: WordPiece by its model, byte-level by its ByteLevel pre-tokenizer or decoder, else Metaspace. */
export function tokenSurfaceOf(tokenizerJson: unknown): TokenSurface {
  type Part = { type?: string; pretokenizers?: Part[]; decoders?: Part[]; continuing_subword_prefix?: string | null };
  const json = (tokenizerJson ?? {}) as { model?: Part; pre_tokenizer?: Part | null; decoder?: Part | null };
  const has = (part: Part | null | undefined, type: string): boolean =>
    part?.type === type || (part?.pretokenizers ?? part?.decoders ?? []).some((p) => has(p, type));
  if (json.model?.type === 'WordPiece') return { kind: 'wordPiece', continuingPrefix: json.model.continuing_subword_prefix ?? '##' };
  if (has(json.pre_tokenizer, 'ByteLevel') || has(json.decoder, 'ByteLevel')) return { kind: 'byteLevel' };
  return { kind: 'metaspace' };
}

/** GPT-2's bytes_to_unicode, inverted: the byte each printable stand-in character means. */
const UNICODE_TO_BYTE: Map<string, number> = (() => {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const map = new Map<string, number>();
  let next = 0;
  for (let b = 0; b < 256; b++) map.set(String.fromCodePoint(printable(b) ? b : 256 + next++), b);
  return map;
})();

const encoder = new TextEncoder();
/** Whitespace as offsets leave it out: Unicode spaces, the ASCII controls Python's str.split treats as spaces, and "▁". */
// biome-ignore lint/suspicious/noControlCharactersInRegex: \x1c–\x1f are the separators Python's str.split treats as spaces.
const SPACE = /[\s\u001c-\u001f\u2581]/u;

function withoutSpaces(text: string): string {
  let out = '';
  for (const ch of text) if (!SPACE.test(ch)) out += ch;
  return out;
}

/** The bytes a token stands for, spaces left out; undefined for the unknown token (it matches whatever lies between). */
function surfaceBytes(token: string, surface: TokenSurface, unknownToken: string | undefined): Uint8Array | undefined {
  if (unknownToken !== undefined && token === unknownToken) return undefined;
  if (surface.kind === 'byteLevel') {
    const bytes: number[] = [];
    for (const ch of token) {
      const byte = UNICODE_TO_BYTE.get(ch);
      if (byte === undefined) return encoder.encode(withoutSpaces(token)); // an added token, spelled as itself
      if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0b && byte !== 0x0c) bytes.push(byte);
    }
    return Uint8Array.from(bytes);
  }
  const spelled = surface.kind === 'wordPiece' && token.startsWith(surface.continuingPrefix) && token.length > surface.continuingPrefix.length
    ? token.slice(surface.continuingPrefix.length) : token;
  return encoder.encode(withoutSpaces(spelled));
}

/** The text as the tokenizer sees it, spaces left out, as bytes with the code-point span of the cluster each came from. */
function normalizedBytes(text: string, normalize: (text: string) => string): { bytes: Uint8Array; start: Int32Array; end: Int32Array } {
  const bytes: number[] = [];
  const start: number[] = [];
  const end: number[] = [];
  let at = 0;
  for (const { segment } of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)) {
    const length = [...segment].length;
    for (const byte of encoder.encode(withoutSpaces(normalize(segment)))) {
      bytes.push(byte);
      start.push(at);
      end.push(at + length);
    }
    at += length;
  }
  return { bytes: Uint8Array.from(bytes), start: Int32Array.from(start), end: Int32Array.from(end) };
}

function matchesAt(haystack: Uint8Array, needle: Uint8Array, at: number): boolean {
  if (at + needle.length > haystack.length) return false;
  for (let i = 0; i < needle.length; i++) if (haystack[at + i] !== needle[i]) return false;
  return true;
}

function find(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  for (let at = from; at + needle.length <= haystack.length; at++) if (matchesAt(haystack, needle, at)) return at;
  return -1;
}

export interface OffsetOptions {
  surface: TokenSurface;
  /** The tokenizer's normalizer (lower-casing, accents, NFKC...), applied to one grapheme cluster at a time. */
  normalize?: (text: string) => string;
  /** The unknown token's string ("[UNK]", "<unk>"). */
  unknownToken?: string;
}

/**
 * [start, end) code-point offsets of each of `tokens` (the tokenizer's output for `text`, no special tokens) in
 * `text`, two numbers a token. A token whose surface cannot be found (a normalizer that merges characters across
 * clusters) gets an empty span where the match stands.
 */
export function tokenOffsets(text: string, tokens: readonly string[], options: OffsetOptions): Int32Array {
  const target = normalizedBytes(text, options.normalize ?? ((t) => t));
  const out = new Int32Array(tokens.length * 2);
  const totalPoints = [...text].length;
  const pointAt = (byte: number) => (byte < target.bytes.length ? target.start[byte] : totalPoints);
  let cursor = 0;
  let pendingUnknown: number[] = [];
  const closeUnknown = (until: number) => {
    // Unknown tokens share the bytes between the previous match and the next one; the first takes them all.
    pendingUnknown.forEach((t, i) => {
      const from = pointAt(cursor);
      const to = i === 0 && until > cursor ? target.end[until - 1] : from;
      out[2 * t] = from;
      out[2 * t + 1] = to;
    });
    pendingUnknown = [];
  };
  tokens.forEach((token, t) => {
    const bytes = surfaceBytes(token, options.surface, options.unknownToken);
    if (bytes === undefined) {
      pendingUnknown.push(t);
      return;
    }
    if (bytes.length === 0) {
      out[2 * t] = out[2 * t + 1] = pointAt(cursor);
      return;
    }
    const at = matchesAt(target.bytes, bytes, cursor) ? cursor : find(target.bytes, bytes, cursor);
    if (at === -1) {
      out[2 * t] = out[2 * t + 1] = pointAt(cursor);
      return;
    }
    closeUnknown(at);
    out[2 * t] = target.start[at];
    out[2 * t + 1] = target.end[at + bytes.length - 1];
    cursor = at + bytes.length;
  });
  closeUnknown(target.bytes.length);
  return out;
}
