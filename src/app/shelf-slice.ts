/**
 * Try it's shelf and composition: several adapters loaded beside the active one (a copy of it, files, Hub repos),
 * a composition setup over them (Stack, Parallel, Average, BatchSplit, as the adapters library's blocks), and the
 * composed prediction with every predicting head's output. The Hub repos on the shelf and the setup travel in the URL;
 * the shelf's adapters are loaded from a link only when the user asks.
 */
import { type CompositionSetup, compositionHeads } from '../core/adapters/composition.ts';
import type { ComposedHeadOutput, ShelfItemInfo } from '../core/vocabulary/adapter.ts';
import type { AdapterSource } from '../core/vocabulary/files.ts';
import { type Failure, type StoreContext, failureOf } from './store-state.ts';

export type ShelfActionState =
  | { status: 'idle' }
  | { status: 'working'; what: string }
  | { status: 'failed'; what: string; failure: Failure };

export type ComposedState =
  | { status: 'idle' }
  | { status: 'running' }
  | { status: 'done'; composition: string; texts: string[]; heads: ComposedHeadOutput[] }
  | { status: 'failed'; failure: Failure };

export interface ShelfSlice {
  /** The adapters on the shelf, as the worker holds them. */
  shelf: ShelfItemInfo[];
  shelfAction: ShelfActionState;
  /** Hub repos a link put on the shelf, until the user loads them (or the shelf changes). */
  linkedShelf?: string[];
  /** The composition chosen for Try it; undefined: the active adapter alone. */
  composition?: CompositionSetup;
  composed: ComposedState;
  /** Puts a copy of the active adapter, or an adapter from files or the Hub, on the shelf. */
  shelve(source: { kind: 'active' } | AdapterSource): Promise<void>;
  unshelve(name: string): Promise<void>;
  /** Loads the Hub repos the link named onto the shelf. */
  loadLinkedShelf(): Promise<void>;
  chooseComposition(setup: CompositionSetup | undefined): void;
  /** Runs the chosen composition on a text (BatchSplit: on one text per row). */
  predictComposed(texts: string[], pairs?: string[]): Promise<void>;
  /** The worker started afresh or loaded another model: its shelf is empty. */
  shelfCleared(): void;
}

/** What the page can tell before asking the worker (which checks the methods, as the library): names and sizes. */
export function compositionProblem(setup: CompositionSetup | undefined, shelf: ShelfItemInfo[]): string | undefined {
  if (!setup) return undefined;
  if (setup.adapters.length < 2) return 'Choose two adapters or more to compose.';
  const missing = setup.adapters.find((name) => !shelf.some((item) => item.name === name));
  if (missing) return `"${missing}" is not on the shelf.`;
  const headless = compositionHeads(setup).find((name) => !shelf.find((item) => item.name === name)?.head);
  if (headless) return `"${headless}" has no prediction head, and ${setup.block} predicts with it.`;
  return undefined;
}

export function createShelfSlice(ctx: StoreContext): ShelfSlice {
  const { set, get } = ctx;

  async function run(what: string, send: () => Promise<{ adapters: ShelfItemInfo[] }>): Promise<boolean> {
    set({ shelfAction: { status: 'working', what } });
    try {
      const { adapters } = await send();
      // The setup keeps naming adapters that are not (or not yet) on the shelf: the picker says which.
      set({ shelf: adapters, shelfAction: { status: 'idle' }, composed: { status: 'idle' } });
      ctx.rememberInUrl();
      return true;
    } catch (err) {
      set({ shelfAction: { status: 'failed', what, failure: failureOf(err) } });
      return false;
    }
  }

  return {
    shelf: [],
    shelfAction: { status: 'idle' },
    composed: { status: 'idle' },

    async shelve(source) {
      const worker = ctx.worker();
      if (!worker) return;
      const what = source.kind === 'active' ? 'the active adapter' : source.kind === 'hub' ? source.repoId : source.name;
      const transfer = source.kind === 'zip' ? [source.bytes] : [];
      await run(what, () => worker.send({ type: 'shelveAdapter', source }, transfer));
    },

    async unshelve(name) {
      const worker = ctx.worker();
      if (!worker) return;
      await run(name, () => worker.send({ type: 'unshelveAdapter', name }));
    },

    async loadLinkedShelf() {
      const worker = ctx.worker();
      const endpoint = ctx.endpoint();
      const repos = get().linkedShelf ?? [];
      if (!worker || !endpoint) return;
      for (const repoId of repos) {
        if (get().shelf.some((item) => item.source === repoId)) continue;
        if (!await run(repoId, () => worker.send({ type: 'shelveAdapter', source: { kind: 'hub', endpoint, repoId } }))) return;
      }
      set({ linkedShelf: undefined });
    },

    chooseComposition(setup) {
      set({ composition: setup, composed: { status: 'idle' } });
      ctx.rememberInUrl();
    },

    async predictComposed(texts, pairs) {
      const worker = ctx.worker();
      const setup = get().composition;
      if (!worker || !setup) return;
      set({ composed: { status: 'running' } });
      // BatchSplit without sizes: one text an adapter, as the CLI's default.
      const sent = setup.block === 'BatchSplit' && !setup.batchSizes ? { ...setup, batchSizes: setup.adapters.map(() => 1) } : setup;
      try {
        const { composition, heads } = await worker.send({ type: 'predictComposed', setup: sent, texts, ...(pairs ? { pairs } : {}) });
        set({ composed: { status: 'done', composition, texts, heads } });
      } catch (err) {
        set({ composed: { status: 'failed', failure: failureOf(err) } });
      }
    },

    shelfCleared() {
      const shelf = get().shelf;
      // Hub adapters that were on the shelf can be loaded again with one click.
      const fromHub = shelf.filter((item) => item.origin === 'hub').map((item) => item.source);
      set({ shelf: [], shelfAction: { status: 'idle' }, composed: { status: 'idle' }, ...(fromHub.length ? { linkedShelf: fromHub } : {}) });
    },
  };
}
