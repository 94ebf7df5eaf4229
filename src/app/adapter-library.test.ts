/**
 * The kept adapters survive a reopen of the database (a reload) with their files byte for byte, and the files import
 * back to the exported weights. Reference: the export module's own AdapterHub files of a seeded random adapter, read
 * back by the import module (fake-indexeddb stands in for the browser's IndexedDB).
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { adapterHubFiles } from '../core/export/adapterhub.ts';
import { importAdapter, importedStateDict } from '../core/export/import.ts';
import { ENCODERS, METHODS, TRAINING, randomExport } from '../core/export/test-support.ts';
import type { ActiveAdapterInfo } from '../core/vocabulary/adapter.ts';
import type { ExportedFile } from '../core/vocabulary/files.ts';
import { AdapterLibrary, LibraryError, type SavedAdapter, savedName } from './adapter-library.ts';

function keptAdapter(name: string, savedAt: number, seed: number): { entry: SavedAdapter; files: ExportedFile[]; tensors: Map<string, { data: Float32Array }> } {
  const exported = randomExport(ENCODERS.bert, METHODS.seq_bn, { name, labels: ['negative', 'positive'], training: TRAINING, seed });
  const files = [...adapterHubFiles(exported)].map(([path, bytes]) => ({ path, bytes }));
  const info: ActiveAdapterInfo = {
    name, method: 'seq_bn (bottleneck adapter)', config: exported.adapterConfig, origin: 'trained', notes: [], modelName: ENCODERS.bert.repoId,
    head: { task: 'classification', labels: ['negative', 'positive'] }, parameters: 1234, peft: { ok: false, reason: 'PEFT has no bottleneck adapters.' }, training: TRAINING,
  };
  return { entry: { id: `id-${name}`, savedAt, hub: { kind: 'offline' }, info }, files, tensors: new Map([...exported.adapterTensors, ...exported.head!.tensors]) };
}

describe('the adapter library', () => {
  it('keeps adapters across a reopen, newest first, with files that import back to the same weights; delete removes one', async () => {
    const older = keptAdapter('sentiment', 1000, 1);
    const newer = keptAdapter('topics', 2000, 2);
    const first = await AdapterLibrary.open();
    await first.save(older.entry, older.files);
    await first.save(newer.entry, newer.files);
    first.close();

    const library = await AdapterLibrary.open();
    expect((await library.list()).map(savedName)).toEqual(['topics', 'sentiment']);
    expect((await library.list())[1]).toEqual(older.entry);
    const files = await library.files(older.entry.id);
    expect(files.map((f) => f.path)).toEqual(older.files.map((f) => f.path));
    files.forEach((f, i) => expect(Buffer.from(f.bytes).equals(Buffer.from(older.files[i].bytes))).toBe(true));
    const imported = importAdapter(new Map(files.map((f) => [f.path, f.bytes])), { source: 'the kept adapter' });
    expect(imported.name).toBe('sentiment');
    const state = importedStateDict(imported);
    expect(state.size).toBe(older.tensors.size);
    for (const [key, tensor] of older.tensors) expect(Array.from(state.get(key)!.data)).toEqual(Array.from(tensor.data));
    expect(imported.training?.dataset).toBe(TRAINING.dataset);

    await library.delete(older.entry.id);
    expect((await library.list()).map(savedName)).toEqual(['topics']);
    await expect(library.files(older.entry.id)).rejects.toBeInstanceOf(LibraryError);
    await library.delete(newer.entry.id);
    expect(await library.list()).toEqual([]);
    library.close();
  });
});
