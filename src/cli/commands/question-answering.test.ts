/**
 * The command line on a question-answering dataset: train (windows with --doc-stride, SQuAD's exact match and F1
 * each evaluation, the best kept by F1), predict (--question / --context: the best span, its place in the
 * paragraph, the n best) and eval (the trainer's best metrics again from the saved files), and data.
 */
import { readFileSync, } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTrainingRecord } from '../../core/export/model-card.ts';
import type { TrainEvent } from '../../core/train/events.ts';
import { offlineCli } from './task-cli-support.ts';

const cli = offlineCli('qa');

const MODEL = 'adapter-studio/tiny-bert';
const DATASET = 'adapter-studio/tiny-squad';
const PARAGRAPH = 'The mayor bought the big house. The teacher fixed the old road last week. The doctor closed a small shop.';

describe('adapter-studio train / predict / eval / data on tiny-squad', () => {
  it('says the task in data', async () => {
    const data = await cli.run(['data', '--dataset', DATASET, '--json']);
    expect(data.code).toBe(0);
    const report = JSON.parse(data.out[0]);
    expect(report.mapping).toMatchObject({ task: 'questionAnswering', text: 'question', textPair: 'context', label: 'answers', labelKind: 'answers' });
    expect(report.rows[0].labelName).toBe(report.rows[0].answers.text[0]);
  });

  it('trains the QA head by F1, answers from the saved files, and eval gives the best metrics again', async () => {
    const out = join(cli.dir, 'squad');
    const trained = await cli.run(['train', '--model', MODEL, '--dataset', DATASET, '--method', 'seq_bn', '--max-steps', '24', '--eval-steps', '12', '--lr', '1e-2',
      '--max-length', '48', '--doc-stride', '8', '--out', out, '--json']);
    expect(trained.code, trained.err).toBe(0);
    const lines = trained.out.map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ kind: 'start', task: 'questionAnswering' });
    // 48 tokens hold fewer than 48 − 3 − 7 = 38 context tokens: longer paragraphs take 2 windows, so an epoch has
    // more than the 600 rows / 16 = 38 batches.
    expect(lines[0].batchesPerEpoch).toBeGreaterThan(38);
    const evals = (lines.slice(1, -1) as TrainEvent[]).filter((e) => e.kind === 'eval');
    expect(evals.map((e) => e.step)).toEqual([12, 24]);
    for (const e of evals) {
      expect(e.metrics.examples).toBe(100);
      expect(e.metrics.f1!).toBeGreaterThanOrEqual(e.metrics.exactMatch!);
      expect(e.metrics.accuracy).toBeUndefined();
    }
    const result = lines.at(-1);
    const best = evals.reduce((a, e) => (e.metrics.f1! > a.metrics.f1! ? e : a));
    expect(result.best).toEqual(best.metrics);
    expect(JSON.parse(readFileSync(join(out, 'head_config.json'), 'utf8')).config).toEqual({ activation_function: 'tanh', dropout_prob: null, head_type: 'question_answering', label2id: null, layers: 1, num_labels: 2 });
    expect(readTrainingRecord(readFileSync(join(out, 'README.md'), 'utf8'))).toMatchObject({ labelKind: 'answers', textColumns: ['question', 'context'], hyperparameters: { maxLength: 48, docStride: 8 } });

    const predicted = await cli.run(['predict', '--model', MODEL, '--adapter', out, '--question', 'When did it happen?', '--context', PARAGRAPH, '--max-length', '48', '--doc-stride', '8', '--n-best', '3', '--json']);
    expect(predicted.code, predicted.err).toBe(0);
    const answer = JSON.parse(predicted.out[0]);
    expect(answer.windows).toBeGreaterThanOrEqual(1);
    expect(answer.answers).toHaveLength(3);
    expect(answer.answer).toBe([...PARAGRAPH].slice(answer.start, answer.end).join(''));
    expect(answer.answers[0]).toMatchObject({ text: answer.answer, score: answer.score, probability: answer.probability });
    expect(answer.answers.map((a: { score: number }) => a.score)).toEqual([...answer.answers.map((a: { score: number }) => a.score)].sort((a, b) => b - a));
    // --text / --text-pair say the same, and the doc stride defaults to the training record's; a QA adapter without
    // a paragraph is a usage error.
    const again = await cli.run(['predict', '--model', MODEL, '--adapter', out, '--text', 'When did it happen?', '--text-pair', PARAGRAPH, '--max-length', '48', '--n-best', '3', '--json']);
    expect(JSON.parse(again.out[0]).answers).toEqual(answer.answers);
    const missing = await cli.run(['predict', '--model', MODEL, '--adapter', out, '--question', 'When?']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('answers questions: give --question "..." and --context "..."');

    const evaluated = await cli.run(['eval', '--model', MODEL, '--adapter', out, '--dataset', DATASET, '--max-length', '48', '--json']);
    expect(evaluated.code, evaluated.err).toBe(0);
    const metrics = JSON.parse(evaluated.out[0]).metrics;
    expect(metrics.exactMatch).toBeCloseTo(result.best.exactMatch, 6);
    expect(metrics.f1).toBeCloseTo(result.best.f1, 6);
  });
});
