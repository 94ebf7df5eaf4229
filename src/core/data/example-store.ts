import type { Example } from './examples.ts';

/** Examples kept between epochs, in the order they were appended, a chunk at a time. */
export interface ExampleStore {
  /** Examples stored. */
  readonly count: number;
  append(examples: Example[]): Promise<void>;
  /** The stored chunks, in order. */
  chunks(): AsyncGenerator<Example[]>;
  /** Forgets everything. */
  clear(): Promise<void>;
}

/** Examples kept in memory (Node, the CLI, and browsers without IndexedDB). */
export class MemoryExampleStore implements ExampleStore {
  private stored: Example[][] = [];
  count = 0;

  async append(examples: Example[]): Promise<void> {
    this.stored.push(examples);
    this.count += examples.length;
  }

  async *chunks(): AsyncGenerator<Example[]> {
    yield* this.stored;
  }

  async clear(): Promise<void> {
    this.stored = [];
    this.count = 0;
  }
}

const DB_NAME = 'adapter-studio-examples';
const STORE = 'chunks';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Examples kept in IndexedDB under a key (one record per chunk), so a large dataset's epochs need not hold it in memory. */
export class IndexedDbExampleStore implements ExampleStore {
  count = 0;
  private chunkCount = 0;

  private constructor(private readonly db: IDBDatabase, private readonly key: string) {}

  /** Opens the store for `key` and empties it (a cache lives for one training run). */
  static async open(key: string): Promise<IndexedDbExampleStore> {
    const open = indexedDB.open(DB_NAME, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    const store = new IndexedDbExampleStore(await request(open), key);
    await store.clear();
    return store;
  }

  private objects(mode: IDBTransactionMode): IDBObjectStore {
    return this.db.transaction(STORE, mode).objectStore(STORE);
  }

  async append(examples: Example[]): Promise<void> {
    await request(this.objects('readwrite').put(examples, [this.key, this.chunkCount]));
    this.chunkCount += 1;
    this.count += examples.length;
  }

  async *chunks(): AsyncGenerator<Example[]> {
    for (let i = 0; i < this.chunkCount; i++) {
      yield await request(this.objects('readonly').get([this.key, i]) as IDBRequest<Example[]>);
    }
  }

  async clear(): Promise<void> {
    await request(this.objects('readwrite').delete(IDBKeyRange.bound([this.key, 0], [this.key, Infinity])));
    this.count = 0;
    this.chunkCount = 0;
  }
}

/** An IndexedDB store when the platform has IndexedDB (browser, worker), else one in memory. */
export async function openExampleStore(key: string): Promise<ExampleStore> {
  if (typeof indexedDB === 'undefined') return new MemoryExampleStore();
  try {
    return await IndexedDbExampleStore.open(key);
  } catch {
    // IndexedDB can be disabled (private browsing, storage quota): keep the examples in memory instead.
    return new MemoryExampleStore();
  }
}
