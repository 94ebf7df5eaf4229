/**
 * The kept adapters' state: every adapter a training produces is kept in the browser (`AdapterLibrary`) as soon as
 * the run ends, listed until the user deletes it, and opened again (base model loaded, files imported into the
 * worker) to try and export it after a reload or another training. A trained AdapterFusion is kept the same way,
 * with the files of its download, and downloaded again from the list.
 */
import { zipAdapterFiles } from '../core/export/zip.ts';
import type { ExportedFile } from '../core/vocabulary/files.ts';
import { AdapterLibrary, type SavedAdapter, type SavedEntry, type SavedFusion, isSavedFusion, savedName } from './adapter-library.ts';
import type { FileSink } from './export-slice.ts';
import { type Failure, type StoreContext, type StudioState, failureOf } from './store-state.ts';
import { isActive } from './training-slice.ts';

export type LibraryState =
  | { status: 'idle' }
  | { status: 'working'; what: string }
  | { status: 'failed'; failure: Failure };

export interface LibrarySlice {
  /** The kept adapters and fusions, newest first; undefined until read. */
  savedAdapters?: SavedEntry[];
  /** Which kept adapter the worker's active adapter is, when it is one. */
  activeSavedId?: string;
  /** The active adapter was trained here and is not kept yet (keeping it is under way or failed): a reload would lose it. */
  unsavedAdapter: boolean;
  /** The shelf's fusion was trained here and is not kept yet: a reload would lose it. */
  unsavedFusion: boolean;
  libraryState: LibraryState;
  /** Reads the list from storage. */
  refreshLibrary(): Promise<void>;
  /** Keeps the worker's active adapter (just trained, or an opened or imported one trained further) with its AdapterHub files. */
  keepActiveAdapter(): Promise<void>;
  /** Loads the kept adapter's base model when another is loaded, and makes the adapter the active one. */
  openSavedAdapter(id: string): Promise<void>;
  /** Keeps the shelf's just-trained fusion with the files its download holds. */
  keepFusion(): Promise<void>;
  /** Downloads a kept fusion's files as the shelf's zip. */
  downloadSavedFusion(id: string, sink: Pick<FileSink, 'download'>): Promise<void>;
  deleteSavedAdapter(id: string): Promise<void>;
}

/** Whether leaving the page now would lose work: a run in progress, or a trained adapter or fusion not kept yet. */
export function wouldLoseWork(state: StudioState): boolean {
  return isActive(state.training) || state.unsavedAdapter || (state.unsavedFusion && state.fusion !== undefined);
}

const sameHub = (a: StudioState['hubChoice'], b: StudioState['hubChoice']) => JSON.stringify(a) === JSON.stringify(b);

export function createLibrarySlice(ctx: StoreContext): LibrarySlice {
  const { set, get } = ctx;
  let opened: Promise<AdapterLibrary> | undefined;
  /** The library, opened on first use (and again after a failed open). */
  const library = () => (opened ??= AdapterLibrary.open().catch((err: unknown) => {
    opened = undefined;
    throw err;
  }));
  const fail = (err: unknown) => set({ libraryState: { status: 'failed', failure: failureOf(err) } });
  /** Stores an entry with its files and lists it first. */
  async function keep(entry: SavedEntry, files: ExportedFile[]): Promise<void> {
    await (await library()).save(entry, files);
    set({ savedAdapters: [entry, ...(get().savedAdapters ?? []).filter((a) => a.id !== entry.id)], libraryState: { status: 'idle' } });
  }

  return {
    unsavedAdapter: false,
    unsavedFusion: false,
    libraryState: { status: 'idle' },

    async refreshLibrary() {
      try {
        set({ savedAdapters: await (await library()).list() });
      } catch (err) {
        fail(err);
      }
    },

    async keepActiveAdapter() {
      const info = get().activeAdapter;
      const worker = ctx.worker();
      if (!info || !worker) return;
      set({ unsavedAdapter: true, activeSavedId: undefined, libraryState: { status: 'working', what: `Keeping ${info.name}…` } });
      try {
        const { files } = await worker.send({ type: 'exportAdapter', format: 'adapterhub' });
        const entry: SavedAdapter = { id: crypto.randomUUID(), savedAt: Date.now(), hub: get().hubChoice, info };
        await keep(entry, files);
        // Still the same adapter (no other training or import began meanwhile).
        if (get().activeAdapter === info) set({ activeSavedId: entry.id, unsavedAdapter: false });
      } catch (err) {
        fail(err);
      }
    },

    async openSavedAdapter(id) {
      const entry = get().savedAdapters?.find((a) => a.id === id);
      if (!entry || isSavedFusion(entry) || isActive(get().training)) return;
      const { name, modelName } = entry.info;
      set({ libraryState: { status: 'working', what: `Opening ${name}…` } });
      try {
        if (!sameHub(get().hubChoice, entry.hub)) get().chooseHub(entry.hub);
        await ctx.until((s) => s.compute.status === 'ready' || s.compute.status === 'failed');
        await ctx.until((s) => s.modelLoad.status !== 'loading');
        const loaded = get().modelLoad;
        if (!(loaded.status === 'ready' && loaded.info.repoId === modelName)) {
          get().selectModel(modelName);
          await get().loadModel();
        }
        const model = get().modelLoad;
        if (!(model.status === 'ready' && model.info.repoId === modelName)) {
          throw new Error(`Adapter "${name}" needs its base model ${modelName}, which did not load${model.status === 'failed' ? `: ${model.failure.message}` : ''}. Load it in the Model step, then open the adapter again.`);
        }
        const files = await (await library()).files(id);
        const worker = ctx.worker();
        if (!worker) throw new Error('The compute worker is not running.');
        const { adapter } = await worker.send({ type: 'importAdapter', source: { kind: 'files', name, files } });
        set({ activeAdapter: adapter, activeSavedId: id, unsavedAdapter: false, prediction: { status: 'idle' }, evaluation: { status: 'idle' }, libraryState: { status: 'idle' } });
      } catch (err) {
        fail(err);
      }
    },

    async keepFusion() {
      const fusion = get().fusion;
      const worker = ctx.worker();
      const model = get().modelLoad;
      if (!fusion || !worker || model.status !== 'ready') return;
      set({ unsavedFusion: true, libraryState: { status: 'working', what: `Keeping the fusion ${fusion.name}…` } });
      try {
        const { files } = await worker.send({ type: 'exportFusion' });
        const entry: SavedFusion = { kind: 'fusion', id: crypto.randomUUID(), savedAt: Date.now(), hub: get().hubChoice, modelName: model.info.repoId, fusion };
        await keep(entry, files);
        // Still the same fusion (no other fusion run began meanwhile).
        if (get().fusion === fusion) set({ unsavedFusion: false });
      } catch (err) {
        fail(err);
      }
    },

    async downloadSavedFusion(id, sink) {
      const entry = get().savedAdapters?.find((a) => a.id === id);
      if (!entry) return;
      try {
        const files = await (await library()).files(id);
        sink.download(`${savedName(entry)}-fusion.zip`, zipAdapterFiles(new Map(files.map((f) => [f.path, f.bytes]))));
      } catch (err) {
        fail(err);
      }
    },

    async deleteSavedAdapter(id) {
      try {
        await (await library()).delete(id);
        set({
          savedAdapters: (get().savedAdapters ?? []).filter((a) => a.id !== id),
          ...(get().activeSavedId === id ? { activeSavedId: undefined } : {}),
          libraryState: { status: 'idle' },
        });
      } catch (err) {
        fail(err);
      }
    },
  };
}
