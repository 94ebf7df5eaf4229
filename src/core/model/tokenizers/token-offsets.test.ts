/**
 * Token offsets worked out by hand: the tokens each tokenizer style gives for a text (written out here as the
 * algorithm spells them) and the code-point spans they must come back with, as the Rust tokenizers'
 * return_offsets_mapping (trimmed offsets) gives them.
 */
import { describe, expect, it } from 'vitest';
import { tokenOffsets, tokenSurfaceOf } from './token-offsets.ts';

const pairs = (offsets: Int32Array) => Array.from({ length: offsets.length / 2 }, (_, i) => [offsets[2 * i], offsets[2 * i + 1]]);
const lowerNoAccents = (s: string) => s.toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '');

describe('tokenOffsets', () => {
  it('WordPiece, uncased: "##" pieces continue the word, accents and case normalised away, [UNK] between its neighbours', () => {
    const text = 'Héllo,  wörld 😀 ok';
    const tokens = ['hello', ',', 'wo', '##rl', '##d', '[UNK]', 'ok'];
    const offsets = tokenOffsets(text, tokens, { surface: { kind: 'wordPiece', continuingPrefix: '##' }, normalize: lowerNoAccents, unknownToken: '[UNK]' });
    // Code points: H0 é1 l2 l3 o4 ,5 _6 _7 w8 ö9 r10 l11 d12 _13 😀14 _15 o16 k17.
    expect(pairs(offsets)).toEqual([[0, 5], [5, 6], [8, 10], [10, 12], [12, 13], [14, 15], [16, 18]]);
  });

  it('byte-level BPE: "Ġ" (a space) trimmed off, a character split over two tokens gives both its span', () => {
    // "é" is C3 A9: bytes_to_unicode maps C3 → "Ã" and A9 → "©"; a space is "Ġ".
    const text = 'a café é';
    const tokens = ['a', 'Ġcaf', 'Ã©', 'ĠÃ', '©'];
    const offsets = tokenOffsets(text, tokens, { surface: { kind: 'byteLevel' } });
    expect(pairs(offsets)).toEqual([[0, 1], [2, 5], [5, 6], [7, 8], [7, 8]]);
  });

  it('SentencePiece: "▁" is a space, NFKC-style normalisation per grapheme cluster, <unk> spans what is left', () => {
    const text = 'ｆｕｌｌ width ☃x';
    const tokens = ['▁full', '▁wid', 'th', '▁', '<unk>', 'x'];
    const offsets = tokenOffsets(text, tokens, { surface: { kind: 'metaspace' }, normalize: (s) => s.normalize('NFKC'), unknownToken: '<unk>' });
    // ｆ0 ｕ1 ｌ2 ｌ3 _4 w5 i6 d7 t8 h9 _10 ☃11 x12; the lone "▁" is all space, an empty span where it stands.
    expect(pairs(offsets)).toEqual([[0, 4], [5, 8], [8, 10], [11, 11], [11, 12], [12, 13]]);
  });

  it('tells the styles apart from tokenizer.json', () => {
    expect(tokenSurfaceOf({ model: { type: 'WordPiece', continuing_subword_prefix: '##' } })).toEqual({ kind: 'wordPiece', continuingPrefix: '##' });
    expect(tokenSurfaceOf({ model: { type: 'BPE' }, pre_tokenizer: { type: 'ByteLevel' } })).toEqual({ kind: 'byteLevel' });
    expect(tokenSurfaceOf({ model: { type: 'BPE' }, pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Split' }, { type: 'ByteLevel' }] } })).toEqual({ kind: 'byteLevel' });
    expect(tokenSurfaceOf({ model: { type: 'Unigram' }, pre_tokenizer: { type: 'Metaspace' } })).toEqual({ kind: 'metaspace' });
  });
});
