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
import { type FusionModel, createFusion } from '../core/adapters/fusion.ts';
import type { HeadOptions } from '../core/adapters/head.ts';
import { type AdapterShelf, type ShelfOrigin, createShelf } from '../core/adapters/shelf.ts';
import { adapterExportOf, fusionExportOf } from '../core/export/from-adapter.ts';
import { fusionFiles } from '../core/export/fusion-files.ts';
import { headOptionsFromConfig, importedStateDict } from '../core/export/import.ts';
import { methodName } from '../core/export/model-card.ts';
import type { AdapterFiles, ImportedAdapter, TrainingRecord } from '../core/export/types.ts';
import type { LoadedEncoder } from '../core/model/load-encoder.ts';
import type { HostTensor } from '../core/model/weights.ts';
import { DEFAULT_TRAINING_SETTINGS } from '../core/train/training-settings.ts';
import type { ComposedHeadOutput, FusionAttentionLayer, FusionInfo, FusionSetup, HeadSpec, ShelfItemInfo } from '../core/vocabulary/adapter.ts';
import type { AdapterSource } from '../core/vocabulary/files.ts';
import { readAdapterSource } from './adapter-source.ts';

/** Shelved adapters' tf.Variables are named apart from the active adapter's (which may bear the same name). */
const SHELF_VARIABLES = 'shelf:';

/** The head as the page describes it. */
export function headSpecOf(adapter: AdapterModel): HeadSpec | undefined {
  return headOf(adapter.head);
}

/** What goes on the shelf: a copy of the active adapter, or an adapter from files or the Hub. */
export type ShelfSource = { kind: 'active' } | AdapterSource;

/** The head as the page describes it, for a fusion or an adapter. */
function headOf(head: AdapterModel['head']): HeadSpec | undefined {
  if (head?.kind === 'questionAnswering') return { task: 'questionAnswering', labels: [] };
  if (head?.kind === 'multilabel') return { task: 'multiLabel', labels: head.id2label };
  if (head?.kind === 'tagging') return { task: 'tokenClassification', labels: head.id2label };
  if (head?.kind === 'multipleChoice') return { task: 'multipleChoice', labels: Array.from({ length: head.config.num_choices ?? 0 }, (_, i) => String(i)) };
  return head && { task: head.kind === 'regression' ? 'regression' : 'classification', labels: head.kind === 'regression' ? [] : head.id2label };
}

/** The fusion trained over shelved adapters, with how it was trained. */
interface ShelfFusion {
  model: FusionModel;
  training?: TrainingRecord;
}

