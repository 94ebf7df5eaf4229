/** Builds the plain export description from a live adapter and the studio's split plan (types only: no tfjs here). */
import type { AdapterModel } from '../adapters/adapter.ts';
import type { FusionModel } from '../adapters/fusion.ts';
import type { SplitPart } from '../data/split-plan.ts';
import type { HeadPlan } from '../adapters/head.ts';
import { thresholdRecord } from '../tasks/multi-label/thresholds.ts';
import type { AdapterExport, DataSplits, FusionExport, TrainingRecord } from './types.ts';

/** A multi-label head's thresholds as head_config.json's "thresholds" (nothing for other heads: their files stay as they were). */
const headThresholds = (head: HeadPlan) => (head.thresholds ? { thresholds: thresholdRecord(head.id2label, head.thresholds) } : {});

/** The adapter's weights (host copies, torch layout), config and base-model metadata, plus how it was trained. */
export function adapterExportOf(adapter: AdapterModel, training?: TrainingRecord): AdapterExport {
  const encoder = adapter.encoderConfig;
  return {
    name: adapter.name,
    modelName: encoder.repoId,
    modelType: encoder.modelType,
    hiddenSize: encoder.hiddenSize,
    adapterConfig: adapter.config as unknown as Record<string, unknown>,
    adapterTensors: adapter.adapterStateDict(),
    ...(adapter.head ? { head: { config: adapter.head.config as unknown as Record<string, unknown>, tensors: adapter.headStateDict(), ...headThresholds(adapter.head) } } : {}),
    ...(training ? { training } : {}),
  };
}

/** The training and validation parts of a split plan as the record's DataSplits. */
export function dataSplitsOf(train: SplitPart, validation: SplitPart): DataSplits {
  return {
    train: train.split,
    validation: validation.split,
    ...(train.take === 'kept' && train.holdOut ? { heldOut: { share: train.holdOut.share, seed: train.holdOut.seed } } : {}),
    ...(train.maxExamples !== undefined ? { maxTrainExamples: train.maxExamples } : {}),
    ...(validation.maxExamples !== undefined ? { maxValidationExamples: validation.maxExamples } : {}),
  };
}

/**
 * The plain export of a live fusion: its layers' and head's weights, config and base-model metadata, with the fused
 * adapters' own exports (as they were loaded or trained) and how the fusion was trained.
 */
export function fusionExportOf(fusion: FusionModel, adapters: AdapterExport[], training?: TrainingRecord): FusionExport {
  const encoder = fusion.encoderConfig;
  return {
    name: fusion.name,
    adapterNames: [...fusion.adapterNames],
    modelName: encoder.repoId,
    modelType: encoder.modelType,
    hiddenSize: encoder.hiddenSize,
    fusionConfig: fusion.config as unknown as Record<string, unknown>,
    fusionTensors: fusion.fusionStateDict(),
    adapters,
    ...(fusion.head ? { head: { name: fusion.head.name, config: fusion.head.config as unknown as Record<string, unknown>, tensors: fusion.headStateDict() } } : {}),
    ...(training ? { training } : {}),
  };
}
