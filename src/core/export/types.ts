/**
 * The plain description of an adapter that every writer here takes and every reader returns: names, the
 * base model's metadata, the config dicts as Python writes them and the tensors under their torch
 * state-dict keys. No tfjs: a live adapter is turned into one by `adapterExportOf` (from-adapter.ts).
 */

/** One tensor in torch layout. */
export interface ExportTensor {
  /** Dimensions, row-major ([out, in] for a Linear weight). */
  shape: number[];
  /** Values, row-major. */
  data: Float32Array;
}

/** Tensors by full torch state-dict key. */
export type ExportTensors = Map<string, ExportTensor>;

/** A prediction head named like the adapter. */
export interface HeadExport {
  /**
   * head_config.json's "config" as the library's ClassificationHead writes it: head_type, num_labels, layers,
   * activation_function, label2id, use_pooler, bias, dropout_prob.
   */
  config: Record<string, unknown>;
  /** `heads.{name}.{i}.weight` / `.bias` tensors. */
  tensors: ExportTensors;
  /** Multi-label: each label's threshold on its probability, written as head_config.json's top-level "thresholds" (the library ignores it). */
  thresholds?: Record<string, number>;
}

/** Training settings, in the studio trainer's terms (src/core/train/trainer.ts TrainOptions). */
export interface TrainingHyperparameters {
  /** Peak learning rate. */
  learningRate: number;
  /** Examples per optimizer step on one device (before gradient accumulation). */
  batchSize: number;
  /** Most tokens per example (longest_first truncation). */
  maxLength: number;
  /** Question answering: the doc stride of the windows, when the run set one. */
  docStride?: number;
  /** Passes over the training data; ignored when maxSteps is set. */
  epochs?: number;
  /** Optimizer steps to run instead of epochs. */
  maxSteps?: number;
  /** Micro-batches per optimizer step (default 1). */
  gradientAccumulation?: number;
  /** Share of the steps warming up linearly from 0 (default 0). */
  warmupRatio?: number;
  /** Steps warming up linearly from 0; wins over warmupRatio. */
  warmupSteps?: number;
  /** AdamW weight decay (default 0.01). */
  weightDecay?: number;
  /** Learning-rate decay after warmup (default linear). */
  schedule?: 'linear' | 'cosine' | 'constant';
  /** Gradient clipping norm (default 1.0; 0 turns clipping off). */
  maxGradNorm?: number;
  /** Seed of the initial weights, the data order, the hold-out and dropout. */
  seed: number;
  /** Also evaluate every this many steps (else once per epoch). */
  evalEverySteps?: number;
  /** Stop after this many evaluations without a better best metric. */
  earlyStoppingPatience?: number;
  /** Metric that picks the kept weights: accuracy, macroF1, mse, pearson or loss (default accuracy; mse for regression). */
  metricForBest?: string;
}

/** Which rows trained and validated (the studio's split plan, src/core/data/split-plan.ts). */
export interface DataSplits {
  /** Split trained on. */
  train: string;
  /** Split validated on; when it is the training split and `heldOut` is set, only its held-out rows. */
  validation: string;
  /** Rows of the training split kept out of training: row i when hash(seed, i) / 2^32 < share (split-plan.ts isHeldOut). */
  heldOut?: { share: number; seed: number };
  /** Most training examples used: the first usable ones in split order. */
  maxTrainExamples?: number;
  /** Most validation examples used: the first usable ones in split order. */
  maxValidationExamples?: number;
}

/** A local file the adapter was trained on (instead of a Hub dataset). */
export interface LocalFileRecord {
  /** The file's name as the user opened it. */
  name: string;
  /** How the studio read it (from the name's extension, src/core/data/local-files.ts). */
  format: 'csv' | 'tsv' | 'jsonl' | 'json' | 'parquet';
  /** Rows read from it (the one split, `train`). */
  rows: number;
  /** Its size in bytes. */
  bytes: number;
}

