// References: markdown-it (a CommonMark + GFM tables renderer, with raw HTML on, as the Hub renders cards) for what a
// card shows, and PyYAML's safe_load for the front matter the Hub reads. Hostile strings stand for label names,
// columns and dataset names that come from someone else's dataset or adapter folder.
import { spawnSync } from 'node:child_process';
import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { adapterHubFiles } from './adapterhub.ts';
import { readTrainingRecord } from './model-card.ts';
import { peftFiles } from './peft.ts';
import { ENCODERS, TRAINING, randomExport } from './test-support.ts';
import type { TrainingRecord } from './types.ts';

const IMG = '<img src=x onerror=alert(1)>';
const LABELS = [IMG, 'a|b', '**bold**', '[click](javascript:alert(1))'];
const HOSTILE_TRAINING: TrainingRecord = {
  ...TRAINING,
  dataset: 'evil/x\nlicense: mit <script>alert(2)</script>',
  config: '`</code><script>alert(3)</script>',
  splits: { ...TRAINING.splits, train: 'train<iframe src=//evil>', validation: 'train<iframe src=//evil>' },
  textColumns: ['<b onmouseover=alert(4)>text</b>'],
  labelColumn: 'label | injected cell',
  bestMetrics: { '<svg onload=alert(5)>': 0.5 },
};

const render = (markdown: string) => new MarkdownIt({ html: true }).render(markdown);
const decoder = new TextDecoder();

/** The card's front matter as PyYAML reads it, and the Markdown after it. */
function splitCard(card: string): { yaml: Record<string, unknown>; body: string } {
  const match = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(card);
  if (!match) throw new Error(`No front matter in:\n${card.slice(0, 200)}`);
  const run = spawnSync('python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], { input: match[1], encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`PyYAML refused the front matter: ${run.stderr}\n${match[1]}`);
  return { yaml: JSON.parse(run.stdout) as Record<string, unknown>, body: match[2] };
}

/** Tags the rendered HTML has (lower-case names), e.g. ['h1', 'p', 'code', ...]. */
const tagsOf = (html: string) => [...html.matchAll(/<([a-zA-Z][\w-]*)/g)].map((m) => m[1].toLowerCase());

function expectInert(card: string) {
  const { yaml, body } = splitCard(card);
  expect(Object.keys(yaml).sort()).toEqual(['base_model', 'datasets', 'library_name', 'tags']);
  expect(yaml.datasets).toEqual([HOSTILE_TRAINING.dataset]);
  const html = render(body);
  const tags = new Set(tagsOf(html));
  for (const bad of ['img', 'script', 'iframe', 'svg', 'b']) expect(tags.has(bad), `<${bad}> in the rendered card`).toBe(false);
  expect(html).not.toContain('href="javascript:');
  // The names are shown as they are.
  expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  expect(html).toContain('**bold**');
  // Every table row keeps its two cells although a name holds a pipe.
  for (const rowHtml of html.match(/<tr>[\s\S]*?<\/tr>/g) ?? []) expect((rowHtml.match(/<t[dh][ >]/g) ?? []).length).toBe(2);
  expect(html).toContain('label | injected cell');
  expect(readTrainingRecord(card)).toEqual(HOSTILE_TRAINING);
}

describe('model cards with hostile label, column and dataset names', () => {
  it('AdapterHub README.md renders them as text, keeps the tables and the front matter', () => {
    const exp = randomExport(ENCODERS.bert, 'seq_bn', { labels: LABELS, training: HOSTILE_TRAINING });
    expectInert(decoder.decode(adapterHubFiles(exp).get('README.md')));
  });

  it('PEFT README.md too', () => {
    const exp = randomExport(ENCODERS.bert, 'lora', { labels: LABELS, training: HOSTILE_TRAINING });
    expectInert(decoder.decode(peftFiles(exp).get('README.md')));
  });

  it('a plain card still links the dataset and shows names as code', () => {
    const exp = randomExport(ENCODERS.bert, 'seq_bn', { labels: ['negative', 'positive'], training: TRAINING });
    const html = render(splitCard(decoder.decode(adapterHubFiles(exp).get('README.md'))).body);
    expect(html).toContain('<a href="https://huggingface.co/datasets/acme/reviews">acme/reviews</a>');
    expect(html).toContain('<code>review</code>');
    expect(html).toContain('labels: negative, positive');
  });
});

describe('model cards of an adapter trained on a local file', () => {
  const LOCAL: TrainingRecord = {
    ...TRAINING,
    dataset: 'reviews.csv',
    localFile: { name: 'reviews.csv', format: 'csv', rows: 1200, bytes: 48_213 },
    splits: { train: 'train', validation: 'train', heldOut: { share: 0.1, seed: 42 } },
  };
  delete LOCAL.config;

  for (const [format, files] of [['AdapterHub', (e: ReturnType<typeof randomExport>) => adapterHubFiles(e)], ['PEFT', peftFiles]] as const) {
    it(`${format}: names the file and its rows, links no Hub dataset, and lists none in the front matter`, () => {
      const exp = randomExport(ENCODERS.bert, format === 'PEFT' ? 'lora' : 'seq_bn', { labels: ['negative', 'positive'], training: LOCAL });
      const card = decoder.decode(files(exp).get('README.md'));
      const { yaml, body } = splitCard(card);
      expect(yaml).not.toHaveProperty('datasets');
      const html = render(body);
      expect(html).not.toContain('huggingface.co/datasets/');
      expect(html).toContain('trained with Adapter Studio on a local file <code>reviews.csv</code>, 1200 rows');
      expect(html).toContain('<td>Dataset</td>\n<td>a local file <code>reviews.csv</code>, 1200 rows</td>');
      expect(readTrainingRecord(card)).toEqual(LOCAL);
    });
  }
});
