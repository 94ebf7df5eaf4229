/**
 * The command line on a token-classification dataset: data (the task, each row's entities, words per tag), train
 * (seqeval's entity F1 and token accuracy each evaluation, the best kept by entity F1, the tagging head's files),
 * predict (a tag and probability per word, the entities with their place in the text; text and --json) and eval
 * (the trainer's best metrics again from the saved files).
 */
import { readFileSync, } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTrainingRecord } from '../../core/export/model-card.ts';
import type { TrainEvent } from '../../core/train/events.ts';
import { offlineCli } from './task-cli-support.ts';

const cli = offlineCli('ner');

const MODEL = 'adapter-studio/tiny-bert';
const DATASET = 'adapter-studio/tiny-ner';
const CONLL_TAGS = ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC'];

describe('adapter-studio data / train / predict / eval on tiny-ner', () => {
  it('says the task and each row\'s entities in data', async () => {
    const data = await cli.run(['data', '--dataset', DATASET, '--json']);
    expect(data.code, data.err).toBe(0);
    const report = JSON.parse(data.out[0]);
    expect(report.mapping).toMatchObject({ task: 'tokenClassification', text: 'tokens', label: 'ner_tags', labelKind: 'tags', labelNames: CONLL_TAGS });
    const [row] = report.rows;
    expect(row.words.length).toBe(row.tags.length);
    expect(row.labelName).toMatch(/^(PER|ORG|LOC|MISC) "/);
    const human = await cli.run(['data', '--dataset', DATASET]);
    expect(human.out).toContain(`Task: token classification, a tag per word: ${CONLL_TAGS.join(', ')}`);
    expect(human.out.some((l) => l.startsWith('Words per tag in the first rows: O '))).toBe(true);
  });

  it('trains a tagging head by entity F1, tags a text from the saved files, and eval gives the best metrics again', async () => {
    const out = join(cli.dir, 'ner');
    const trained = await cli.run(['train', '--model', MODEL, '--dataset', DATASET, '--method', 'seq_bn', '--epochs', '5', '--lr', '3e-2',
      '--max-length', '32', '--out', out, '--json']);
    expect(trained.code, trained.err).toBe(0);
    const lines = trained.out.map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ kind: 'start', task: 'tokenClassification', labelNames: CONLL_TAGS });
    expect(lines[0].batchesPerEpoch).toBe(Math.ceil(600 / 16));
    const evals = (lines.slice(1, -1) as TrainEvent[]).filter((e) => e.kind === 'eval');
    // At the end of each epoch of 38 batches.
    expect(evals.map((e) => e.step)).toEqual([38, 76, 114, 152, 190]);
    for (const e of evals) {
      expect(e.metrics.examples).toBe(100);
      expect(e.metrics.accuracy).toBeUndefined();
      expect(e.metrics.entityF1).toBeGreaterThanOrEqual(0);
      expect(e.metrics.tokenAccuracy).toBeGreaterThan(0);
    }
    const result = lines.at(-1);
    const best = evals.reduce((a, e) => (e.metrics.entityF1! > a.metrics.entityF1! ? e : a));
    expect(result.best).toEqual(best.metrics);
    // The demo data is learnable: most entities found in 5 epochs (0.86 entity F1, 0.95 token accuracy when written).
    expect(result.best.entityF1).toBeGreaterThan(0.75);
    expect(result.best.tokenAccuracy).toBeGreaterThan(0.9);
    expect(JSON.parse(readFileSync(join(out, 'head_config.json'), 'utf8')).config).toEqual({
      activation_function: 'tanh', dropout_prob: null, head_type: 'tagging', label2id: Object.fromEntries(CONLL_TAGS.map((t, i) => [t, i])), layers: 1, num_labels: 9,
    });
    expect(readTrainingRecord(readFileSync(join(out, 'README.md'), 'utf8'))).toMatchObject({ labelKind: 'tags', textColumns: ['tokens'], labelColumn: 'ner_tags', bestMetrics: { entityF1: result.best.entityF1 } });

    const text = 'the  police chief of the city council visited geneva on monday .';
    const predicted = await cli.run(['predict', '--model', MODEL, '--adapter', out, '--text', text, '--max-length', '32', '--json']);
    expect(predicted.code, predicted.err).toBe(0);
    const tagged = JSON.parse(predicted.out[0]);
    expect(tagged.words.map((w: { word: string }) => w.word)).toEqual(text.split(/\s+/));
    for (const w of tagged.words) {
      expect(text.slice(w.start, w.end)).toBe(w.word);
      expect(CONLL_TAGS).toContain(w.tag);
      expect(w.probability).toBeGreaterThan(0);
    }
    for (const e of tagged.entities) expect(text.slice(e.start, e.end)).toBe(e.text);
    // The two it finds surely (geneva, rarer, may still be O after 5 epochs).
    expect(tagged.entities.map((e: { label: string; text: string }) => `${e.label} ${e.text}`).slice(0, 2)).toEqual(['PER police chief', 'ORG city council']);
    const human = await cli.run(['predict', '--model', MODEL, '--adapter', out, '--text', text, '--max-length', '32']);
    expect(human.out[0]).toMatch(/^Entities: PER "police chief" \(\d+\.\d%\), ORG "city council" \(\d+\.\d%\)/);
    expect(human.out[1]).toMatch(/^ {2}the +O +0\.\d{4}$/);
    const pair = await cli.run(['predict', '--model', MODEL, '--adapter', out, '--text', 'a', '--text-pair', 'b']);
    expect(pair.code).toBe(2);
    expect(pair.err).toContain('tags the words of one text');

    const evaluated = await cli.run(['eval', '--model', MODEL, '--adapter', out, '--dataset', DATASET, '--max-length', '32', '--json']);
    expect(evaluated.code, evaluated.err).toBe(0);
    const metrics = JSON.parse(evaluated.out[0]).metrics;
    expect(metrics.entityF1).toBeCloseTo(result.best.entityF1, 6);
    expect(metrics.tokenAccuracy).toBeCloseTo(result.best.tokenAccuracy, 6);

    // The same adapter as PEFT (a LoRA-less seq_bn has no PEFT form: refused) and as the Python project.
    const peft = await cli.run(['export', '--model', MODEL, '--adapter', out, '--format', 'peft', '--out', join(cli.dir, 'ner-peft')]);
    expect(peft.code).not.toBe(0);
    expect(peft.err).toMatch(/PEFT/);
    const python = await cli.run(['export', '--model', MODEL, '--adapter', out, '--format', 'python', '--out', join(cli.dir, 'ner-python')]);
    expect(python.code, python.err).toBe(0);
    const script = readFileSync(join(cli.dir, 'ner-python', 'train.py'), 'utf8');
    expect(script).toContain('METRIC_FOR_BEST = "entity_f1"');
    expect(script).toContain('LABEL_COLUMN = "ner_tags"');
  });
});
