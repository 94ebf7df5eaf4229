// Reference: the training record given to the exporter (the values train.py must embed, written out by hand
// below), the studio's own hold-out rule (src/core/data/split-plan.ts isHeldOut, which train.py re-implements),
// and Python itself: the script must compile, run its argument parser, and its data helpers are executed here.
// The `adapters` package cannot be installed here, so main() is not run.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isHeldOut } from '../data/split-plan.ts';
import { MAX_BUNDLED_DATA_BYTES, pythonProjectFiles, trainingScript } from './python-project.ts';
import type { LocalFileRecord, TrainingRecord } from './types.ts';
import { ENCODERS, TRAINING, randomExport, runPython } from './test-support.ts';

const PYTHON = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['--version']).status === 0);
if (!PYTHON && process.env.CI) throw new Error('python3 is missing; CI requires it to check train.py.');

const exp = randomExport(ENCODERS.roberta, 'seq_bn[reduction_factor=4]', { labels: ['no', 'yes'], training: TRAINING });
const work = mkdtempSync(join(tmpdir(), 'python-project-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Writes a train.py into its own folder and returns the folder. */
function writeScript(script: string): string {
  const dir = mkdtempSync(join(work, 'p-'));
  writeFileSync(join(dir, 'train.py'), script);
  return dir;
}

const CONSTANTS = ['BASE_MODEL', 'ADAPTER_DIR', 'DATASET', 'DATASET_CONFIG', 'DATA_FILE', 'DATA_FORMAT', 'VALIDATION_DATA_FILE', 'VALIDATION_DATA_FORMAT', 'TRAIN_SPLIT', 'VALIDATION_SPLIT', 'HELD_OUT_SHARE', 'HELD_OUT_SEED', 'MAX_TRAIN_EXAMPLES',
  'MAX_VALIDATION_EXAMPLES', 'TEXT_COLUMN', 'TEXT_PAIR_COLUMN', 'LABEL_COLUMN', 'LABEL_KIND', 'LABELS', 'MAX_LENGTH', 'LEARNING_RATE', 'NUM_EPOCHS', 'MAX_STEPS', 'BATCH_SIZE',
  'GRADIENT_ACCUMULATION', 'WARMUP_RATIO', 'WARMUP_STEPS', 'WEIGHT_DECAY', 'LR_SCHEDULER', 'MAX_GRAD_NORM', 'SEED', 'EVAL_STEPS', 'EARLY_STOPPING_PATIENCE', 'METRIC_FOR_BEST', 'GREATER_IS_BETTER'];

/** The module's constants (with Python type names for the numbers), imported from `dir`. */
function constants(dir: string): Record<string, { value: unknown; type: string }> {
  return runPython(PYTHON!, `
import json, sys
sys.path.insert(0, sys.argv[1])
import train
names = json.loads(sys.argv[2])
print(json.dumps({n: {"value": getattr(train, n), "type": type(getattr(train, n)).__name__} for n in names if hasattr(train, n)}))
`, [dir, JSON.stringify(CONSTANTS)]);
}

describe('the Python project', () => {
  it('holds the AdapterHub export under adapter/, train.py, requirements.txt and a README', () => {
    const files = pythonProjectFiles(exp);
    expect([...files.keys()].sort()).toEqual([
      'README.md', 'adapter/README.md', 'adapter/adapter.safetensors', 'adapter/adapter_config.json', 'adapter/head_config.json', 'adapter/model_head.safetensors',
      'adapter/pytorch_adapter.bin', 'adapter/pytorch_model_head.bin', 'requirements.txt', 'train.py',
    ]);
    const requirements = new TextDecoder().decode(files.get('requirements.txt')).split('\n').map((l) => l.split(/[<>=\s]/)[0]).filter(Boolean);
    expect(requirements).toEqual(expect.arrayContaining(['adapters', 'datasets', 'accelerate', 'evaluate']));
    expect(new TextDecoder().decode(files.get('adapter/README.md'))).toContain('model.load_adapter("./adapter")');
  });

  it('refuses adapters without a training record or a head', () => {
    expect(() => trainingScript({ ...exp, training: undefined })).toThrow(/carries no training setup/);
    expect(() => trainingScript({ ...exp, head: undefined })).toThrow(/no prediction head/);
  });

  it.skipIf(!PYTHON)('compiles (py_compile), answers --help without the heavy imports, and embeds the exact setup', () => {
    const script = trainingScript(exp);
    const dir = writeScript(script);
    const compiled = spawnSync(PYTHON!, ['-m', 'py_compile', join(dir, 'train.py')], { encoding: 'utf8' });
    expect(compiled.stderr).toBe('');
    expect(compiled.status).toBe(0);
    const help = spawnSync(PYTHON!, [join(dir, 'train.py'), '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('accelerate launch train.py');

    const got = Object.fromEntries(Object.entries(constants(dir)).map(([k, v]) => [k, v.value]));
    expect(got).toEqual({
      BASE_MODEL: 'acme/roberta-small', ADAPTER_DIR: './adapter', DATASET: 'acme/reviews', DATASET_CONFIG: 'default', TRAIN_SPLIT: 'train',
      VALIDATION_SPLIT: 'train', HELD_OUT_SHARE: 0.1, HELD_OUT_SEED: 42, MAX_TRAIN_EXAMPLES: 5000, MAX_VALIDATION_EXAMPLES: null,
      TEXT_COLUMN: 'review', TEXT_PAIR_COLUMN: null, LABEL_COLUMN: 'stars', LABEL_KIND: 'string', LABELS: ['no', 'yes'], MAX_LENGTH: 128,
      LEARNING_RATE: 0.0001, NUM_EPOCHS: 4, BATCH_SIZE: 32, GRADIENT_ACCUMULATION: 2, WARMUP_RATIO: 0.06, WARMUP_STEPS: 0, WEIGHT_DECAY: 0.01, LR_SCHEDULER: 'linear',
      MAX_GRAD_NORM: 1, SEED: 42, EVAL_STEPS: 200, EARLY_STOPPING_PATIENCE: 3, METRIC_FOR_BEST: 'accuracy', GREATER_IS_BETTER: true,
    });
    const types = constants(dir);
    for (const name of ['LEARNING_RATE', 'WARMUP_RATIO', 'WEIGHT_DECAY', 'MAX_GRAD_NORM', 'HELD_OUT_SHARE']) expect(types[name].type, name).toBe('float');
    for (const name of ['NUM_EPOCHS', 'BATCH_SIZE', 'MAX_LENGTH', 'SEED']) expect(types[name].type, name).toBe('int');
    // The Trainer gets the studio's values through these names.
    for (const arg of ['learning_rate=LEARNING_RATE', 'num_train_epochs=NUM_EPOCHS', 'gradient_accumulation_steps=GRADIENT_ACCUMULATION', 'warmup_ratio=WARMUP_RATIO', 'weight_decay=WEIGHT_DECAY', 'lr_scheduler_type=LR_SCHEDULER', 'max_grad_norm=MAX_GRAD_NORM', 'seed=SEED', 'metric_for_best_model=METRIC_FOR_BEST']) {
      expect(script).toContain(arg);
    }
    expect(script).toContain('name = model.load_adapter(ADAPTER_DIR, set_active=True)');
    expect(script).toContain('model.train_adapter(name)');
    expect(script).toContain('trainer = AdapterTrainer(');
  });

  it.skipIf(!PYTHON)('writes regression, max-steps and constant-schedule setups', () => {
    const regression = randomExport(ENCODERS.bert, 'lora', {
      headOptions: { kind: 'regression' },
      training: { ...TRAINING, labelKind: 'float', textColumns: ['sentence1', 'sentence2'], splits: { train: 'train', validation: 'validation' }, hyperparameters: { learningRate: 3e-4, batchSize: 8, maxLength: 64, maxSteps: 500, warmupSteps: 50, schedule: 'constant', seed: 1 } },
    });
    const dir = writeScript(trainingScript(regression));
    const got = Object.fromEntries(Object.entries(constants(dir)).map(([k, v]) => [k, v.value]));
    expect(got).toMatchObject({ LABEL_KIND: 'float', LABELS: [], METRIC_FOR_BEST: 'mse', GREATER_IS_BETTER: false, TEXT_PAIR_COLUMN: 'sentence2', HELD_OUT_SHARE: null, VALIDATION_SPLIT: 'validation', MAX_STEPS: 500, WARMUP_STEPS: 50, WARMUP_RATIO: 0, LR_SCHEDULER: 'constant_with_warmup', GRADIENT_ACCUMULATION: 1, WEIGHT_DECAY: 0.01 });
    expect(got).not.toHaveProperty('NUM_EPOCHS');
    expect(trainingScript(regression)).toContain('        max_steps=MAX_STEPS,');
  });

  it.skipIf(!PYTHON)('holds out exactly the rows the studio holds out, and reads labels as the studio does', () => {
    const dir = writeScript(trainingScript(exp));
    const rows = 3000;
    const settings = [{ seed: 42, share: 0.1 }, { seed: 7, share: 0.35 }, { seed: 2 ** 31 - 1, share: 0.5 }];
    const python = runPython<{ heldOut: boolean[][]; labels: Record<string, unknown[]> }>(PYTHON!, `
import json, sys
sys.path.insert(0, sys.argv[1])
import train
settings = json.loads(sys.argv[2])
held = [[train.is_held_out(i, s["share"], s["seed"]) for i in range(int(sys.argv[3]))] for s in settings]
cases = [None, "", "yes", "no", "maybe", 1]
labels = {"string": [train.to_label(v) for v in cases]}
train.LABEL_KIND, train.LABELS = "int", ["0", "1", "2"]
labels["int"] = [train.to_label(v) for v in [0, 2, 3, -1, 1.5, "2", True]]
train.LABEL_KIND = "bool"
labels["bool"] = [train.to_label(v) for v in [True, False, "true", "false", "x", 1]]
train.LABEL_KIND = "float"
labels["float"] = [train.to_label(v) for v in [2.5, "-1", "nan", "x", float("inf")]]
labels["usable"] = [train.is_usable(e) for e in [{"review": "ok", "stars": 0}, {"review": "  ", "stars": 0}, {"review": 5, "stars": 1.5}]]
print(json.dumps({"heldOut": held, "labels": labels}))
`, [dir, JSON.stringify(settings), String(rows)]);
    settings.forEach((holdOut, i) => {
      const studio = Array.from({ length: rows }, (_, row) => isHeldOut(row, holdOut));
      expect(python.heldOut[i]).toEqual(studio);
      expect(studio.filter(Boolean).length / rows).toBeCloseTo(holdOut.share, 1);
    });
    expect(python.labels).toEqual({
      string: [null, null, 1, 0, null, null],
      int: [0, 2, null, null, null, 2, 1],
      bool: [1, 0, 1, 0, null, null],
      float: [2.5, -1, null, null, null],
      usable: [true, false, true],
    });
  });
});

// Reference for local files: the `datasets` library's packaged builders and their options (csv.py's CsvConfig
// `delimiter`, `keep_default_na`, `na_values`; json.py's `field` for records inside one key), and the studio's
// own reading rules (src/core/data/local-files.ts). `datasets` is not installable here, so a recording stand-in
// module takes its place while the generated load_local_file() runs for real on the bundled file.
describe('the Python project of an adapter trained on a local file', () => {
  const FILES: Record<LocalFileRecord['format'], [string, string]> = {
    csv: ['reviews.csv', 'review,stars\nfine,yes\nNA,no\n'],
    tsv: ['reviews.tsv', 'review\tstars\nfine\tyes\n'],
    jsonl: ['reviews.jsonl', '{"review": "fine", "stars": "yes"}\n'],
    json: ['reviews.json', '{"rows": [{"review": "fine", "stars": "yes"}]}'],
    parquet: ['reviews.parquet', 'PAR1 stand-in bytes PAR1'],
  };
  const localExport = (format: LocalFileRecord['format'], text = FILES[format][1]) => {
    const file: LocalFileRecord = { name: FILES[format][0], format, rows: 2, bytes: new TextEncoder().encode(text).byteLength };
    const training: TrainingRecord = { ...TRAINING, dataset: file.name, localFile: file, splits: { train: 'train', validation: 'train', heldOut: { share: 0.1, seed: 42 } } };
    delete training.config;
    return { ...exp, training };
  };

  type Read = { call?: [string[], Record<string, unknown>]; fromDict?: unknown; path?: string };
  /** Writes the project's files into a folder and runs its load_local_files() with a stand-in `datasets` that records each call. */
  function loadCall(files: Map<string, Uint8Array>): { train?: Read; validation?: Read; exit?: string } {
    const dir = mkdtempSync(join(work, 'local-'));
    for (const [path, bytes] of files) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), bytes);
    }
    mkdirSync(join(dir, 'stand-in', 'datasets'), { recursive: true });
    writeFileSync(join(dir, 'stand-in', 'datasets', '__init__.py'), `
import os, sys
def load_dataset(*args, **kwargs):
    path = os.path.relpath(kwargs["data_files"], sys.argv[1])
    return {"train": {"call": [list(args), {k: v for k, v in kwargs.items() if k != "data_files"}], "path": path}}
class Dataset:
    @staticmethod
    def from_dict(columns):
        return columns
def DatasetDict(splits):
    return {"train": {"fromDict": splits["train"]}}
`);
    return runPython(PYTHON!, `
import json, os, sys
sys.path[:0] = [sys.argv[1], os.path.join(sys.argv[1], "stand-in")]
import train
try:
    out = train.load_local_files()
except SystemExit as exit:
    out = {"exit": str(exit)}
print(json.dumps(out))
`, [dir]);
  }

  it.skipIf(!PYTHON)('carries the file under data/ and reads it with the datasets builder of its format, as the studio read it', () => {
    const expected: Record<LocalFileRecord['format'], [string[], Record<string, unknown>]> = {
      csv: [['csv'], { keep_default_na: false, na_values: [''] }],
      tsv: [['csv'], { delimiter: '\t', quoting: 3, keep_default_na: false, na_values: [''] }],
      jsonl: [['json'], {}],
      json: [['json'], { field: 'rows' }],
      parquet: [['parquet'], {}],
    };
    for (const format of Object.keys(FILES) as LocalFileRecord['format'][]) {
      const project = localExport(format);
      const [name, text] = FILES[format];
      const files = pythonProjectFiles(project, { dataFile: new TextEncoder().encode(text) });
      expect(new TextDecoder().decode(files.get(`data/${name}`)), format).toBe(text);
      const script = new TextDecoder().decode(files.get('train.py'));
      const dir = writeScript(script);
      const compiled = spawnSync(PYTHON!, ['-m', 'py_compile', join(dir, 'train.py')], { encoding: 'utf8' });
      expect(compiled.stderr, format).toBe('');
      const got = constants(dir);
      expect(got.DATASET, format).toBeUndefined();
      expect(got.DATASET_CONFIG, format).toBeUndefined();
      expect(loadCall(files), format).toEqual({ train: { call: expected[format], path: `data/${name}` } });
      expect(script, format).toContain(`DATA_FILE = "data/${name}"  # the local file the studio trained on (2 rows), included in this project`);
      expect(script).not.toContain('load_dataset(DATASET');
      expect(new TextDecoder().decode(files.get('README.md'))).toContain(`on the local file it was trained on (${format.toUpperCase()}, 2 rows). It is included as \`data/${name}\`.`);
    }
  });

  it.skipIf(!PYTHON)('reads a JSON array of records, records under a key, and columns, like the studio', () => {
    const layouts: [string, unknown][] = [
      ['[{"review": "fine", "stars": "yes"}]', { call: [['json'], {}], path: 'data/reviews.json' }],
      ['{"examples": [{"review": "fine", "stars": "yes"}]}', { call: [['json'], { field: 'examples' }], path: 'data/reviews.json' }],
      ['{"review": ["fine", "bad"], "stars": ["yes", "no"]}', { fromDict: { review: ['fine', 'bad'], stars: ['yes', 'no'] } }],
    ];
    for (const [text, call] of layouts) {
      expect(loadCall(pythonProjectFiles(localExport('json', text), { dataFile: new TextEncoder().encode(text) })).train, text).toEqual(call);
    }
  });

  it.skipIf(!PYTHON)('names the file clearly when it is too big to carry (or not at hand), and train.py says where it goes', () => {
    const project = localExport('csv');
    const big = { ...project, training: { ...project.training, localFile: { ...project.training.localFile!, bytes: MAX_BUNDLED_DATA_BYTES + 1 } } };
    for (const files of [pythonProjectFiles(big, { dataFile: new Uint8Array(MAX_BUNDLED_DATA_BYTES + 1) }), pythonProjectFiles(project)]) {
      expect([...files.keys()].filter((k) => k.startsWith('data/'))).toEqual([]);
      const script = new TextDecoder().decode(files.get('train.py'));
      expect(script).toMatch(/DATA_FILE = "data\/reviews\.csv" {2}# the local file the studio trained on \(2 rows\), not included \([\d.]+ [kM]B\): copy it here/);
      expect(new TextDecoder().decode(files.get('README.md'))).toMatch(/It is not included \([\d.]+ [kM]B(, over the 67\.1 MB limit)?\): copy it to `data\/reviews\.csv` before running `train\.py`\./);
      expect(loadCall(files).exit).toMatch(/data\/reviews\.csv is missing: put the file the studio trained on there \(see README\.md\)\./);
    }
  });

  it.skipIf(!PYTHON)('reads a separate validation file as split "validation", and names it for the user to copy in', () => {
    const project = localExport('csv');
    const validation: LocalFileRecord = { name: 'reviews.csv', format: 'tsv', rows: 7, bytes: 2_500_000 };
    const both = { ...project, training: { ...project.training, localValidationFile: validation, splits: { train: 'train', validation: 'validation' } } };
    const files = pythonProjectFiles(both, { dataFile: new TextEncoder().encode(FILES.csv[1]) });
    // Named like the training file, so it gets a prefix; it is never carried (the studio's worker holds one file).
    files.set('data/validation-reviews.csv', new TextEncoder().encode('review\tstars\nfine\tyes\n'));
    const got = constants(writeScript(new TextDecoder().decode(files.get('train.py'))));
    expect(got.VALIDATION_SPLIT.value).toBe('validation');
    expect(got.HELD_OUT_SHARE.value).toBeNull();
    expect(loadCall(files)).toEqual({
      train: { call: [['csv'], { keep_default_na: false, na_values: [''] }], path: 'data/reviews.csv' },
      validation: { call: [['csv'], { delimiter: '\t', quoting: 3, keep_default_na: false, na_values: [''] }], path: 'data/validation-reviews.csv' },
    });
    const script = new TextDecoder().decode(files.get('train.py'));
    expect(script).toContain('VALIDATION_DATA_FILE = "data/validation-reviews.csv"  # the local file it validated on (7 rows), not included (2.5 MB): copy it here');
    expect(new TextDecoder().decode(files.get('README.md'))).toContain('It validated on a second file (TSV, 7 rows), not included (2.5 MB): copy it to `data/validation-reviews.csv`.');
    // Without one, the constants say so.
    const single = constants(writeScript(trainingScript(project)));
    expect([single.VALIDATION_DATA_FILE.value, single.VALIDATION_DATA_FORMAT.value]).toEqual([null, null]);
  });

  it('keeps a hostile file name inside data/', () => {
    const project = localExport('csv');
    const named = (name: string) => ({ ...project, training: { ...project.training, localFile: { ...project.training.localFile!, name } } });
    const paths = ['../../etc/passwd.csv', '..', 'a\nb".csv'].map((name) => [...pythonProjectFiles(named(name), { dataFile: new Uint8Array(3) }).keys()].find((k) => k.startsWith('data/')));
    expect(paths).toEqual(['data/___.._etc_passwd.csv', 'data/__', 'data/a_b_.csv']);
  });
});
