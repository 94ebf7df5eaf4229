/**
 * The question-answering train.py, run by Python itself: it compiles and parses its flags, its constants say the
 * studio's setup (F1 kept best, the windows' doc stride), its row helpers keep the rows the studio keeps, and its
 * run_qa-style labelling and postprocessing agree with the studio's (windows.ts, postprocess.ts) on the same
 * windows of tiny-bert's tokenizer. `transformers` and `adapters` cannot be installed here, so main() is not run.
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
import { readAnswers } from './answers.ts';
import { windowCandidates } from './postprocess.ts';
import { questionWindows } from './windows.ts';

const PYTHON = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['--version']).status === 0);
const exp = randomExport(ENCODERS.bert, 'seq_bn[reduction_factor=4]', {
  name: 'squad',
  headOptions: { kind: 'questionAnswering' },
  training: { ...TRAINING, dataset: 'rajpurkar/squad', config: 'plain_text', textColumns: ['question', 'context'], labelColumn: 'answers', labelKind: 'answers', hyperparameters: { ...TRAINING.hyperparameters, maxLength: 48 }, bestMetrics: { exactMatch: 70, f1: 80, loss: 1.2 } },
});
const work = mkdtempSync(join(tmpdir(), 'python-qa-'));
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

describe.skipIf(!PYTHON)('the question-answering train.py', () => {
  it('compiles, parses --new-head, and embeds the setup', () => {
    const help = spawnSync(PYTHON!, [join(work, 'train.py'), '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--new-head');
    expect(script).toContain('model.add_qa_head(name, num_labels=2, layers=1, activation_function="tanh", overwrite_ok=True)');
    const got = py<Record<string, unknown>>('print(json.dumps({n: getattr(train, n) for n in ["TEXT_COLUMN", "TEXT_PAIR_COLUMN", "LABEL_COLUMN", "MAX_LENGTH", "DOC_STRIDE", "N_BEST", "MAX_ANSWER_LENGTH", "METRIC_FOR_BEST", "GREATER_IS_BETTER"]} | {"LABEL_KIND": hasattr(train, "LABEL_KIND")}))');
    expect(got).toEqual({ TEXT_COLUMN: 'question', TEXT_PAIR_COLUMN: 'context', LABEL_COLUMN: 'answers', MAX_LENGTH: 48, DOC_STRIDE: 16, N_BEST: 20, MAX_ANSWER_LENGTH: 30, METRIC_FOR_BEST: 'f1', GREATER_IS_BETTER: true, LABEL_KIND: false });
  });

  it('reads answers cells as the studio does', () => {
    const cells = [
      { text: ['x'], answer_start: [3] }, [{ text: 'x', answer_start: 3 }], '{"text": ["x"], "answer_start": [3]}', { text: 'x', answer_start: 3 },
      { text: ['x', 'y'], answer_start: [3] }, { text: ['x'], answer_start: [-1] }, 'plain text', 7, { text: [], answer_start: [] },
    ];
    const got = py<unknown[]>('print(json.dumps([train.to_answers(c) for c in json.loads(sys.argv[1])]))', [cells]);
    const x = { text: ['x'], answer_start: [3] };
    expect(got).toEqual([x, x, x, x, null, null, null, null, { text: [], answer_start: [] }]);
    // The studio keeps and skips the same cells.
    expect(cells.map(readAnswers).map((a) => (typeof a === 'string' ? null : { text: a.text, answer_start: a.answerStart }))).toEqual(got);
  });

  it('labels windows and scores spans as the studio does, on the same tiny-bert windows', async () => {
    const tokenizer = await loadTokenizer(ep, 'adapter-studio/tiny-bert');
    const context = 'the film was by the film in the film';
    const answers = [{ text: ['by the'], answer_start: [13] }, { text: ['the film'], answer_start: [28] }];
    const windows = answers.flatMap((a, row) => questionWindows(tokenizer, 'film', context, { text: a.text, answerStart: a.answer_start }, { maxLength: 8, docStride: 2 }).map((w) => ({ w, row })));
    // The fast tokenizer's view of each window: offsets (0, 0) outside the context, sequence ids None / 0 / 1.
    const features = windows.map(({ w, row }) => ({
      input_ids: w.inputIds,
      offsets: Array.from({ length: w.inputIds.length }, (_, i) => (w.offsets[2 * i] < 0 ? [0, 0] : [w.offsets[2 * i], w.offsets[2 * i + 1]])),
      sequence_ids: w.inputIds.map((_, i) => (w.offsets[2 * i] >= 0 ? 1 : i === 1 ? 0 : null)),
      row,
    }));
    const labels = py<[number[], number[]]>(`
class Features(dict):
    def sequence_ids(self, i):
        return self["_sequence_ids"][i]
f = json.loads(sys.argv[1])
features = Features(input_ids=[x["input_ids"] for x in f], offset_mapping=[x["offsets"] for x in f], overflow_to_sample_mapping=[x["row"] for x in f], _sequence_ids=[x["sequence_ids"] for x in f])
class Tokenizer:
    cls_token_id = ${tokenizer.assemble([], null).ids[0]}
print(json.dumps(train.answer_labels(Tokenizer(), features, json.loads(sys.argv[2]))))
`, [features, answers]);
    expect(labels).toEqual([windows.map(({ w }) => w.startPosition), windows.map(({ w }) => w.endPosition)]);

    const start = [9, 0, 0, 5, 1, 0, 2, 0];
    const end = [9, 0, 0, 1, 0, 0, 4, 8];
    const { w } = windows[1];
    const offsets = Array.from({ length: w.inputIds.length }, (_, i) => (w.offsets[2 * i] < 0 ? null : [w.offsets[2 * i], w.offsets[2 * i + 1]]));
    const spans = py<[number, number, number][]>('print(json.dumps(train.best_answer(*json.loads(sys.argv[1]), n_best=3)))', [[start, end, offsets]]);
    expect(spans).toEqual(windowCandidates(start, end, w.offsets, { nBest: 3 }).map((c) => [c.score, c.start, c.end]));
  });
});