/** How the adapter was trained in the studio, for the model card and the Python training script. */
export interface TrainingRecord {
  /** Hub dataset id, or the local file's name when `localFile` is set. */
  dataset: string;
  /** Set when the data was a local file the user opened, not a Hub dataset. */
  localFile?: LocalFileRecord;
  /** A second local file that was the validation split (the CLI's `--validation-file`). */
  localValidationFile?: LocalFileRecord;
  /** Dataset config (subset); undefined: the default one. */
  config?: string;
  splits: DataSplits;
  /** The text column, then the second text column of sentence pairs (multiple choice: the context, then the header before each choice). */
  textColumns: string[];
  /** Multiple choice: the choice columns in label order (`ending0..3`); each pair is (context, header + " " + choice). */
  choiceColumns?: string[];
  /** Column of the target. */
  labelColumn: string;
  /** Multi-label from several 0/1 columns: those columns, one per label. */
  labelColumns?: string[];
  /** How label cells become targets: ClassLabel / integer ids, strings (index in the head's labels), booleans, floats (regression), lists of labels or 0/1 columns (multi-label). */
  labelKind: 'classLabel' | 'int' | 'string' | 'bool' | 'float' | 'answers' | 'tags' | 'labelList' | 'binaryColumns';
  hyperparameters: TrainingHyperparameters;
  /** Validation metrics of the kept (best) weights, e.g. { accuracy: 0.91, loss: 0.25 }. */
  bestMetrics?: Record<string, number>;
  /** Optimizer step the kept weights are from. */
  bestStep?: number;
}

/** Everything an export needs, in plain data. */
export interface AdapterExport {
  /** Adapter name: the middle of every state-dict key, and the head's name. */
  name: string;
  /** Hub repo id of the base model (adapter_config.json "model_name"). */
  modelName: string;
  /** config.json model_type of the base model: bert, roberta, xlm-roberta, distilbert, electra, albert. */
  modelType: string;
  /** Width of the base model's residual stream. */
  hiddenSize: number;
  /** The full adapter config dict, every field Python's to_dict() writes. */
  adapterConfig: Record<string, unknown>;
  /** Adapter tensors under the `adapters` library's full keys (e.g. `bert.encoder.layer.0.output.adapters.NAME.adapter_up.weight`). */
  adapterTensors: ExportTensors;
  head?: HeadExport;
  training?: TrainingRecord;
}

/** Where an imported adapter came from. */
export type AdapterSourceFormat = 'studio' | 'adapters' | 'peft';

/** An adapter read back from files: the export's shape plus its origin. */
export interface ImportedAdapter extends AdapterExport {
  sourceFormat: AdapterSourceFormat;
  /** Things the reader adjusted on the way in (legacy names, versions), for the user to see. */
  notes: string[];
}

/** Files by path relative to the adapter folder ('/'-separated). */
export type AdapterFiles = Map<string, Uint8Array>;

/** A head saved on its own (save_head): its name, config and tensors `heads.{name}.*`. */
export interface NamedHeadExport extends HeadExport {
  name: string;
}

/**
 * An AdapterFusion with the adapters it fuses and its new head: what save_adapter_fusion, save_adapter (per fused
 * adapter) and save_head write, each into its folder.
 */
export interface FusionExport {
  /** The fused adapters' names joined by "," (the fusion's folder and the middle of its keys). */
  name: string;
  /** The fused adapters' names, in the fusion's order. */
  adapterNames: string[];
  /** Hub repo id, model_type and width of the base model. */
  modelName: string;
  modelType: string;
  hiddenSize: number;
  /** AdapterFusionConfig's fields as to_dict() writes them (adapter_fusion_config.json "config"). */
  fusionConfig: Record<string, unknown>;
  /** `<layer>.<location>.adapter_fusion_layer.<name>.<query|key|value|dense>.*` tensors. */
  fusionTensors: ExportTensors;
  /** The fused adapters, each as its own export (with its own head when it has one). */
  adapters: AdapterExport[];
  /** The head trained with the fusion. */
  head?: NamedHeadExport;
  training?: TrainingRecord;
}

/** A fusion read back from files. */
export interface ImportedFusion extends FusionExport {
  adapters: ImportedAdapter[];
  /** Things the reader adjusted or noticed, for the user to see. */
  notes: string[];
}
