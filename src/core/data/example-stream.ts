import type { ColumnMapping } from './column-mapping.ts';
import { DataError } from './errors.ts';
import { type ExampleStore, MemoryExampleStore } from './example-store.ts';
import { type Example, type MappingStats, RowMapper } from './examples.ts';
import { prefetch } from './prefetch.ts';
import type { RowChunk, RowSource } from './row-source.ts';
import { epochSeed, shuffleBuffer } from './shuffle.ts';
import { type SplitPart, partTakesRow } from './split-plan.ts';

/** How to continue after a read failed even after the Hub client's own retries. */
export interface ResumePolicy {
  /** Further attempts, each continuing from the row group (or page) that failed, before the error reaches the caller. */
  attempts: number;
  /** Wait before the first attempt; doubles each time. */
  backoffMs: number;
}

export interface ExampleStreamOptions {
  /** Where examples are kept between epochs (default in memory; see `openExampleStore` for IndexedDB). */
  store?: ExampleStore;
  /** Most examples kept for later epochs (default 200,000); past it, later epochs read the rest from the source again. */
  cacheLimit?: number;
  /** Row chunks (row groups, pages) read ahead of use (default 2). */
  prefetchChunks?: number;
  /** Default: 3 attempts from 2 s. */
  resume?: ResumePolicy;
  /** Told before each resume: the row continued from, the wait and the failure. */
  onResume?: (row: number, waitMs: number, error: DataError) => void;
  signal?: AbortSignal;
  /** Text cells longer than this are cut (and counted). */
  maxTextChars?: number;
}

export interface EpochOptions {
  /** Seed of the run; each epoch shuffles with a seed derived from it. */
  seed: number;
  /** Examples in the shuffle buffer (default 10,000). */
  shuffleBuffer?: number;
  /** Drops the first `skip` examples of the epoch's order: continues an interrupted epoch exactly where it stopped. */
  skip?: number;
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve, reject) => {
  if (signal?.aborted) return reject(new DataError('Reading was cancelled.', 'Cancelled', { cause: signal.reason }));
  const timer = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => {
    clearTimeout(timer);
    reject(new DataError('Reading was cancelled.', 'Cancelled', { cause: signal.reason }));
  }, { once: true });
});

/**
 * The chunks of `source` from `fromRow`; a read that fails with a resumable DataError is continued from its
 * `resumeFromRow` after a backoff, so no row is lost or repeated. Gives up after `policy.attempts` failures in a row.
 */
export async function* resumingChunks(
  source: RowSource,
  fromRow: number,
  policy: ResumePolicy,
  options: { columns?: string[]; signal?: AbortSignal; onResume?: ExampleStreamOptions['onResume'] } = {},
): AsyncGenerator<RowChunk> {
  let next = fromRow;
  let failures = 0;
  for (;;) {
    try {
      for await (const chunk of source.chunks(next, { columns: options.columns, signal: options.signal })) {
        next = chunk.start + chunk.rows.length;
        failures = 0;
        yield chunk;
      }
      return;
    } catch (err) {
      const resumable = err instanceof DataError && err.code === 'Unreachable' && err.resumeFromRow !== undefined;
      if (!resumable || failures >= policy.attempts) throw err;
      const wait = policy.backoffMs * 2 ** failures;
      failures += 1;
      options.onResume?.(err.resumeFromRow!, wait, err);
      await sleep(wait, options.signal);
      next = err.resumeFromRow!;
    }
  }
}

/**
 * The examples of one part of a split plan (e.g. train minus its hold-out), over as many epochs as asked. The
 * first pass streams from the source and keeps examples in the store up to `cacheLimit`; later passes replay the
 * store and stream only what did not fit. A failed read keeps what was read: the next pass replays it and
 * continues from the row group that failed. One pass at a time.
 */
