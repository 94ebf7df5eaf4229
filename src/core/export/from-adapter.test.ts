// Reference: the adapters module's live adapter (its own state dicts and head config) and the data module's split
// planner; the export description must carry exactly what they hold.
import { describe, expect, it } from 'vitest';
import { createAdapter } from '../adapters/adapter.ts';
import { planSplits } from '../data/split-plan.ts';
import { adapterExportOf, dataSplitsOf } from './from-adapter.ts';
import { ENCODERS, TRAINING } from './test-support.ts';

describe('adapterExportOf', () => {
  it('takes names, base-model metadata, config, tensors and head from a live adapter', () => {
    const adapter = createAdapter(ENCODERS.distilbert, 'lora[r=2,alpha=4]', { name: 'mrpc', head: { numLabels: 2, id2label: ['different', 'same'] } });
    try {
      const exp = adapterExportOf(adapter, TRAINING);
      expect({ name: exp.name, modelName: exp.modelName, modelType: exp.modelType, hiddenSize: exp.hiddenSize }).toEqual({ name: 'mrpc', modelName: 'acme/distilbert-small', modelType: 'distilbert', hiddenSize: 16 });
      expect(exp.adapterConfig).toEqual(adapter.config);
      expect(exp.adapterTensors).toEqual(adapter.adapterStateDict());
      expect(exp.head).toEqual({ config: adapter.head!.config, tensors: adapter.headStateDict() });
      expect(exp.head!.config.label2id).toEqual({ different: 0, same: 1 });
      expect(exp.training).toBe(TRAINING);
    } finally {
      adapter.dispose();
    }
  });
});

describe('dataSplitsOf', () => {
  it('records a hold-out of the training split, and row caps', () => {
    const plan = planSplits('acme/reviews', [{ name: 'train', labelled: true }, { name: 'test', labelled: false }], { seed: 7, holdOutShare: 0.2, caps: { train: 100 } });
    expect(dataSplitsOf(plan.train, plan.validation)).toEqual({ train: 'train', validation: 'train', heldOut: { share: 0.2, seed: 7 }, maxTrainExamples: 100 });
  });

  it('records a validation split of its own without a hold-out', () => {
    const plan = planSplits('glue/sst2', [{ name: 'train', labelled: true }, { name: 'validation', labelled: true }], { caps: { validation: 50 } });
    expect(dataSplitsOf(plan.train, plan.validation)).toEqual({ train: 'train', validation: 'validation', maxValidationExamples: 50 });
  });
});
