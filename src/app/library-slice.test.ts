/**
 * A trained fusion is kept in the library as its run ends, survives a reload (a new slice on the reopened database)
 * and downloads again as a zip that imports back to the fusion the worker exported; a failed keep says a reload
 * would lose it. Reference: the export module's fusion files of a seeded random fusion, read back by its importer
 * (fake-indexeddb stands in for the browser's IndexedDB, a stub for the worker's `exportFusion` answer).
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { fusionFiles, importFusion } from '../core/export/fusion-files.ts';
import { ENCODERS, randomFusion } from '../core/export/test-support.ts';
import { unzipAdapterFiles } from '../core/export/zip.ts';
import type { FusionInfo } from '../core/vocabulary/adapter.ts';
import type { WorkerClient } from '../worker/client.ts';
import { isSavedFusion } from './adapter-library.ts';
import { type LibrarySlice, createLibrarySlice, wouldLoseWork } from './library-slice.ts';
import type { StoreContext, StudioState } from './store-state.ts';

const exported = randomFusion();
const files = [...fusionFiles(exported)].map(([path, bytes]) => ({ path, bytes }));
const fusion: FusionInfo = { name: exported.name, adapters: exported.adapterNames, config: exported.fusionConfig, head: { name: 'mood', task: 'classification', labels: ['calm', 'glad', 'sad'] }, parameters: 4321 };

/** A library slice in a minimal store whose worker answers `exportFusion` with `answer`. */
function slice(answer: () => Promise<unknown>): { state: () => StudioState; lib: () => LibrarySlice } {
  let state = { fusion, hubChoice: { kind: 'offline' }, modelLoad: { status: 'ready', info: { repoId: exported.modelName } }, training: undefined } as unknown as StudioState;
  const worker = { send: (command: { type: string }) => (command.type === 'exportFusion' ? answer() : Promise.reject(new Error(`unexpected ${command.type}`))) } as unknown as WorkerClient;
  const ctx = { set: (partial: Partial<StudioState>) => { state = { ...state, ...partial }; }, get: () => state, worker: () => worker } as unknown as StoreContext;
  state = { ...state, ...createLibrarySlice(ctx) };
  return { state: () => state, lib: () => state };
}

describe('a trained fusion in the adapter library', () => {
  it('is kept with its files, listed after a reload, downloads as a zip that imports back, and deletes', async () => {
    const first = slice(async () => ({ type: 'exported', format: 'adapterhub', name: exported.name, files }));
    await first.lib().keepFusion();
    expect(first.state().libraryState).toEqual({ status: 'idle' });
    expect(first.state().unsavedFusion).toBe(false);
    expect(wouldLoseWork(first.state())).toBe(false);

    const reloaded = slice(() => Promise.reject(new Error('not asked')));
    await reloaded.lib().refreshLibrary();
    const kept = reloaded.state().savedAdapters ?? [];
    expect(kept).toHaveLength(1);
    const [entry] = kept;
    expect(isSavedFusion(entry) && entry.fusion).toEqual(fusion);
    expect(isSavedFusion(entry) && entry.modelName).toBe(exported.modelName);

    const downloads: { name: string; bytes: Uint8Array }[] = [];
    await reloaded.lib().downloadSavedFusion(entry.id, { download: (name, bytes) => downloads.push({ name, bytes: bytes as Uint8Array }) });
    expect(downloads.map((d) => d.name)).toEqual(['sst2,topics-fusion.zip']);
    const unzipped = unzipAdapterFiles(downloads[0].bytes, 'the download');
    expect([...unzipped.keys()].sort()).toEqual(files.map((f) => f.path).sort());
    for (const f of files) expect(Buffer.from(unzipped.get(f.path)!).equals(Buffer.from(f.bytes))).toBe(true);
    const back = importFusion(unzipped, { encoder: ENCODERS.bert, source: 'the download' });
    expect(back.name).toBe('sst2,topics');
    expect([...back.fusionTensors]).toEqual([...exported.fusionTensors]);
    expect(back.head).toEqual(exported.head);

    await reloaded.lib().deleteSavedAdapter(entry.id);
    expect(reloaded.state().savedAdapters).toEqual([]);
    await reloaded.lib().refreshLibrary();
    expect(reloaded.state().savedAdapters).toEqual([]);
  });

  it('says a reload would lose the fusion when keeping it failed', async () => {
    const failing = slice(() => Promise.reject(new Error('No fusion trained yet.')));
    await failing.lib().keepFusion();
    expect(failing.state().libraryState).toMatchObject({ status: 'failed', failure: { message: 'No fusion trained yet.' } });
    expect(failing.state().unsavedFusion).toBe(true);
    expect(wouldLoseWork(failing.state())).toBe(true);
    expect(wouldLoseWork({ ...failing.state(), fusion: undefined })).toBe(false);
  });
});
