/**
 * The adapter shelf: several live adapters on one encoder at once, as the library's model holds every adapter
 * added or loaded (model.adapters_config), each with its head and label names, for composition setups
 * (composition.ts, compose.ts) to name.
 */
import type { EncoderConfig } from '../model/config.ts';
import type { AdapterModel } from './adapter.ts';
import { type ComposableAdapterInfo, type CompositionSetup, validateComposition } from './composition.ts';
import { AdapterConfigError } from './errors.ts';

/** Where a shelved adapter came from: trained in this session, read from files, or from a Hub repo. */
export interface ShelfOrigin {
  kind: 'trained' | 'file' | 'hub';
  /** The file name, folder or repo id; the run's name for trained ones. */
  source: string;
}

export interface ShelfEntry {
  adapter: AdapterModel;
  origin: ShelfOrigin;
}

export interface AdapterShelf {
  readonly encoder: EncoderConfig;
  /** The entries in the order they were added. */
  entries(): ShelfEntry[];
  get(name: string): AdapterModel | undefined;
  /** Adds a live adapter (the shelf owns it from now on); refuses another encoder's. Names are unique already: createAdapter refuses a second live adapter of one name. */
  add(adapter: AdapterModel, origin: ShelfOrigin): void;
  /** Removes and frees the adapter `name`. */
  remove(name: string): void;
  /** The setup's children in order, after validateComposition. */
  resolve(setup: CompositionSetup): AdapterModel[];
  /** Frees every adapter. */
  dispose(): void;
}

/** What composition checks read of a live adapter. */
export function composableInfo(adapter: AdapterModel): ComposableAdapterInfo {
  return { name: adapter.name, config: adapter.config, hasHead: adapter.head !== undefined, modelType: adapter.encoderConfig.modelType };
}

export function createShelf(encoder: EncoderConfig): AdapterShelf {
  const entries = new Map<string, ShelfEntry>();
  const shelf: AdapterShelf = {
    encoder,
    entries: () => [...entries.values()],
    get: (name) => entries.get(name)?.adapter,
    add(adapter, origin) {
      const other = adapter.encoderConfig;
      if (other.repoId !== encoder.repoId || other.hiddenSize !== encoder.hiddenSize || other.numLayers !== encoder.numLayers) {
        throw new AdapterConfigError(`Adapter "${adapter.name}" is built on "${other.repoId}", not on the loaded "${encoder.repoId}".`);
      }
      entries.set(adapter.name, { adapter, origin });
    },
    remove(name) {
      const entry = entries.get(name);
      if (!entry) throw new AdapterConfigError(`No adapter "${name}" is loaded.`, 'name');
      entries.delete(name);
      entry.adapter.dispose();
    },
    resolve(setup) {
      validateComposition(setup, shelf.entries().map((e) => composableInfo(e.adapter)));
      return setup.adapters.map((name) => entries.get(name)!.adapter);
    },
    dispose() {
      for (const entry of entries.values()) entry.adapter.dispose();
      entries.clear();
    },
  };
  return shelf;
}
