/**
 * Token classification through the real handler on wasm: describeAdapter gives the tagging head's size, a run on
 * tiny-ner reports seqeval's entity F1 and token accuracy (evaluate gives them again), tagText tags as the core does with the worker's exported
 * files (imported and run independently), predict (the classifier's command) is refused with the reason, and the
 * Python export is the tagging train.py.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { importAdapter } from '../core/export/import.ts';
import { tagText } from '../core/tasks/token-classification/tag-predict.ts';
import { adapterTrainable } from '../core/train/adapter-trainable.ts';
import { liveAdapter } from '../core/train/imported-adapter.ts';
import { DEFAULT_TRAINING_SETTINGS } from '../core/train/training-settings.ts';
import { handlerWithModel, offlineModel } from './task-test-support.ts';

const MODEL = 'adapter-studio/tiny-bert';
const TAGS = ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC'];
const TEXT = 'the mayor of the city council visited wall street on monday .';

const offline = offlineModel(MODEL);

describe('token classification in the worker', () => {
  it('trains on tiny-ner, tags as the core does from the exported files, and refuses predict', async () => {
    const { hub, reference } = offline;
    const channel = await handlerWithModel(offline, MODEL);
    const described = await channel.client.send({ type: 'describeAdapter', choice: { method: 'seq_bn' }, encoder: reference.config, head: { task: 'tokenClassification', labels: TAGS } });
    // Linear(64, 9): 64 · 9 + 9.
    expect(described.summary?.headParameters).toBe(585);

    const settings = { ...DEFAULT_TRAINING_SETTINGS, learningRate: 3e-2, epochs: 2, maxLength: 32 };
    const trained = await channel.client.send({
      type: 'train',
      setup: { runId: 'ner-run', model: MODEL, data: { kind: 'hub', dataset: 'adapter-studio/tiny-ner' }, adapter: { kind: 'new', choice: { method: 'seq_bn' }, name: 'ner' }, settings },
      endpoint: hub,
    });
    expect(trained.adapter.head).toEqual({ task: 'tokenClassification', labels: TAGS });
    expect(trained.result.best).toMatchObject({ entityF1: expect.any(Number), tokenAccuracy: expect.any(Number), examples: 100 });
    expect(trained.result.best!.tokenAccuracy).toBeGreaterThan(0.8);

    // The adapter holds the best evaluation's weights: evaluating it again gives that evaluation's metrics.
    const evaluated = await channel.client.send({ type: 'evaluate', data: { kind: 'hub', dataset: 'adapter-studio/tiny-ner' }, endpoint: hub });
    expect(evaluated.split).toBe('validation');
    expect(evaluated.metrics.examples).toBe(100);
    expect(evaluated.metrics.entityF1).toBeCloseTo(trained.result.best!.entityF1!, 6);
    expect(evaluated.metrics.tokenAccuracy).toBeCloseTo(trained.result.best!.tokenAccuracy!, 6);

    const tagged = await channel.client.send({ type: 'tagText', text: TEXT });
    expect(tagged.text).toBe(TEXT);
    expect(tagged.words.map((w) => w.word)).toEqual(TEXT.split(' '));
    for (const e of tagged.entities) expect(TEXT.slice(e.start, e.end)).toBe(e.text);

    await expect(channel.client.send({ type: 'predict', texts: [TEXT] })).rejects.toThrow(/tags tokens: give it a text to tag/);
    await expect(channel.client.send({ type: 'answerQuestion', question: 'Who?', context: TEXT })).rejects.toThrow(/does not answer questions/);
    const python = await channel.client.send({ type: 'exportAdapter', format: 'python' });
    const script = new TextDecoder().decode(python.files.find((f) => f.path === 'train.py')!.bytes);
    expect(script).toContain('METRIC_FOR_BEST = "entity_f1"');
    expect(script).toContain('DataCollatorForTokenClassification');
    const exported = await channel.client.send({ type: 'exportAdapter', format: 'adapterhub' });
    // Variables are global: the worker frees its adapter before the core builds the same one from the files.
    await channel.close();
    const imported = importAdapter(new Map(exported.files.map((f) => [f.path, f.bytes])), { encoder: reference.config });
    expect(imported.head?.config).toMatchObject({ head_type: 'tagging', num_labels: 9, layers: 1 });
    const adapter = liveAdapter(reference.config, imported);
    try {
      const core = await tagText(adapterTrainable(adapter, reference.weights), reference.tokenizer, TEXT, TAGS, { maxLength: 32 });
      expect(tagged.words.map((w) => w.tag)).toEqual(core.words.map((w) => w.tag));
      tagged.words.forEach((w, i) => expect(w.probability).toBeCloseTo(core.words[i].probability!, 4));
      expect(tagged.entities).toEqual(core.entities.map((e) => ({ ...e, probability: expect.closeTo(e.probability, 4) })));
    } finally {
      adapter.dispose();
    }
  });
});
