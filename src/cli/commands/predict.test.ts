// predict with several adapters (--adapter repeated, --compose): AdapterHub-style repos of the fixture Hub
// (AdapterHub/tiny-roberta-pf-*: adapter and head files at the repo root, as AdapterHub publishes them) composed as
// the library composes them. Parallel of two Pfeiffer adapters gives each head exactly what that adapter alone gives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHubServer, startHubServer } from '../../hub-server/index.ts';
import { main } from '../main.ts';

let server: RunningHubServer;

beforeAll(async () => {
  const root = process.env.ADAPTER_STUDIO_FIXTURES;
  if (!root) throw new Error('ADAPTER_STUDIO_FIXTURES is not set: the vitest globalSetup generates the fixtures');
  server = await startHubServer({ root, port: 0 });
});
afterAll(async () => { await server?.close(); });

async function runCli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err: err.join('\n') };
}

const MODEL = 'adapter-studio/tiny-roberta';
const SENTIMENT = 'AdapterHub/tiny-roberta-pf-sentiment';
const TOPICS = 'AdapterHub/tiny-roberta-pf-topics';
const TEXT = 'The match ended in a draw after a long and tiring game.';
const predict = async (...args: string[]) => {
  const run = await runCli(['predict', '--model', MODEL, '--text', TEXT, '--hub', server.url, '--json', ...args]);
  expect(run.code, run.err || run.out.join('\n')).toBe(0);
  return JSON.parse(run.out[0]);
};

describe('predict --compose', () => {
  it('parallel: each head on its own copy, equal to each adapter alone; labels from each head', async () => {
    const alone = [await predict('--adapter', SENTIMENT), await predict('--adapter', TOPICS)];
    expect(alone.map((a) => a.adapter)).toEqual(['sentiment', 'topics']);
    const parallel = await predict('--adapter', SENTIMENT, '--adapter', TOPICS, '--compose', 'parallel');
    expect(parallel.composition).toBe('Parallel[sentiment, topics]');
    expect(parallel.input_ids).toEqual([alone[0].input_ids]);
    expect(parallel.heads.map((h: { adapter: string }) => h.adapter)).toEqual(['sentiment', 'topics']);
    parallel.heads.forEach((head: { logits: number[]; label: string; probabilities: number[] }, i: number) => {
      expect(head.logits).toHaveLength(alone[i].logits.length);
      head.logits.forEach((z, j) => expect(z).toBeCloseTo(alone[i].logits[j], 5));
      expect(head.label).toBe(alone[i].label);
    });
    expect(parallel.heads[1].probabilities).toHaveLength(4);
  });

  it('stack and average predict with the last adapter\'s head and differ from it alone; batch-split shares out the texts', async () => {
    const topics = await predict('--adapter', TOPICS);
    const stack = await predict('--adapter', SENTIMENT, '--adapter', TOPICS, '--compose', 'stack');
    const average = await predict('--adapter', SENTIMENT, '--adapter', TOPICS, '--compose', 'average', '--weights', '1,3');
    for (const run of [stack, average]) {
      expect(run.heads).toHaveLength(1);
      expect(run.heads[0].adapter).toBe('topics');
      expect(Math.max(...run.heads[0].logits.map((z: number, i: number) => Math.abs(z - topics.logits[i])))).toBeGreaterThan(1e-4);
    }
    expect(average.composition).toBe('Average[sentiment, topics]');
    const split = await runCli(['predict', '--model', MODEL, '--adapter', SENTIMENT, '--adapter', TOPICS, '--compose', 'batch-split', '--batch-sizes', '1,1', '--text', TEXT, '--text', 'A fine film.', '--hub', server.url, '--json']);
    expect(split.code, split.err).toBe(0);
    const heads = JSON.parse(split.out[0]).heads;
    expect(heads.map((h: { adapter: string; text: number }) => [h.adapter, h.text])).toEqual([['sentiment', 0], ['topics', 1]]);
  });

  it('refuses two adapters without --compose, an unknown block, and weights that do not fit, with exit 2', async () => {
    const base = ['predict', '--model', MODEL, '--adapter', SENTIMENT, '--adapter', TOPICS, '--text', TEXT, '--hub', server.url];
    const none = await runCli(base);
    expect(none.code).toBe(2);
    expect(none.err).toContain('say how they combine with --compose stack|parallel|average|batch-split');
    expect((await runCli([...base, '--compose', 'fuse'])).code).toBe(2);
    const weights = await runCli([...base, '--compose', 'average', '--weights', '1']);
    expect(weights.code).toBe(2);
    expect(weights.err).toContain('needs one finite weight a child (2)');
  });
});