export class ExampleStream {
  /** What the mapping kept, skipped and truncated over the rows read so far (each row counted once). */
  readonly stats: MappingStats;
  private readonly counting: RowMapper;
  private readonly store: ExampleStore;
  private readonly cacheLimit: number;
  /** First row of the split not yet covered by the store. */
  private nextRow = 0;
  /** Rows below this were mapped (and counted) at least once. */
  private mappedThrough = 0;
  /** The store holds a prefix of the part's examples and may still grow. */
  private caching = true;
  /** The store holds every example the part yields. */
  private complete = false;

  constructor(
    private readonly source: RowSource,
    readonly part: SplitPart,
    readonly mapping: ColumnMapping,
    private readonly options: ExampleStreamOptions = {},
  ) {
    this.counting = new RowMapper(mapping, options.maxTextChars);
    this.stats = this.counting.stats;
    this.store = options.store ?? new MemoryExampleStore();
    this.cacheLimit = options.cacheLimit ?? 200_000;
  }

  /** Examples kept for later epochs. */
  get cached(): number {
    return this.store.count;
  }

  /** The part's examples in split order (at most `part.maxExamples`): the stored ones, then the rest from the source. */
  async *ordered(): AsyncGenerator<Example> {
    const cap = this.part.maxExamples ?? Infinity;
    let emitted = 0;
    for await (const chunk of this.store.chunks()) {
      for (const example of chunk) {
        if (emitted >= cap) return;
        emitted += 1;
        yield example;
      }
    }
    if (this.complete || emitted >= cap) return;

    const { mapping } = this;
    const columns = [mapping.text, mapping.textPair, ...(mapping.labelColumns ?? [mapping.label]), ...(mapping.choices ?? [])].filter((c): c is string => c !== undefined);
    const chunks = resumingChunks(this.source, this.nextRow, this.options.resume ?? { attempts: 3, backoffMs: 2000 }, {
      columns,
      signal: this.options.signal,
      onResume: this.options.onResume,
    });
    const quiet = new RowMapper(mapping, this.options.maxTextChars);
    for await (const chunk of prefetch(chunks, this.options.prefetchChunks ?? 2)) {
      const examples: Example[] = [];
      chunk.rows.forEach((row, i) => {
        const index = chunk.start + i;
        if (!partTakesRow(this.part, index)) return;
        const example = (index >= this.mappedThrough ? this.counting : quiet).map(row, index);
        if (example) examples.push(example);
      });
      const end = chunk.start + chunk.rows.length;
      this.mappedThrough = Math.max(this.mappedThrough, end);
      const needed = examples.slice(0, cap - emitted);
      await this.keep(chunk.start, end, needed, emitted + needed.length >= cap);
      for (const example of needed) yield example;
      emitted += needed.length;
      if (emitted >= cap) return;
    }
    if (this.caching) this.complete = true;
  }

  /** Appends a chunk's examples to the store while it is a gap-free prefix under the cache limit. */
  private async keep(start: number, end: number, examples: Example[], last: boolean): Promise<void> {
    if (!this.caching || start !== this.nextRow) return;
    if (this.store.count + examples.length > this.cacheLimit) {
      this.caching = false;
      return;
    }
    try {
      await this.store.append(examples);
    } catch {
      // Storage full or unavailable: later epochs stream the rest again instead.
      this.caching = false;
      return;
    }
    this.nextRow = end;
    if (last) this.complete = true;
  }

  /** Epoch `epoch`'s examples: every example of the part once, in an order seeded by (seed, epoch). */
  async *epoch(epoch: number, options: EpochOptions): AsyncGenerator<Example> {
    let index = 0;
    const skip = options.skip ?? 0;
    for await (const example of shuffleBuffer(this.ordered(), options.shuffleBuffer ?? 10_000, epochSeed(options.seed, epoch))) {
      if (index++ >= skip) yield example;
    }
  }

  /** All the part's examples in split order (validation and test sets). */
  async collect(): Promise<Example[]> {
    const out: Example[] = [];
    for await (const example of this.ordered()) out.push(example);
    return out;
  }
}
