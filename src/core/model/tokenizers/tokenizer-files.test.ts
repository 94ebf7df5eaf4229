/**
 * Which tokenizer files a repo is read from, and what tokenizer_config.json / special_tokens_map.json /
 * added_tokens.json change, on the offline Hub. Expected ids come from the repos' own vocabulary files.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubEndpoint, offlineHub } from '../../../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../../../hub-server/index.ts';
import { writeRepo } from '../../../hub-server/test-hub.ts';
import { loadEncoder } from '../load-encoder.ts';
import { type EncoderTokenizer, loadTokenizer } from '../tokenizer.ts';

const real = (path: string) => readFileSync(join(import.meta.dirname, 'testdata', 'real', path));
const fixture = (id: string, path: string) => readFileSync(join(process.env.ADAPTER_STUDIO_FIXTURES!, 'models', id, 'files', path));
const sibertVocab = real('sibert/vocab.txt').toString('utf8').split('\n');
const sibert = { 'config.json': real('sibert/config.json'), 'vocab.txt': real('sibert/vocab.txt') };
const kantaibert = { 'config.json': real('kantaibert/config.json'), 'vocab.json': real('kantaibert/vocab.json'), 'merges.txt': real('kantaibert/merges.txt') };
const kantVocab = JSON.parse(real('kantaibert/vocab.json').toString('utf8')) as Record<string, number>;

let server: RunningHubServer;
let ep: HubEndpoint;
let root: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tokenizer-files-'));
  server = await startHubServer({ root, port: 0 });
  ep = offlineHub(server.url);
});
afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

const load = (id: string, files: Record<string, string | Uint8Array>) => {
  writeRepo(root, 'models', id, undefined, files);
  return loadTokenizer(ep, id);
};
const ids = (tok: EncoderTokenizer, text: string) => [...tok.encode([text]).inputIds];
const vocabId = (token: string) => {
  const id = sibertVocab.indexOf(token);
  if (id < 0) throw new Error(`test precondition: ${token} is not in SiBERT's vocab.txt`);
  return id;
};

describe('model_max_length', () => {
  it.each([
    ['SiBERT\'s max_len 512 beside 512 positions', '{"do_lower_case": false, "max_len": 512}', 512],
    ['model_max_length below the position table', '{"model_max_length": 128}', 128],
    ['the older max_len below the position table', '{"max_len": 64}', 64],
    ['transformers\' "unset" sentinel 1e30', '{"model_max_length": 1000000000000000019884624838656}', 512],
    ['a limit above the position table', '{"model_max_length": 4096}', 512],
  ])('%s', async (_, tokenizerConfig, want) => {
    const tok = await load(`limits/${want}-${tokenizerConfig.length}`, { ...sibert, 'tokenizer_config.json': tokenizerConfig });
    expect(tok.maxLength).toBe(want);
    expect(tok.encode(['word '.repeat(600)]).seq).toBe(want);
  });
});

describe('special and added tokens', () => {
  it('reads special_tokens_map.json tokens written as {content, ...} objects', async () => {
    const map = Object.fromEntries(['unk', 'sep', 'pad', 'cls', 'mask'].map((k) => [`${k}_token`, { content: `[${k.toUpperCase()}]`, lstrip: false, rstrip: false, normalized: false, single_word: false }]));
    const tok = await load('special/objects', { ...sibert, 'special_tokens_map.json': JSON.stringify(map), 'tokenizer_config.json': '{"do_lower_case": false}' });
    expect(tok.padTokenId).toBe(vocabId('[PAD]'));
    expect(tok.tokenizer.mask_token_id).toBe(vocabId('[MASK]'));
    expect(ids(tok, 'Sri [MASK] !')).toEqual(['[CLS]', 'Sri', '[MASK]', '!', '[SEP]'].map(vocabId));
  });

  it('gives tokenizer_config\'s special tokens precedence over special_tokens_map.json', async () => {
    // SiBERT's vocab has <S> and <T> at ids 5 and 6; made the cls/sep tokens here.
    const tok = await load('special/precedence', {
      ...sibert,
      'special_tokens_map.json': '{"cls_token": "[MASK]", "sep_token": "[MASK]"}',
      'tokenizer_config.json': '{"do_lower_case": false, "cls_token": "<S>", "sep_token": "<T>"}',
    });
    expect(ids(tok, 'Lanka')).toEqual(['<S>', 'Lanka', '<T>'].map(vocabId));
  });

  it('adds the tokens of added_tokens_decoder and added_tokens.json after the vocabulary, unsplit', async () => {
    const tok = await load('special/added', {
      ...sibert,
      'tokenizer_config.json': JSON.stringify({ do_lower_case: false, added_tokens_decoder: { 10000: { content: '<ent>', lstrip: false, rstrip: false, normalized: false, single_word: false, special: false } } }),
      'added_tokens.json': '{"<rel>": 10001}',
    });
    expect(ids(tok, 'Sri<ent>Lanka <rel>')).toEqual([vocabId('[CLS]'), vocabId('Sri'), 10000, vocabId('Lanka'), 10001, vocabId('[SEP]')]);
  });

  it('adds additional_special_tokens missing from the vocabulary after it', async () => {
    const tok = await load('special/additional', { ...sibert, 'special_tokens_map.json': '{"additional_special_tokens": ["<e1>", {"content": "<e2>"}]}', 'tokenizer_config.json': '{"do_lower_case": false}' });
    expect(ids(tok, 'Sri<e1>Lanka<e2>')).toEqual([vocabId('[CLS]'), vocabId('Sri'), 10000, vocabId('Lanka'), 10001, vocabId('[SEP]')]);
  });

  it('lets an object mask token turn off RoBERTa\'s lstrip', async () => {
    const withLstrip = await load('special/mask-lstrip', kantaibert);
    const without = await load('special/mask-no-lstrip', { ...kantaibert, 'special_tokens_map.json': '{"mask_token": {"content": "<mask>", "lstrip": false, "rstrip": false}}' });
    const lstripped = ids(withLstrip, 'Reason is <mask>.');
    const mask = lstripped.indexOf(kantVocab['<mask>']);
    expect(mask).toBeGreaterThan(0);
    // Without lstrip the space before <mask> stays in the text and becomes its own byte-level token, Ġ.
    expect(ids(without, 'Reason is <mask>.')).toEqual([...lstripped.slice(0, mask), kantVocab['Ġ'], ...lstripped.slice(mask)]);
  });
});

describe('which files are read', () => {
  it('follows tokenizer_class over model_type', async () => {
    const tok = await load('class/roberta-files-bert-config', { ...kantaibert, 'config.json': real('sibert/config.json'), 'tokenizer_config.json': '{"tokenizer_class": "RobertaTokenizerFast"}' });
    expect(tok.source).toBe('vocab.json+merges.txt');
  });

  it.each(['distilbert', 'electra'])('reads vocab.txt for %s as for BERT', async (modelType) => {
    const bert = await load('family/bert', { ...sibert, 'tokenizer_config.json': '{"do_lower_case": false}' });
    const other = await load(`family/${modelType}`, {
      ...sibert, 'tokenizer_config.json': '{"do_lower_case": false}',
      'config.json': JSON.stringify({ model_type: modelType, vocab_size: 10000, max_position_embeddings: 512 }),
    });
    expect(other.source).toBe('vocab.txt');
    const text = 'Sri Lanka 1970 ශ්රී ලංකාව!';
    expect(ids(other, text)).toEqual(ids(bert, text));
  });

  it('loads an encoder from a repo whose only tokenizer file is vocab.txt, with the same ids as its tokenizer.json', async () => {
    const files = Object.fromEntries(['config.json', 'model.safetensors', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json'].map((f) => [f, fixture('adapter-studio/tiny-bert', f)]));
    writeRepo(root, 'models', 'slow/tiny-bert', undefined, files);
    writeRepo(root, 'models', 'fast/tiny-bert', undefined, { ...files, 'tokenizer.json': fixture('adapter-studio/tiny-bert', 'tokenizer.json') });
    const slow = await loadEncoder(ep, 'slow/tiny-bert', { backend: 'cpu' });
    const fast = await loadTokenizer(ep, 'fast/tiny-bert');
    try {
      expect(slow.info.tokenizerSource).toBe('vocab.txt');
      expect(fast.source).toBe('tokenizer.json');
      const texts = ['The film was SUPERB!', 'Café MOVIES', 'the 日 film', 'a very long sentence about nothing at all in particular'];
      const a = slow.tokenizer.encode(texts, texts.slice().reverse(), { maxLength: 12 });
      const b = fast.encode(texts, texts.slice().reverse(), { maxLength: 12 });
      expect([...a.inputIds]).toEqual([...b.inputIds]);
      expect([...a.tokenTypeIds]).toEqual([...b.tokenTypeIds]);
    } finally {
      slow.dispose();
    }
  });
});
