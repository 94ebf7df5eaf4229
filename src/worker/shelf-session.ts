/**
 * The worker's adapter shelf: several adapters live beside the active one on the loaded encoder (copies of the active
 * adapter, or read from files and Hub repos), and composed forward passes over them for Try it (compose.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { type AdapterModel, createAdapter } from '../core/adapters/adapter.ts';
import { composedForward } from '../core/adapters/compose.ts';
import { type CompositionSetup, compositionLabel } from '../core/adapters/composition.ts';
import { resolveAdapterConfig } from '../core/adapters/config.ts';
import { AdapterConfigError } from '../core/adapters/errors.ts';
import { type AdapterShelf, type ShelfOrigin, createShelf } from '../core/adapters/shelf.ts';
import { headOptionsFromConfig, importedStateDict } from '../core/export/import.ts';
import { methodName } from '../core/export/model-card.ts';
import type { ImportedAdapter } from '../core/export/types.ts';
import type { LoadedEncoder } from '../core/model/load-encoder.ts';
import type { HostTensor } from '../core/model/weights.ts';
import { DEFAULT_TRAINING_SETTINGS } from '../core/train/training-settings.ts';
import type { ComposedHeadOutput, HeadSpec, ShelfItemInfo } from '../core/vocabulary/adapter.ts';
import type { AdapterSource } from '../core/vocabulary/files.ts';
import { readAdapterSource } from './adapter-source.ts';

/** Shelved adapters' tf.Variables are named apart from the active adapter's (which may bear the same name). */
const SHELF_VARIABLES = 'shelf:';

/** The head as the page describes it. */
export function headSpecOf(adapter: AdapterModel): HeadSpec | undefined {
  const head = adapter.head;
  return head && { task: head.kind === 'regression' ? 'regression' : 'classification', labels: head.kind === 'regression' ? [] : head.id2label };
}

/** What goes on the shelf: a copy of the active adapter, or an adapter from files or the Hub. */
export type ShelfSource = { kind: 'active' } | AdapterSource;

export class ShelfSession {
  private shelf?: AdapterShelf;

  /** The adapters on the shelf, in the order they were added. */
  infos(): ShelfItemInfo[] {
    return (this.shelf?.entries() ?? []).map(({ adapter, origin }) => ({
      name: adapter.name,
      method: methodName(adapter.config).replace(/`/g, ''),
      origin: origin.kind,
      source: origin.source,
      ...(adapter.head ? { head: headSpecOf(adapter) } : {}),
    }));
  }

  /** Adds an adapter; `active` is the active adapter, for a `{ kind: 'active' }` source. */
  async add(source: ShelfSource, encoder: LoadedEncoder, active: () => AdapterModel): Promise<ShelfItemInfo[]> {
    if (this.shelf && this.shelf.encoder.repoId !== encoder.config.repoId) this.release();
    const shelf = this.shelf ?? createShelf(encoder.config);
    this.shelf = shelf;
    let state: Map<string, HostTensor>;
    let imported: Pick<ImportedAdapter, 'name' | 'adapterConfig' | 'head'>;
    let origin: ShelfOrigin;
    if (source.kind === 'active') {
      const adapter = active();
      state = new Map([...adapter.adapterStateDict(), ...adapter.headStateDict()]);
      imported = { name: adapter.name, adapterConfig: adapter.config as unknown as Record<string, unknown>, ...(adapter.head ? { head: { config: adapter.head.config as unknown as Record<string, unknown>, tensors: new Map() } } : {}) };
      origin = { kind: 'trained', source: adapter.name };
    } else {
      const read = await readAdapterSource(source, encoder.config);
      state = importedStateDict(read);
      imported = read;
      origin = source.kind === 'hub' ? { kind: 'hub', source: source.repoId } : { kind: 'file', source: source.name };
    }
    if (shelf.get(imported.name)) throw new AdapterConfigError(`An adapter named "${imported.name}" is on the shelf already; remove it first (the library, too, refuses a second adapter of one name).`, 'name');
    const adapter = createAdapter(encoder.config, resolveAdapterConfig(imported.adapterConfig), {
      name: imported.name,
      variablePrefix: SHELF_VARIABLES,
      ...(imported.head ? { head: headOptionsFromConfig(imported.head.config) } : {}),
    });
    try {
      adapter.loadAdapterStateDict(state);
      shelf.add(adapter, origin);
    } catch (err) {
      adapter.dispose();
      throw err;
    }
    return this.infos();
  }

  remove(name: string): ShelfItemInfo[] {
    if (!this.shelf?.get(name)) throw new AdapterConfigError(`No adapter "${name}" is on the shelf.`, 'name');
    this.shelf.remove(name);
    return this.infos();
  }

  /** Each predicting head's probabilities (or values) for the texts, with `setup` over the shelved adapters. */
  async predict(encoder: LoadedEncoder, setup: CompositionSetup, texts: string[], pairs?: string[]): Promise<{ composition: string; heads: ComposedHeadOutput[] }> {
    if (!this.shelf || this.shelf.encoder.repoId !== encoder.config.repoId) throw new AdapterConfigError(`The shelf holds no adapters for ${encoder.config.repoId}; add two or more first.`);
    if (pairs && pairs.length !== texts.length) throw new RangeError(`Give one second text per text: ${texts.length} texts but ${pairs.length} second texts.`);
    const adapters = this.shelf.resolve(setup);
    const encoded = encoder.tokenizer.encode(texts, pairs, { maxLength: DEFAULT_TRAINING_SETTINGS.maxLength });
    const outputs = composedForward(encoder.weights, encoded, setup, adapters);
    const heads: ComposedHeadOutput[] = [];
    try {
      for (const { head, rows, logits } of outputs) {
        const spec = headSpecOf(this.shelf.get(head)!)!;
        const values = tf.tidy(() => (spec.task === 'classification' ? tf.softmax(logits) : logits));
        heads.push({ adapter: head, task: spec.task, labels: spec.task === 'classification' ? spec.labels : ['value'], rows, values: await values.array() as number[][] });
        values.dispose();
      }
    } finally {
      tf.dispose(outputs.map((o) => o.logits));
    }
    return { composition: compositionLabel(setup), heads };
  }

  /** Frees every shelved adapter (the model changes under them). */
  release(): void {
    this.shelf?.dispose();
    this.shelf = undefined;
  }
}
