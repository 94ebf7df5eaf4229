/**
 * Training: AdamW, learning-rate schedules, the loop with evaluation, best checkpoint, early stopping,
 * pause / resume / cancel and exact resumption, metrics, and the bridges from the adapters and data modules.
 * The Node-only DirectoryCheckpointStore is imported from its file.
 */
export { AdamW, type AdamWOptions, type ParameterMoments, type TrainableParameter, takesWeightDecay } from './adamw.ts';
export { type AdapterTrainableOptions, type TokenBatch, adapterTrainable, headTask } from './adapter-trainable.ts';
export {
  type Checkpoint, CheckpointError, type CheckpointSlot, type CheckpointStore, type EvalRecord, type HostParameter,
  IndexedDbCheckpointStore, MemoryCheckpointStore, type RunSettings, type RunState,
} from './checkpoint.ts';
export { type ControlRequest, TrainingControl } from './control.ts';
export { type DatasetBatchesOptions, datasetBatches, tokenizeWith } from './dataset-batches.ts';
export { TrainingError, type TrainingErrorCode } from './errors.ts';
export { type EvaluateOptions, argmaxRows, evaluate, taskMetrics } from './evaluate.ts';
export { liveAdapter } from './imported-adapter.ts';
export type { CheckpointEvent, DoneEvent, EvalEvent, LogEvent, StateEvent, StopReason, TrainErrorEvent, TrainEvent, TrainProgressEvent, TrainResult } from './events.ts';
export { GradientSum, clipCoefficient, globalNorm } from './gradients.ts';
export { exampleLosses, meanLoss } from './losses.ts';
export { type EvalMetrics, type MetricName, accuracy, greaterIsBetter, improves, macroF1, meanSquaredError, pearson } from './metrics.ts';
export { type Schedule, type ScheduleKind, scheduleFactor, warmupStepsForRatio } from './schedule.ts';
export type { BatchLike, ForwardOptions, Task, TrainableModel } from './trainable-model.ts';
export { type TrainHooks, type TrainOptions, type TrainingData, train } from './trainer.ts';
