/**
 * The token-classification train.py, run by Python itself: it compiles and parses its flags, its constants say the
 * studio's setup (entity F1 kept best, add_prefix_space for byte-level BPE), its row helpers keep the rows the
 * studio keeps, its run_ner alignment gives the studio's labels on tiny-bert's word ids, and its entity scores
 * agree with the studio's seqeval on random tag sequences. `transformers` and `adapters` cannot be installed here,
 * so main() is not run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubEndpoint, offlineHub } from '../../../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../../../hub-server/index.ts';
import { pythonProjectFiles } from '../../export/python-project.ts';
import { ENCODERS, TRAINING, randomExport, runPython } from '../../export/test-support.ts';
import { loadTokenizer } from '../../model/tokenizer.ts';
import { Prng } from '../../random.ts';
import { alignLabels, encodeWords } from './align.ts';
import { seqevalScores } from './seqeval.ts';
import { readTags, readWords } from './tags.ts';

const PYTHON = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['--version']).status === 0);
const TAGS = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'];
const { config: _config, ...base } = TRAINING;
const training = { ...base, dataset: 'eriktks/conll2003', textColumns: ['tokens'], labelColumn: 'ner_tags', labelKind: 'tags' as const, bestMetrics: { entityF1: 0.8, tokenAccuracy: 0.95, loss: 0.2 } };
const exp = randomExport(ENCODERS.bert, 'seq_bn[reduction_factor=4]', { name: 'ner', headOptions: { kind: 'tagging', numLabels: TAGS.length, id2label: TAGS }, training });
const work = mkdtempSync(join(tmpdir(), 'python-tagging-'));
const script = new TextDecoder().decode(pythonProjectFiles(exp).get('train.py'));
writeFileSync(join(work, 'train.py'), script);
let server: RunningHubServer;
let ep: HubEndpoint;
beforeAll(async () => {
  server = await startHubServer({ root: process.env.ADAPTER_STUDIO_FIXTURES!, port: 0 });
  ep = offlineHub(server.url);
});
afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

const py = <T>(code: string, args: unknown[] = []) => runPython<T>(PYTHON!, `import json, sys\nsys.path.insert(0, ${JSON.stringify(work)})\nimport train\n${code}`, args.map((a) => JSON.stringify(a)));

describe.skipIf(!PYTHON)('the token-classification train.py', () => {
  it('compiles, parses --new-head, and embeds the setup', () => {
    const help = spawnSync(PYTHON!, [join(work, 'train.py'), '--help'], { encoding: 'utf8' });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('--new-head');
    expect(script).toContain('model.add_tagging_head(name, num_labels=len(LABELS), layers=1, activation_function="tanh", overwrite_ok=True, id2label=dict(enumerate(LABELS)))');
    expect(script).toContain('tokenizer(words, is_split_into_words=True, truncation=True, max_length=MAX_LENGTH)');
    expect(script).toContain('data_collator=DataCollatorForTokenClassification(tokenizer)');
    const got = py<Record<string, unknown>>('print(json.dumps({n: getattr(train, n) for n in ["TEXT_COLUMN", "LABEL_COLUMN", "LABELS", "METRIC_FOR_BEST", "GREATER_IS_BETTER", "ADD_PREFIX_SPACE"]}))');
    expect(got).toEqual({ TEXT_COLUMN: 'tokens', LABEL_COLUMN: 'ner_tags', LABELS: TAGS, METRIC_FOR_BEST: 'entity_f1', GREATER_IS_BETTER: true, ADD_PREFIX_SPACE: false });
    const roberta = randomExport(ENCODERS.roberta, 'seq_bn[reduction_factor=4]', { name: 'ner', headOptions: { kind: 'tagging', numLabels: TAGS.length, id2label: TAGS }, training });
    expect(new TextDecoder().decode(pythonProjectFiles(roberta).get('train.py'))).toContain('ADD_PREFIX_SPACE = True');
  });

  it('reads words and tags as the studio does', () => {
    const rows = [
      [['EU', 'rejects'], [1, 0]], [['EU', 'rejects'], ['B-PER', 'O']], [['EU', 7], [1, 0]], [['EU'], [1, 0]], [['EU'], [5]], [['EU'], ['X']],
      [[], []], ['EU rejects', [1, 0]], [['EU'], [true]], [['EU'], [-1]],
    ];
    const got = py<(number[] | null)[]>('print(json.dumps([train.to_tags(t, train.to_words(w)) for w, t in json.loads(sys.argv[1])]))', [rows]);
    expect(got).toEqual([[1, 0], [1, 0], [1, 0], null, null, null, null, null, null, null]);
    const ids = new Map(TAGS.map((t, i) => [t, i]));
    const studio = rows.map(([w, t]) => {
      const words = readWords(w);
      const tags = words ? readTags(t, TAGS, ids, words.length) : undefined;
      return Array.isArray(tags) ? tags : null;
    });
    expect(studio).toEqual(got);
  });

  it('aligns labels as the studio does on tiny-bert\'s word ids', async () => {
    const tokenizer = await loadTokenizer(ep, 'adapter-studio/tiny-bert');
    const words = ['Maria', 'Lopez', 'visited', 'Paris', 'yesterday'];
    const tags = [1, 2, 0, 3, 0];
    const { wordIds } = encodeWords(tokenizer, words, 64);
    expect(py<number[]>('print(json.dumps(train.align_labels(*json.loads(sys.argv[1]))))', [[wordIds, tags]])).toEqual(alignLabels(wordIds, tags));
  });

  it('scores entities as the studio\'s seqeval on random tag sequences and the README case', () => {
    const rng = new Prng(5);
    const sentences = (n: number) => Array.from({ length: n }, () => Array.from({ length: 1 + rng.int(9) }, () => rng.pick(TAGS)));
    const gold = sentences(40);
    const predicted = gold.map((s) => s.map((t) => (rng.chance(0.3) ? rng.pick(TAGS) : t)));
    const got = py<Record<string, number>>('print(json.dumps(train.entity_scores(*json.loads(sys.argv[1]))))', [[gold, predicted]]);
    const studio = seqevalScores(gold, predicted, true);
    expect(got.entity_precision).toBeCloseTo(studio.precision, 12);
    expect(got.entity_recall).toBeCloseTo(studio.recall, 12);
    expect(got.entity_f1).toBeCloseTo(studio.f1, 12);
    expect(got.token_accuracy).toBeCloseTo(studio.accuracy, 12);
    expect(studio.f1).toBeGreaterThan(0.2);
    expect(studio.f1).toBeLessThan(0.95);
    // seqeval's README, mode="strict": I-NP I-NP O has no entity.
    expect(py<Record<string, number>>('train.LABELS = ["O", "B-NP", "I-NP"]\nprint(json.dumps(train.entity_scores([["B-NP", "I-NP", "O"]], [["I-NP", "I-NP", "O"]])))').entity_f1).toBe(0);
  });
});
