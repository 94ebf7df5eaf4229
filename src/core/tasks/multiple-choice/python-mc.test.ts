/**
 * The multiple-choice train.py, run by Python itself: it compiles and parses its flags, its constants say the
 * studio's setup (accuracy kept best, the choice columns), its row helpers keep the rows the studio keeps, its
 * pairs are the studio's (pairs.ts), and (where torch is installed) its collator views the padded pairs as
 * [batch, choices, seq]. `transformers` and `adapters` cannot be installed here, so main() is not run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { columnsOfFeatures } from '../../data/columns.ts';
import { detectMapping } from '../../data/column-mapping.ts';
import { RowMapper } from '../../data/examples.ts';
import { pythonProjectFiles } from '../../export/python-project.ts';
import { ENCODERS, TRAINING, findTorchPython, randomExport, runPython } from '../../export/test-support.ts';
import { choicePairs } from './pairs.ts';

const PYTHON = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['--version']).status === 0);
const CHOICES = ['ending0', 'ending1', 'ending2'];
const exp = randomExport(ENCODERS.bert, 'seq_bn[reduction_factor=4]', {
  name: 'swag',
  headOptions: { kind: 'multipleChoice', numChoices: 3, layers: 1 },
  training: { ...TRAINING, dataset: 'allenai/swag', config: 'regular', textColumns: ['sent1', 'sent2'], choiceColumns: CHOICES, labelColumn: 'label', labelKind: 'int', bestMetrics: { accuracy: 0.8, loss: 0.5 } },
});
const work = mkdtempSync(join(tmpdir(), 'python-mc-'));
const script = new TextDecoder().decode(pythonProjectFiles(exp).get('train.py'));
writeFileSync(join(work, 'train.py'), script);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const py = <T>(python: string, code: string, args: unknown[] = []) => runPython<T>(python, `import json, sys\nsys.path.insert(0, ${JSON.stringify(work)})\nimport train\n${code}`, args.map((a) => JSON.stringify(a)));

describe.skipIf(!PYTHON)('the multiple-choice train.py', () => {
  it('compiles, parses --new-head, and embeds the setup', () => {
    const help = spawnSync(PYTHON!, [join(work, 'train.py'), '--help'], { encoding: 'utf8' });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('--new-head');
    // The studio's head: 3 choices, 1 layer.
    expect(script).toContain('model.add_multiple_choice_head(name, num_choices=3, layers=1, activation_function="tanh", overwrite_ok=True)');
    expect(script).toContain('data_collator=MultipleChoiceCollator(tokenizer)');
    const got = py<Record<string, unknown>>(PYTHON!, 'print(json.dumps({n: getattr(train, n) for n in ["TEXT_COLUMN", "TEXT_PAIR_COLUMN", "LABEL_COLUMN", "LABEL_KIND", "LABELS", "CHOICE_COLUMNS", "METRIC_FOR_BEST", "GREATER_IS_BETTER"]}))');
    expect(got).toEqual({ TEXT_COLUMN: 'sent1', TEXT_PAIR_COLUMN: 'sent2', LABEL_COLUMN: 'label', LABEL_KIND: 'int', LABELS: CHOICES, CHOICE_COLUMNS: CHOICES, METRIC_FOR_BEST: 'accuracy', GREATER_IS_BETTER: true });
  });

  it('keeps the rows the studio keeps and builds its pairs', () => {
    const row = { sent1: 'A man sits.', sent2: 'He', ending0: 'stands.', ending1: 'sleeps.', ending2: 'eats.', label: 2 };
    const rows = [row, { ...row, label: 3 }, { ...row, label: -1 }, { ...row, ending1: '  ' }, { ...row, sent2: '' }, { ...row, label: 1.5 }];
    const kept = py<boolean[]>(PYTHON!, 'print(json.dumps([train.is_usable(r) for r in json.loads(sys.argv[1])]))', [rows]);
    const string = { dtype: 'string', _type: 'Value' };
    const mapping = detectMapping('x', columnsOfFeatures({ sent1: string, sent2: string, ending0: string, ending1: string, ending2: string, label: { dtype: 'int64', _type: 'Value' } }), rows);
    const mapper = new RowMapper({ ...mapping, labelNames: CHOICES });
    expect(kept).toEqual(rows.map((r, i) => mapper.map(r, i) !== undefined));
    expect(kept).toEqual([true, false, false, false, false, false]);
    const pairs = py<[string[], string[]][]>(PYTHON!, 'print(json.dumps([train.choice_pairs(*a) for a in json.loads(sys.argv[1])]))', [[['A man sits.', 'He', ['stands.', 'sleeps.']], ['Q?', null, ['yes', 'no']]]]);
    const studio = [choicePairs({ text: 'A man sits.', textPair: 'He', choices: ['stands.', 'sleeps.'] }), choicePairs({ text: 'Q?', choices: ['yes', 'no'] })];
    expect(pairs).toEqual(studio.map((p) => [p.first, p.second]));
  });

  const torchPython = findTorchPython();
  it.skipIf(!torchPython)('collates examples into [batch, choices, seq] with one label each', () => {
    // A tokenizer whose pad() right-pads input_ids / attention_mask with 0 to the longest, as tokenizer.pad does.
    const shapes = runPython<{ shape: number[]; ids: number[][][]; labels: number[] }>(torchPython!, `import json, sys, torch
sys.path.insert(0, ${JSON.stringify(work)})
import train
class Tokenizer:
    def pad(self, features, padding, return_tensors):
        longest = max(len(f["input_ids"]) for f in features)
        return {k: torch.tensor([f[k] + [0] * (longest - len(f[k])) for f in features]) for k in ("input_ids", "attention_mask")}
features = [
    {"input_ids": [[1, 5], [1, 6, 7], [1]], "attention_mask": [[1, 1], [1, 1, 1], [1]], "labels": 1},
    {"input_ids": [[1, 8], [1], [1, 9]], "attention_mask": [[1, 1], [1], [1, 1]], "labels": 0},
]
batch = train.MultipleChoiceCollator(Tokenizer())(features)
print(json.dumps({"shape": list(batch["input_ids"].shape), "ids": batch["input_ids"].tolist(), "labels": batch["labels"].tolist()}))
`);
    expect(shapes).toEqual({ shape: [2, 3, 3], ids: [[[1, 5, 0], [1, 6, 7], [1, 0, 0]], [[1, 8, 0], [1, 0, 0], [1, 9, 0]]], labels: [1, 0] });
  });
});
