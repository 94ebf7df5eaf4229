/**
 * The adapters this browser keeps: every adapter a training produced, stored in IndexedDB with its AdapterHub files
 * (the ones the Export step writes, which the worker imports back) until the user deletes it, and every trained
 * AdapterFusion with the files its download holds (the fused adapters' folders, the fusion's and the head's). The
 * list reads only the descriptions; the files are read when an entry is opened or downloaded again.
 */
import { request } from '../core/train/checkpoint.ts';
import type { ActiveAdapterInfo, FusionInfo } from '../core/vocabulary/adapter.ts';
import type { ExportedFile } from '../core/vocabulary/files.ts';
import type { HubChoice } from './url-settings.ts';

/** What the list shows of a kept adapter. */
export interface SavedAdapter {
  id: string;
  /** When it was kept (ms since the epoch). */
  savedAt: number;
  /** The Hub its base model comes from. */
  hub: HubChoice;
  /** The adapter as the worker described it when it was kept (name, method, base model, head, training record). */
  info: ActiveAdapterInfo;
}

/** What the list shows of a kept AdapterFusion. */
export interface SavedFusion {
  kind: 'fusion';
  id: string;
  savedAt: number;
  hub: HubChoice;
  /** Hub id of the base model it was trained on. */
  modelName: string;
  /** The fusion as the worker described it when its run ended. */
  fusion: FusionInfo;
}

export type SavedEntry = SavedAdapter | SavedFusion;

export const isSavedFusion = (entry: SavedEntry): entry is SavedFusion => 'kind' in entry && entry.kind === 'fusion';

/** The name the list shows: the adapter's, or the fusion's ("A,B"). */
export const savedName = (entry: SavedEntry): string => (isSavedFusion(entry) ? entry.fusion.name : entry.info.name);

const DB_NAME = 'adapter-studio-library';
const ADAPTERS = 'adapters';
const FILES = 'files';

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('The transaction was aborted.'));
  });
}

/** Thrown when the library cannot be read or written; the message says what and what to do. */
export class LibraryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LibraryError';
  }
}

const reasonOf = (err: unknown) => (err as Error)?.message ?? String(err);

export class AdapterLibrary {
  private constructor(private readonly db: IDBDatabase) {}

  static async open(factory: IDBFactory = indexedDB): Promise<AdapterLibrary> {
    try {
      const open = factory.open(DB_NAME, 1);
      open.onupgradeneeded = () => {
        open.result.createObjectStore(ADAPTERS, { keyPath: 'id' });
        open.result.createObjectStore(FILES);
      };
      return new AdapterLibrary(await request(open));
    } catch (err) {
      throw new LibraryError(`The adapter library could not be opened in IndexedDB (${reasonOf(err)}). Allow site storage for this page, or export each adapter before leaving it.`, { cause: err });
    }
  }

  /** The kept adapters and fusions, newest first. */
  async list(): Promise<SavedEntry[]> {
    try {
      const all = await request(this.db.transaction(ADAPTERS).objectStore(ADAPTERS).getAll() as IDBRequest<SavedEntry[]>);
      return all.sort((a, b) => b.savedAt - a.savedAt);
    } catch (err) {
      throw new LibraryError(`The adapter library could not be read (${reasonOf(err)}). Reload the page to try again.`, { cause: err });
    }
  }

  /** Keeps an adapter's or a fusion's description and files (both or neither). */
  async save(adapter: SavedEntry, files: ExportedFile[]): Promise<void> {
    try {
      const tx = this.db.transaction([ADAPTERS, FILES], 'readwrite');
      tx.objectStore(ADAPTERS).put(adapter);
      tx.objectStore(FILES).put(files, adapter.id);
      await done(tx);
    } catch (err) {
      const what = isSavedFusion(adapter) ? `Fusion "${adapter.fusion.name}"` : `Adapter "${adapter.info.name}"`;
      const instead = isSavedFusion(adapter) ? 'download it from the shelf' : 'export it in the Export step';
      throw new LibraryError(`${what} could not be kept in the browser's storage (${reasonOf(err)}). Free some storage, or ${instead}.`, { cause: err });
    }
  }

  /** The files of a kept adapter. */
  async files(id: string): Promise<ExportedFile[]> {
    let files: ExportedFile[] | undefined;
    try {
      files = await request(this.db.transaction(FILES).objectStore(FILES).get(id) as IDBRequest<ExportedFile[] | undefined>);
    } catch (err) {
      throw new LibraryError(`The files of the kept adapter ${id} could not be read (${reasonOf(err)}). Reload the page to try again.`, { cause: err });
    }
    if (!files) throw new LibraryError(`The kept adapter ${id} has no files any more (deleted in another tab?). Reload the page.`);
    return files;
  }

  /** Deletes a kept adapter and its files. */
  async delete(id: string): Promise<void> {
    try {
      const tx = this.db.transaction([ADAPTERS, FILES], 'readwrite');
      tx.objectStore(ADAPTERS).delete(id);
      tx.objectStore(FILES).delete(id);
      await done(tx);
    } catch (err) {
      throw new LibraryError(`The kept adapter ${id} could not be deleted (${reasonOf(err)}). Reload the page to try again.`, { cause: err });
    }
  }

  close(): void {
    this.db.close();
  }
}
