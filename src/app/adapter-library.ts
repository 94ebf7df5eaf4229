/**
 * The adapters this browser keeps: every adapter a training produced, stored in IndexedDB with its AdapterHub files
 * (the ones the Export step writes, which the worker imports back) until the user deletes it. The list reads only
 * the descriptions; the files are read when an adapter is opened again.
 */
import { request } from '../core/train/checkpoint.ts';
import type { ActiveAdapterInfo } from '../core/vocabulary/adapter.ts';
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

  /** The kept adapters, newest first. */
  async list(): Promise<SavedAdapter[]> {
    try {
      const all = await request(this.db.transaction(ADAPTERS).objectStore(ADAPTERS).getAll() as IDBRequest<SavedAdapter[]>);
      return all.sort((a, b) => b.savedAt - a.savedAt);
    } catch (err) {
      throw new LibraryError(`The adapter library could not be read (${reasonOf(err)}). Reload the page to try again.`, { cause: err });
    }
  }

  /** Keeps an adapter's description and files (both or neither). */
  async save(adapter: SavedAdapter, files: ExportedFile[]): Promise<void> {
    try {
      const tx = this.db.transaction([ADAPTERS, FILES], 'readwrite');
      tx.objectStore(ADAPTERS).put(adapter);
      tx.objectStore(FILES).put(files, adapter.id);
      await done(tx);
    } catch (err) {
      throw new LibraryError(`Adapter "${adapter.info.name}" could not be kept in the browser's storage (${reasonOf(err)}). Free some storage, or export it in the Export step.`, { cause: err });
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
