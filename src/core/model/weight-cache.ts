import { resolveUrl, type HubEndpoint } from '../../hub/endpoint.ts';

/** Where downloaded weight files are kept between loads, keyed by an immutable URL. */
export interface WeightCache {
  /** The bytes stored under `key`, or undefined when absent. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Stores `bytes` under `key`; may throw when storage is full. */
  put(key: string, bytes: Uint8Array): Promise<void>;
}

/** The Cache Storage name the studio's weights live under (visible in the browser's devtools). */
export const WEIGHT_CACHE_NAME = 'adapter-studio-weights';

/**
 * A weight file's cache key: its resolve URL pinned to the repo's commit sha, so a new commit on the Hub
 * never serves stale bytes and the key is a real URL (Cache Storage keys are requests).
 */
export function weightCacheKey(ep: HubEndpoint, repoId: string, sha: string, file: string): string {
  return resolveUrl(ep, { type: 'model', id: repoId }, file, sha);
}

/** Browser (window or worker) Cache Storage. */
export class CacheStorageWeightCache implements WeightCache {
  constructor(private readonly storage: CacheStorage, private readonly name = WEIGHT_CACHE_NAME) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    const cache = await this.storage.open(this.name);
    const hit = await cache.match(key);
    return hit ? new Uint8Array(await hit.arrayBuffer()) : undefined;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const cache = await this.storage.open(this.name);
    await cache.put(key, new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.byteLength) } }));
  }
}

/** Keeps files in this process's memory (Node tests, the CLI's repeated loads). */
export class MemoryWeightCache implements WeightCache {
  private readonly files = new Map<string, Uint8Array>();

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.files.get(key);
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.files.set(key, bytes);
  }
}

/** Cache Storage where the runtime has it (browser window or worker); otherwise no cache. */
export function defaultWeightCache(): WeightCache | undefined {
  return typeof globalThis.caches === 'undefined' ? undefined : new CacheStorageWeightCache(globalThis.caches);
}
