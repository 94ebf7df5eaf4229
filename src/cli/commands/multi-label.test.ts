/**
 * The command line on multi-label data: data says the task and why, train learns tiny-multilabel's topics (BCE,
 * micro / macro F1 each evaluation, the best kept by micro-F1), the head's files carry the library's
 * multilabel_classification config and the thresholds, predict prints every label above its threshold with its
 * probability (and --json), eval gives the trainer's best metrics again; and a local file with 0/1 columns named
 * by --label-columns.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTrainingRecord } from '../../core/export/model-card.ts';
import type { TrainEvent } from '../../core/train/events.ts';
import { offlineCli } from './task-cli-support.ts';

const cli = offlineCli('multilabel');

const MODEL = 'adapter-studio/tiny-bert';
const DATASET = 'adapter-studio/tiny-multilabel';
const TOPICS = ['world', 'sports', 'business', 'science'];

describe('adapter-studio data / train / predict / eval on multi-label data', () => {
  it('says the task and why in data', async () => {
    const data = await cli.run(['data', '--dataset', DATASET, '--json']);
    expect(data.code, data.err).toBe(0);
    const report = JSON.parse(data.out[0]);
    expect(report.mapping).toMatchObject({ task: 'multiLabel', text: 'text', label: 'labels', labelKind: 'labelList', labelNames: TOPICS });
    expect(report.rows[0].labelNames).toEqual(TOPICS.filter((_, i) => report.rows[0].targets[i]));
    const human = await cli.run(['data', '--dataset', DATASET]);
    expect(human.out).toContain('Task: multi-label classification (any set of world, sports, business, science; a sigmoid per label)');
    expect(human.out.join('\n')).toContain('label: labels ("labels" holds a list of labels per row (List(ClassLabel), 4 labels): multi-label classification, a sigmoid per label)');
  });

  it('learns the topics, keeps the best by micro-F1, predicts every label above its threshold, and eval agrees', async () => {
    const out = join(cli.dir, 'topics');
    const trained = await cli.run(['train', '--model', MODEL, '--dataset', DATASET, '--method', 'seq_bn', '--max-steps', '100', '--eval-steps', '50', '--lr', '1e-2',
      '--max-length', '48', '--out', out, '--json']);
    expect(trained.code, trained.err).toBe(0);
    const lines = trained.out.map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ kind: 'start', task: 'multiLabel', labelNames: TOPICS });
    const evals = (lines.slice(1, -1) as TrainEvent[]).filter((e) => e.kind === 'eval');
    expect(evals.map((e) => e.step)).toEqual([50, 100]);
    for (const e of evals) {
      expect(e.metrics.examples).toBe(150);
      expect(e.metrics.accuracy).toBeUndefined();
      expect(e.metrics.microF1).toBeGreaterThanOrEqual(0);
      expect(e.metrics.macroF1).toBeLessThanOrEqual(1);
    }
    const result = lines.at(-1);
    const best = evals.reduce((a, e) => (e.metrics.microF1! > a.metrics.microF1! ? e : a));
    expect(result.best).toEqual(best.metrics);
    // Learnt, not guessed: predicting every topic scores micro-F1 2·P/(1 + P) with P ≈ 0.4 the share of positive
    // entries (≈ 0.57); predicting none scores 0.
    expect(result.best.microF1).toBeGreaterThan(0.8);

    const headConfig = JSON.parse(readFileSync(join(out, 'head_config.json'), 'utf8'));
    expect(headConfig.config).toEqual({ activation_function: 'tanh', bias: true, dropout_prob: null, head_type: 'multilabel_classification', label2id: { business: 2, science: 3, sports: 1, world: 0 }, layers: 2, num_labels: 4, use_pooler: false });
    expect(headConfig.thresholds).toEqual({ business: 0.5, science: 0.5, sports: 0.5, world: 0.5 });
    expect(readTrainingRecord(readFileSync(join(out, 'README.md'), 'utf8'))).toMatchObject({ labelKind: 'labelList', labelColumn: 'labels', bestMetrics: { microF1: result.best.microF1 } });

    const text = 'The coach won the title. Investors raised interest rates.';
    const predicted = await cli.run(['predict', '--model', MODEL, '--adapter', out, '--text', text, '--max-length', '48', '--json']);
    expect(predicted.code, predicted.err).toBe(0);
    const p = JSON.parse(predicted.out[0]);
    expect(p.probabilities).toHaveLength(4);
    expect(p.thresholds).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(p.scores.map((s: { label: string }) => s.label).sort()).toEqual([...TOPICS].sort());
    expect(p.labels).toEqual(p.scores.filter((s: { probability: number }) => s.probability >= 0.5).map((s: { label: string }) => s.label));
    p.probabilities.forEach((prob: number, i: number) => expect(prob).toBeCloseTo(1 / (1 + Math.exp(-p.logits[i])), 6));
    expect([...p.labels].sort()).toEqual(['business', 'sports']);
    const human = await cli.run(['predict', '--model', MODEL, '--adapter', out, '--text', text, '--max-length', '48']);
    expect(human.out[0]).toMatch(/^Labels: (sports|business) \(\d+\.\d%\), (sports|business) \(\d+\.\d%\)$/);
    expect(human.out.filter((l) => l.startsWith('  ✓'))).toHaveLength(2);
    expect(human.out).toHaveLength(5);

    const evaluated = await cli.run(['eval', '--model', MODEL, '--adapter', out, '--dataset', DATASET, '--max-length', '48', '--json']);
    expect(evaluated.code, evaluated.err).toBe(0);
    const metrics = JSON.parse(evaluated.out[0]).metrics;
    expect(metrics.microF1).toBeCloseTo(result.best.microF1, 6);
    expect(metrics.macroF1).toBeCloseTo(result.best.macroF1, 6);
    expect(metrics.loss).toBeCloseTo(result.best.loss, 5);
  });

  it('reads several 0/1 columns named by --label-columns from a local file', async () => {
    const file = join(cli.dir, 'flags.jsonl');
    const rows = Array.from({ length: 40 }, (_, i) => ({ comment: `comment number ${i} is here`, toxic: i % 2, insult: i % 3 === 0 ? 1 : 0, threat: i % 5 === 0 }));
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
    const data = await cli.run(['data', '--file', file, '--label-columns', 'toxic,insult,threat', '--json']);
    expect(data.code, data.err).toBe(0);
    const report = JSON.parse(data.out[0]);
    expect(report.mapping).toMatchObject({ task: 'multiLabel', text: 'comment', labelKind: 'binaryColumns', labelColumns: ['toxic', 'insult', 'threat'], labelNames: ['toxic', 'insult', 'threat'] });
    expect(report.rows[0]).toMatchObject({ targets: [0, 1, 1], labelNames: ['insult', 'threat'] });
    const out = join(cli.dir, 'flags');
    const trained = await cli.run(['train', '--model', MODEL, '--file', file, '--label-columns', 'toxic,insult,threat', '--max-steps', '2', '--max-length', '16', '--out', out, '--json']);
    expect(trained.code, trained.err).toBe(0);
    expect(readTrainingRecord(readFileSync(join(out, 'README.md'), 'utf8'))).toMatchObject({ labelKind: 'binaryColumns', labelColumns: ['toxic', 'insult', 'threat'] });
    const both = await cli.run(['data', '--file', file, '--label-columns', 'toxic,insult', '--label-column', 'toxic']);
    expect(both.code).toBe(2);
    expect(both.err).toContain('Give --label-column (one label per row) or --label-columns (multi-label), not both.');
  });
});
