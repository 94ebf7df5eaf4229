/**
 * The command line on a multiple-choice dataset: data (the task and the right ending of each row), train (pairs
 * per choice, accuracy each evaluation, the best kept by accuracy, the head and record written), predict
 * (--context / --header / --choice: every choice ranked with its probability) and eval (the trainer's best
 * metrics again from the saved files).
 */
import { readFileSync, } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTrainingRecord } from '../../core/export/model-card.ts';
import type { TrainEvent } from '../../core/train/events.ts';
import { offlineCli } from './task-cli-support.ts';

const cli = offlineCli('mc');

const MODEL = 'adapter-studio/tiny-bert';
const DATASET = 'adapter-studio/tiny-swag';
const CHOICES = ['the prime minister signed the peace treaty in Geneva.', 'the home team clinched the championship in overtime.', 'investors raised interest rates on Wall Street.', 'researchers released a new processor in orbit.'];

describe('adapter-studio train / predict / eval / data on tiny-swag', () => {
  it('says the task in data, with the right ending of each row', async () => {
    const data = await cli.run(['data', '--dataset', DATASET, '--json']);
    expect(data.code).toBe(0);
    const report = JSON.parse(data.out[0]);
    expect(report.mapping).toMatchObject({ task: 'multipleChoice', text: 'sent1', textPair: 'sent2', label: 'label', choices: ['ending0', 'ending1', 'ending2', 'ending3'] });
    expect(report.rows[0].labelName).toBe(`ending${report.rows[0].label}`);
    const human = await cli.run(['data', '--dataset', DATASET]);
    expect(human.out.join('\n')).toContain('Task: multiple choice, the right one of 4 choices (ending0, ending1, ending2, ending3) after the context');
    expect(human.out.join('\n')).toContain(` → ${report.rows[0].choices[report.rows[0].label].slice(0, 60)}`);
  });

  it('trains the multiple-choice head by accuracy, ranks choices from the saved files, and eval gives the best metrics again', async () => {
    const out = join(cli.dir, 'swag');
    const trained = await cli.run(['train', '--model', MODEL, '--dataset', DATASET, '--method', 'seq_bn', '--max-steps', '20', '--eval-steps', '10', '--lr', '1e-2', '--max-length', '48', '--out', out, '--json']);
    expect(trained.code, trained.err).toBe(0);
    const lines = trained.out.map((l) => JSON.parse(l));
    // 800 examples a batch of 16 examples (64 pairs).
    expect(lines[0]).toMatchObject({ kind: 'start', task: 'multipleChoice', batchesPerEpoch: 50, labelNames: ['ending0', 'ending1', 'ending2', 'ending3'], columns: { text: 'sent1', textPair: 'sent2', label: 'label', choices: ['ending0', 'ending1', 'ending2', 'ending3'] } });
    const evals = (lines.slice(1, -1) as TrainEvent[]).filter((e) => e.kind === 'eval');
    expect(evals.map((e) => e.step)).toEqual([10, 20]);
    for (const e of evals) {
      expect(e.metrics.examples).toBe(200);
      expect(e.metrics.accuracy).toBeGreaterThanOrEqual(0);
      expect(e.metrics.macroF1).toBeUndefined();
    }
    const result = lines.at(-1);
    const best = evals.reduce((a, e) => (e.metrics.accuracy! > a.metrics.accuracy! ? e : a));
    expect(result.best).toEqual(best.metrics);
    expect(JSON.parse(readFileSync(join(out, 'head_config.json'), 'utf8')).config).toEqual({ activation_function: 'tanh', dropout_prob: null, head_type: 'multiple_choice', label2id: null, layers: 2, num_choices: 4, use_pooler: false });
    expect(readTrainingRecord(readFileSync(join(out, 'README.md'), 'utf8'))).toMatchObject({ labelKind: 'classLabel', textColumns: ['sent1', 'sent2'], choiceColumns: ['ending0', 'ending1', 'ending2', 'ending3'] });

    const args = ['predict', '--model', MODEL, '--adapter', out, '--context', 'Diplomats signed a ceasefire in Geneva this week, officials confirmed.', '--header', 'On Monday', ...CHOICES.flatMap((c) => ['--choice', c]), '--max-length', '48'];
    const predicted = await cli.run([...args, '--json']);
    expect(predicted.code, predicted.err).toBe(0);
    const ranked = JSON.parse(predicted.out[0]);
    expect(ranked.ranking.map((r: { index: number }) => r.index).sort()).toEqual([0, 1, 2, 3]);
    expect(ranked.ranking.map((r: { choice: string; index: number }) => r.choice)).toEqual(ranked.ranking.map((r: { index: number }) => CHOICES[r.index]));
    expect(ranked.probabilities.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 5);
    expect(ranked.ranking.map((r: { probability: number }) => r.probability)).toEqual([...ranked.probabilities].sort((a, b) => b - a));
    expect(ranked).toMatchObject({ choice: ranked.ranking[0].choice, choiceIndex: ranked.ranking[0].index, probability: ranked.ranking[0].probability, header: 'On Monday' });
    const human = await cli.run(args);
    expect(human.out[0]).toBe(`Choice: ${ranked.choiceIndex} ${JSON.stringify(ranked.choice)} (${(ranked.probability * 100).toFixed(1)}%)`);
    // The head views its scores as [-1, num_choices]: 4 choices, no fewer; none is a usage error.
    const three = await cli.run([...args.slice(0, -4), '--max-length', '48']);
    expect(three.code).toBe(2);
    expect(three.err).toContain('picks among 4 choices (its head\'s num_choices): give --choice 4 times, not 3');
    const none = await cli.run(['predict', '--model', MODEL, '--adapter', out, '--text', 'A context.']);
    expect(none.code).toBe(2);
    expect(none.err).toContain('picks one of 4 choices: give --context "..." and --choice "..." 4 times');

    const evaluated = await cli.run(['eval', '--model', MODEL, '--adapter', out, '--dataset', DATASET, '--max-length', '48', '--json']);
    expect(evaluated.code, evaluated.err).toBe(0);
    expect(JSON.parse(evaluated.out[0]).metrics.accuracy).toBeCloseTo(result.best.accuracy, 6);
  });
});
