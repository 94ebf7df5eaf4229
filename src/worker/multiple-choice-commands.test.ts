/**
 * Multiple choice through the real handler on wasm: describeAdapter gives the head's size, a run on tiny-swag
 * reports accuracy, rankChoices ranks as the core does with the worker's exported files (imported and run
 * independently), predict (the classifier's command) is refused with the reason, and the Python export
 * is the multiple-choice train.py.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { importAdapter } from '../core/export/import.ts';
import { rankChoices } from '../core/tasks/multiple-choice/rank.ts';
import { adapterTrainable } from '../core/train/adapter-trainable.ts';
import { liveAdapter } from '../core/train/imported-adapter.ts';
import { DEFAULT_TRAINING_SETTINGS } from '../core/train/training-settings.ts';
import { handlerWithModel, offlineModel } from './task-test-support.ts';

const MODEL = 'adapter-studio/tiny-bert';
const CONTEXT = 'Diplomats signed a ceasefire in Geneva this week, officials confirmed.';
const CHOICES = ['the prime minister signed the peace treaty in Geneva.', 'the home team clinched the championship in overtime.', 'investors raised interest rates on Wall Street.', 'researchers released a new processor in orbit.'];

const offline = offlineModel(MODEL);

describe('multiple choice in the worker', () => {
  it('trains on tiny-swag, ranks as the core does from the exported files, and refuses predict', async () => {
    const { hub, reference } = offline;
    const channel = await handlerWithModel(offline, MODEL);
    const described = await channel.client.send({ type: 'describeAdapter', choice: { method: 'seq_bn' }, encoder: reference.config, head: { task: 'multipleChoice', labels: ['ending0', 'ending1', 'ending2', 'ending3'] } });
    // Linear(64, 64) + Linear(64, 1): 64 · 64 + 64 + 64 + 1.
    expect(described.summary?.headParameters).toBe(4225);

    const settings = { ...DEFAULT_TRAINING_SETTINGS, learningRate: 1e-2, epochs: 1, maxLength: 48 };
    const trained = await channel.client.send({
      type: 'train',
      setup: { runId: 'mc-run', model: MODEL, data: { kind: 'hub', dataset: 'adapter-studio/tiny-swag', maxTrainExamples: 64 }, adapter: { kind: 'new', choice: { method: 'seq_bn' }, name: 'swag' }, settings },
      endpoint: hub,
    });
    expect(trained.adapter.head).toEqual({ task: 'multipleChoice', labels: ['0', '1', '2', '3'] });
    expect(trained.result.best).toEqual({ loss: expect.any(Number), accuracy: expect.any(Number), examples: 200 });

    const ranked = await channel.client.send({ type: 'rankChoices', context: CONTEXT, header: 'On Monday', choices: CHOICES });
    expect(ranked.ranking.map((r) => r.choice)).toEqual(ranked.ranking.map((r) => CHOICES[r.index]));
    expect(ranked.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    await expect(channel.client.send({ type: 'rankChoices', context: CONTEXT, choices: CHOICES.slice(0, 3) })).rejects.toThrow(/picks among 4 choices \(its num_choices\), so give 4, not 3/);
    await expect(channel.client.send({ type: 'predict', texts: [CONTEXT] })).rejects.toThrow(/ranks choices: ask it with a context and its choices/);
    const python = await channel.client.send({ type: 'exportAdapter', format: 'python' });
    const script = new TextDecoder().decode(python.files.find((f) => f.path === 'train.py')!.bytes);
    expect(script).toContain('CHOICE_COLUMNS = ["ending0", "ending1", "ending2", "ending3"]');
    expect(script).toContain('METRIC_FOR_BEST = "accuracy"');
    const exported = await channel.client.send({ type: 'exportAdapter', format: 'adapterhub' });
    // Variables are global: the worker frees its adapter before the core builds the same one from the files.
    await channel.close();
    const imported = importAdapter(new Map(exported.files.map((f) => [f.path, f.bytes])), { encoder: reference.config });
    const adapter = liveAdapter(reference.config, imported);
    try {
      const core = await rankChoices(adapterTrainable(adapter, reference.weights), reference.tokenizer, { text: CONTEXT, textPair: 'On Monday', choices: CHOICES }, { maxLength: 48, numChoices: 4 });
      expect(ranked.ranking.map((r) => r.index)).toEqual(core.ranking.map((r) => r.index));
      ranked.logits.forEach((v, i) => expect(v).toBeCloseTo(core.logits[i], 4));
    } finally {
      adapter.dispose();
    }
  });
});
