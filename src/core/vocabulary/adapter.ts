/**
 * The words the page, the worker and the CLI share about adapters: which preset, which knobs, which head, and what the
 * worker says about the adapter it holds. Types only: importing this file pulls in no tensors.
 */
import type { AdapterMethod } from '../adapters/methods/registry.ts';
import type { SummaryRow } from '../adapters/summary.ts';
import type { PeftSupport } from '../export/peft.ts';
import type { AdapterSourceFormat, TrainingRecord } from '../export/types.ts';

/** The `adapters` library presets the Adapter step offers: the keys of the method registry's OFFERED_METHODS. */
export type { AdapterMethod };

/**
 * The adapter the user picked: a preset and the knobs the Adapter step shows. An unset knob keeps the preset's value;
 * a knob applies to every member of the method it exists in (MAM's reduction factor goes to its parallel adapter).
 */
export interface AdapterChoice {
  method: AdapterMethod;
  /** Bottleneck adapters: hidden size / bottleneck width. */
  reductionFactor?: number;
  /** LoRA: rank of the update. */
  r?: number;
  /** LoRA: the update is scaled by alpha / r; (IA)³: the vector by alpha. */
  alpha?: number;
  /** Prefix tuning: prefix positions per layer. */
  prefixLength?: number;
  /** Prompt tuning: prompt embeddings. */
  promptLength?: number;
  /** Activation inside bottleneck adapters. */
  nonLinearity?: string;
  /** Dropout on the adapter output (bottleneck), input (LoRA) or prefix (prefix tuning) while training. */
  dropout?: number;
  /** Layers without the adapter (static AdapterDrop). */
  leaveOut?: number[];
  /** Dynamic AdapterDrop: each training step skips the adapters of a random number of first layers. */
  adapterDrop?: boolean;
}

/** The choice's knobs after the preset filled in the unset ones; a knob is present when the method has it. */
export type AdapterKnobs = Omit<AdapterChoice, 'method' | 'adapterDrop'> & { leaveOut: number[] };

/** The prediction head a dataset's label column asks for. */
export interface HeadSpec {
  task: 'classification' | 'regression' | 'questionAnswering' | 'multipleChoice' | 'tokenClassification' | 'multiLabel';
  /** Class names by id; empty for regression. */
  labels: string[];
}

/** An adapter's `adapter_summary()` on the chosen model, computed from the configs alone. */
export interface AdapterSummaryInfo {
  /** The table's rows: the adapter, then "Full model". */
  rows: SummaryRow[];
  /** The table as the library prints it. */
  text: string;
  /** Parameters of the prediction head (not in the library's table). */
  headParameters?: number;
}

/** The adapter the worker holds, which Try it, Export and further training use. */
export interface ActiveAdapterInfo {
  name: string;
  /** The method in words, e.g. "`seq_bn` (bottleneck adapter)". */
  method: string;
  /** The config dict. */
  config: Record<string, unknown>;
  /** Trained in this session, or imported from files or the Hub. */
  origin: 'trained' | 'imported';
  /** For imported adapters: whose files they were. */
  sourceFormat?: AdapterSourceFormat;
  /** What the import adjusted, for the user to see. */
  notes: string[];
  /** Hub id of the base model. */
  modelName: string;
  head?: HeadSpec;
  /** Trainable parameters (adapter and head). */
  parameters: number;
  /** Whether the PEFT export can hold it (method and head). */
  peft: PeftSupport;
  /** How it was trained (studio adapters). */
  training?: TrainingRecord;
}

export type { CompositionBlock, CompositionSetup } from '../adapters/composition.ts';

/** An adapter on the shelf (loaded beside others for composition), as the page lists it. */
export interface ShelfItemInfo {
  name: string;
  /** The method in words, e.g. "seq_bn (bottleneck adapter)". */
  method: string;
  /** A copy of the active adapter (trained here, or imported in the Export step), read from files, or from a Hub repo. */
  origin: 'trained' | 'file' | 'hub';
  /** The file name, repo id, or the adapter's own name for trained ones. */
  source: string;
  head?: HeadSpec;
}

/** One head's output of a composed forward pass. */
export interface ComposedHeadOutput {
  /** The adapter whose head predicted. */
  adapter: string;
  task: 'classification' | 'regression';
  /** Class names (classification) or ["value"] (regression). */
  labels: string[];
  /** Rows [start, end) of the texts it predicted for (all of them except in BatchSplit). */
  rows: [number, number];
  /** Per row: class probabilities, or the one predicted value. */
  values: number[][];
}

/** An AdapterFusion to train over shelved bottleneck adapters, with a new head. */
export interface FusionSetup {
  /** Shelved adapters to fuse, two or more, in order. */
  adapters: string[];
  /** The library's AdapterFusionConfig: "dynamic", "static", or e.g. "dynamic[temperature=True]". */
  config: string;
  /** The new head's name (never a fused adapter's). */
  head: string;
}

/** The trained fusion as the page shows it. */
export interface FusionInfo {
  /** The library's fusion name: the adapters joined by ",". */
  name: string;
  adapters: string[];
  config: Record<string, unknown>;
  head?: HeadSpec & { name: string };
  /** Trainable parameters: the fusion layers and the head. */
  parameters: number;
}

/** One fusion layer's attention over the adapters for one text: [token][adapter] weights. */
export interface FusionAttentionLayer {
  layer: number;
  location: string;
  weights: number[][];
}
