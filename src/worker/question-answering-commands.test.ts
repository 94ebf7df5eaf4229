/**
 * Question answering through the real handler on wasm: describeAdapter gives the QA head's size, a run on tiny-squad
 * reports SQuAD's metrics, answerQuestion answers as the core does with the worker's exported files (imported and
 * run independently), predict (the classifier's command) is refused with the reason, and the Python export is the
 * question-answering train.py.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { importAdapter } from '../core/export/import.ts';
import { answerQuestion } from '../core/tasks/question-answering/answer.ts';
import { adapterTrainable } from '../core/train/adapter-trainable.ts';
import { liveAdapter } from '../core/train/imported-adapter.ts';
import { DEFAULT_TRAINING_SETTINGS } from '../core/train/training-settings.ts';
import { handlerWithModel, offlineModel } from './task-test-support.ts';

const MODEL = 'adapter-studio/tiny-bert';
const PARAGRAPH = 'The mayor bought the big house. The teacher fixed the old road last week. The doctor closed a small shop.';

const offline = offlineModel(MODEL);

describe('question answering in the worker', () => {
  it('trains on tiny-squad, answers as the core does from the exported files, and refuses predict', async () => {
    const { hub, reference } = offline;
    const channel = await handlerWithModel(offline, MODEL);
    const described = await channel.client.send({ type: 'describeAdapter', choice: { method: 'seq_bn' }, encoder: reference.config, head: { task: 'questionAnswering', labels: [] } });
    // Linear(64, 2): 64 · 2 + 2.
    expect(described.summary?.headParameters).toBe(130);

    const settings = { ...DEFAULT_TRAINING_SETTINGS, learningRate: 1e-2, epochs: 1, maxLength: 64, docStride: 12 };
    const trained = await channel.client.send({
      type: 'train',
      setup: { runId: 'qa-run', model: MODEL, data: { kind: 'hub', dataset: 'adapter-studio/tiny-squad', maxTrainExamples: 96 }, adapter: { kind: 'new', choice: { method: 'seq_bn' }, name: 'squad' }, settings },
      endpoint: hub,
    });
    expect(trained.adapter.head).toEqual({ task: 'questionAnswering', labels: [] });
    expect(trained.result.best).toMatchObject({ exactMatch: expect.any(Number), f1: expect.any(Number), examples: 100 });

    const answered = await channel.client.send({ type: 'answerQuestion', question: 'When did it happen?', context: PARAGRAPH });
    expect(answered.context).toBe(PARAGRAPH);
    const [best] = answered.answers;
    expect(best.text).toBe([...PARAGRAPH].slice(best.start, best.end).join(''));

    await expect(channel.client.send({ type: 'predict', texts: ['When?'], pairs: [PARAGRAPH] })).rejects.toThrow(/answers questions: ask it with a question and a paragraph/);
    const python = await channel.client.send({ type: 'exportAdapter', format: 'python' });
    const script = new TextDecoder().decode(python.files.find((f) => f.path === 'train.py')!.bytes);
    expect(script).toContain('DOC_STRIDE = 12');
    expect(script).toContain('METRIC_FOR_BEST = "f1"');
    const exported = await channel.client.send({ type: 'exportAdapter', format: 'adapterhub' });
    // Variables are global: the worker frees its adapter before the core builds the same one from the files.
    await channel.close();
    const imported = importAdapter(new Map(exported.files.map((f) => [f.path, f.bytes])), { encoder: reference.config });
    expect(imported.training?.hyperparameters).toMatchObject({ maxLength: 64, docStride: 12 });
    const adapter = liveAdapter(reference.config, imported);
    try {
      const core = await answerQuestion(adapterTrainable(adapter, reference.weights), reference.tokenizer, 'When did it happen?', PARAGRAPH, { maxLength: 64, docStride: 12 });
      expect(answered.answers.map((a) => [a.text, a.start, a.end])).toEqual(core.answers.map((a) => [a.text, a.start, a.end]));
      answered.answers.forEach((a, i) => expect(a.score).toBeCloseTo(core.answers[i].score, 4));
    } finally {
      adapter.dispose();
    }
  });
});