export class ShelfSession {
  private shelf?: AdapterShelf;
  private fusion?: ShelfFusion;

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
      ...(imported.head ? { head: headOptionsFromConfig(imported.head.config, imported.head.thresholds) } : {}),
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
    if (this.fusion?.model.adapterNames.includes(name)) this.releaseFusion();
    this.shelf.remove(name);
    return this.infos();
  }

  /** Each predicting head's probabilities (or values) for the texts, with `setup` over the shelved adapters. */
  async predict(encoder: LoadedEncoder, setup: CompositionSetup, texts: string[], pairs?: string[]): Promise<{ composition: string; heads: ComposedHeadOutput[] }> {
    if (!this.shelf || this.shelf.encoder.repoId !== encoder.config.repoId) throw new AdapterConfigError(`The shelf holds no adapters for ${encoder.config.repoId}; add two or more first.`);
    if (pairs && pairs.length !== texts.length) throw new RangeError(`Give one second text per text: ${texts.length} texts but ${pairs.length} second texts.`);
    const adapters = this.shelf.resolve(setup);
    const encoded = encoder.tokenizer.encode(texts, pairs, { maxLength: DEFAULT_TRAINING_SETTINGS.maxLength });
    if (setup.block === 'Fuse') return this.predictFused(encoder, setup, encoded);
    const outputs = composedForward(encoder.weights, encoded, setup, adapters);
    const heads: ComposedHeadOutput[] = [];
    try {
      for (const { head, rows, logits } of outputs) {
        const spec = headSpecOf(this.shelf.get(head)!)!;
        if (spec.task === 'questionAnswering') throw new AdapterConfigError(`Adapter "${head}" answers questions; compositions run classification and regression heads only.`);
        if (spec.task === 'multiLabel') throw new AdapterConfigError(`Adapter "${head}" has a multi-label head; compositions run classification and regression heads only.`);
        if (spec.task === 'tokenClassification') throw new AdapterConfigError(`Adapter "${head}" tags tokens; compositions run classification and regression heads only.`);
        if (spec.task === 'multipleChoice') throw new AdapterConfigError(`Adapter "${head}" ranks choices; compositions run classification and regression heads only.`);
        const values = tf.tidy(() => (spec.task === 'classification' ? tf.softmax(logits) : logits));
        heads.push({ adapter: head, task: spec.task, labels: spec.task === 'classification' ? spec.labels : ['value'], rows, values: await values.array() as number[][] });
        values.dispose();
      }
    } finally {
      tf.dispose(outputs.map((o) => o.logits));
    }
    return { composition: compositionLabel(setup), heads };
  }

  /**
   * A new AdapterFusion of shelved adapters with a new head (train_adapter_fusion: the adapters stay frozen); it
   * replaces the previous fusion. The caller trains it and then records the run with `fusionTrained`.
   */
  createFusion(encoder: LoadedEncoder, setup: FusionSetup, seed: number, head: HeadOptions): FusionModel {
    if (!this.shelf || this.shelf.encoder.repoId !== encoder.config.repoId) throw new AdapterConfigError(`The shelf holds no adapters for ${encoder.config.repoId}; add two or more first.`);
    const adapters = this.shelf.resolve({ block: 'Fuse', adapters: setup.adapters });
    this.releaseFusion();
    const model = createFusion(encoder.config, adapters, { config: setup.config, seed, head: { ...head, name: setup.head }, variablePrefix: SHELF_VARIABLES });
    this.fusion = { model };
    return model;
  }

  fusionTrained(training: TrainingRecord): FusionInfo {
    const fusion = this.requireFusion();
    fusion.training = training;
    const { model } = fusion;
    const head = headOf(model.head);
    return {
      name: model.name,
      adapters: [...model.adapterNames],
      config: model.config as unknown as Record<string, unknown>,
      ...(head && model.head ? { head: { ...head, name: model.head.name } } : {}),
      parameters: model.trainableVariables().reduce((n, v) => n + v.size, 0),
    };
  }

  /** The fusion's files as save_adapter_fusion, save_adapter and save_head write them, under the fusion's name. */
  fusionFiles(): { name: string; files: AdapterFiles } {
    const { model, training } = this.requireFusion();
    const adapters = model.adapterNames.map((name) => adapterExportOf(this.shelf!.get(name)!));
    return { name: model.name.replace(/,/g, '+'), files: fusionFiles(fusionExportOf(model, adapters, training)) };
  }

  /** The fusion's attention per layer over its adapters, for each token of one text. */
  fusionAttention(encoder: LoadedEncoder, text: string, pair?: string): { fusion: string; tokens: string[]; layers: FusionAttentionLayer[] } {
    const { model } = this.requireFusion();
    const encoded = encoder.tokenizer.encode([text], pair === undefined ? undefined : [pair], { maxLength: DEFAULT_TRAINING_SETTINGS.maxLength });
    // One text: no padding, every position is a token (special tokens included, as the attention sees them).
    const tokens = Array.from(encoded.inputIds, (id) => encoder.tokenizer.tokenizer.decode([Number(id)]));
    return { fusion: model.name, tokens, layers: model.attention(encoder.weights, encoded) };
  }

  /** The trained fusion's head on `encoded` (a Fuse setup of exactly its adapters). */
  private async predictFused(encoder: LoadedEncoder, setup: CompositionSetup, encoded: ReturnType<LoadedEncoder['tokenizer']['encode']>): Promise<{ composition: string; heads: ComposedHeadOutput[] }> {
    const { model } = this.requireFusion();
    if (model.adapterNames.join(',') !== setup.adapters.join(',')) {
      throw new AdapterConfigError(`The trained fusion fuses ${model.adapterNames.join(', ')}, not ${setup.adapters.join(', ')}: train a fusion of these first.`);
    }
    const spec = headOf(model.head);
    if (!spec || !model.head) throw new AdapterConfigError(`AdapterFusion "${model.name}" has no head to predict with.`);
    if (spec.task === 'questionAnswering' || spec.task === 'multipleChoice' || spec.task === 'multiLabel') throw new AdapterConfigError(`AdapterFusion "${model.name}" has a ${spec.task === 'questionAnswering' ? 'question-answering' : spec.task === 'multiLabel' ? 'multi-label' : 'multiple-choice'} head; a fusion predicts with classification and regression heads only.`);
    if (spec.task === 'tokenClassification') throw new AdapterConfigError(`AdapterFusion "${model.name}" has a tagging head; a fusion predicts with classification and regression heads only.`);
    const values = tf.tidy(() => {
      const logits = model.forward(encoder.weights, encoded);
      return spec.task === 'classification' ? tf.softmax(logits) : logits;
    });
    try {
      const rows = [0, encoded.batch] as [number, number];
      return { composition: compositionLabel(setup), heads: [{ adapter: model.head.name, task: spec.task, labels: spec.task === 'classification' ? spec.labels : ['value'], rows, values: await values.array() as number[][] }] };
    } finally {
      values.dispose();
    }
  }

  private requireFusion(): ShelfFusion {
    if (!this.fusion) throw new AdapterConfigError('No AdapterFusion is trained yet: pick two or more shelved adapters and train a fusion of them first.');
    return this.fusion;
  }

  /** Frees the fusion's layers and head (its adapters stay on the shelf). */
  releaseFusion(): void {
    this.fusion?.model.dispose();
    this.fusion = undefined;
  }

  /** Frees every shelved adapter (the model changes under them). */
  release(): void {
    this.releaseFusion();
    this.shelf?.dispose();
    this.shelf = undefined;
  }
}
