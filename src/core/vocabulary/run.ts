/** The words the page and the worker share about a training run. Types only: importing this file pulls in no tensors. */
import type { TrainingSettings } from '../train/training-settings.ts';
import type { AdapterChoice, FusionSetup } from './adapter.ts';
import type { DataRef } from './data.ts';

/** Everything that defines a training run, so that the same setup continues it exactly. JSON-safe and token-free: the page keeps it to offer a resume after a reload. */
export interface TrainSetup {
  /** Names the run's checkpoints (IndexedDB). */
  runId: string;
  /** Hub id of the base model, which must be the loaded one. */
  model: string;
  data: DataRef;
  /** A new adapter of this choice, the active one (imported or trained before) trained further, or an AdapterFusion of shelved adapters. */
  adapter: { kind: 'new'; choice: AdapterChoice; name: string } | { kind: 'active' } | { kind: 'fuse'; fusion: FusionSetup };
  settings: TrainingSettings;
}
