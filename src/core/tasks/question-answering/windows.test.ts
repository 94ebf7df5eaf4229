/**
 * run_qa's windows on the demo tokenizers, worked out by hand: the context "the film was by the film in the film"
 * is nine one-token words in tiny-bert's and tiny-roberta's vocabularies (code points: the 0–3, film 4–8, was 9–12,
 * by 13–15, the 16–19, film 20–24, in 25–27, the 28–31, film 32–36).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubEndpoint, offlineHub } from '../../../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../../../hub-server/index.ts';
import { type EncoderTokenizer, loadTokenizer } from '../../model/tokenizer.ts';
import { questionWindows } from './windows.ts';

let server: RunningHubServer;
let ep: HubEndpoint;
beforeAll(async () => {
  server = await startHubServer({ root: process.env.ADAPTER_STUDIO_FIXTURES!, port: 0 });
  ep = offlineHub(server.url);
});
afterAll(async () => server?.close());

const context = 'the film was by the film in the film';
const byThe = { text: ['by the'], answerStart: [13] };
const ids = (tok: EncoderTokenizer, a: string, b: string) => {
  const enc = tok.encode([a], [b]);
  return [...enc.inputIds.subarray(0, enc.seq)];
};

describe('questionWindows', () => {
  let bert: EncoderTokenizer;
  let roberta: EncoderTokenizer;
  beforeAll(async () => {
    [bert, roberta] = await Promise.all([loadTokenizer(ep, 'adapter-studio/tiny-bert'), loadTokenizer(ep, 'adapter-studio/tiny-roberta')]);
  });

  it('cuts the context into windows of 4 tokens that overlap by 2 (BERT: [CLS] q [SEP] c [SEP])', () => {
    // 8 tokens = 3 special + 1 question + 4 context; a window starts every 4 − 2 = 2 context tokens: 0, 2, 4, 6.
    const windows = questionWindows(bert, '  film', context, byThe, { maxLength: 8, docStride: 2 });
    expect(windows).toHaveLength(4);
    expect(windows.map((w) => w.inputIds)).toEqual([
      ids(bert, 'film', 'the film was by'), ids(bert, 'film', 'was by the film'), ids(bert, 'film', 'the film in the'), ids(bert, 'film', 'in the film'),
    ]);
    expect(windows[0].tokenTypeIds).toEqual([0, 0, 0, 1, 1, 1, 1, 1]);
    // Window 1 holds words 2–5 at positions 3–6; offsets only for them.
    expect([...windows[1].offsets]).toEqual([-1, -1, -1, -1, -1, -1, 9, 12, 13, 15, 16, 19, 20, 24, -1, -1]);
    // "by the" (13–19) is words 3–4: positions 4–5 of window 1; the others do not hold all of it (CLS, 0).
    expect(windows.map((w) => [w.startPosition, w.endPosition])).toEqual([[0, 0], [4, 5], [0, 0], [0, 0]]);
  });

  it('labels RoBERTa windows after <s> q </s></s>, and leaves unanswered rows at CLS', () => {
    // Without a leading space "film" is not the vocabulary's "Ġfilm": the question takes 3 tokens.
    expect(roberta.tokenize('film')).toHaveLength(3);
    const [window] = questionWindows(roberta, 'film', context, { text: ['the film'], answerStart: [28] }, { maxLength: 20, docStride: 4 });
    expect(window.inputIds).toEqual(ids(roberta, 'film', context));
    // Context starts at position 4; "the film" (28–36) is words 7–8 → positions 11–12.
    // Context from position 1 + 3 + 2 = 6; "the film" (28–36) is words 7–8 → positions 13–14.
    expect([window.startPosition, window.endPosition]).toEqual([13, 14]);
    expect(questionWindows(roberta, 'film', context, { text: [], answerStart: [] }, { maxLength: 20, docStride: 4 }).map((w) => w.startPosition)).toEqual([0]);
  });

  it('refuses a stride that leaves a window no new context', () => {
    expect(() => questionWindows(bert, 'film', context, byThe, { maxLength: 8, docStride: 4 })).toThrow(/doc stride \(4\) must be a whole number below the 4 context tokens/);
    expect(() => questionWindows(bert, 'film film film film film', context, byThe, { maxLength: 8, docStride: 1 })).toThrow(/holds no context/);
  });
});

describe('tokenizeWithOffsets on every demo tokenizer', () => {
  // Each span, as that tokenizer normalises text (ALBERT lower-cases and drops accents, the others keep them), spells
  // its token (less "##", "Ġ", "▁"), except where a byte-level token holds part of a character or the vocabulary has
  // no piece ([UNK]); spans never go backwards.
  const text = 'Who directed it? The film was made by Maria Lopez in Paris, café 😀.';
  const points = [...text];
  const cases: [string, (s: string) => string][] = [
    ['adapter-studio/tiny-bert', (t) => t.toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '')],
    ['adapter-studio/tiny-roberta', (t) => t],
    ['adapter-studio/tiny-xlm-roberta', (t) => t],
    ['adapter-studio/tiny-albert', (t) => t.toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '')],
    ['adapter-studio/tiny-deberta-v3', (t) => t],
  ];
  it.each(cases)('%s', async (id, normalise) => {
    const tokenizer = await loadTokenizer(ep, id);
    const { tokens, offsets } = tokenizer.tokenizeWithOffsets(text);
    expect(offsets.length).toBe(2 * tokens.length);
    let spelled = 0;
    for (let t = 0; t < tokens.length; t++) {
      const [start, end] = [offsets[2 * t], offsets[2 * t + 1]];
      expect(end).toBeGreaterThanOrEqual(start);
      if (t > 0) expect(start, tokens[t]).toBeGreaterThanOrEqual(offsets[2 * t - 2]);
      const surface = tokens[t].replace(/^##/, '').replace(/^[Ġ▁]/, '');
      const span = normalise(points.slice(start, end).join(''));
      if (surface === '' || tokens[t] === '[UNK]' || tokens[t] === '<unk>' || /[^\x20-\x7e]/.test(tokens[t])) continue;
      expect(span, `${id} token ${t} "${tokens[t]}"`).toBe(surface);
      spelled++;
    }
    expect(spelled).toBeGreaterThanOrEqual(10);
    // "Paris" is where it stands in the text, whatever the pieces.
    const paris = text.indexOf('Paris');
    const covering = tokens.map((_, t) => [offsets[2 * t], offsets[2 * t + 1]]).filter(([s, e]) => s >= paris && e <= paris + 5 && e > s);
    expect(Math.min(...covering.map(([s]) => s))).toBe(paris);
    expect(Math.max(...covering.map(([, e]) => e))).toBe(paris + 5);
  });
});
