/**
 * The Export step's state: downloads and folder saves of the active adapter's files, imports (a dropped zip or
 * folder, or a Hub repo) that make an adapter the active one, and pushes to the Hub with the Settings token.
 */
import type { PushProgress } from '../core/export/push.ts';
import { zipAdapterFiles } from '../core/export/zip.ts';
import type { AdapterSource, ExportFormat } from '../core/vocabulary/files.ts';
import type { ExportedEvent, PushProgressEvent } from '../worker/protocol.ts';
import { currentToken } from './hub-endpoints.ts';
import { type Failure, type StoreContext, failureOf } from './store-state.ts';

/** Where export files go: a zip download, or a folder the user picked. */
export type ExportTarget = 'zip' | 'folder';

export type ExportState =
  | { status: 'idle' }
  | { status: 'working'; format: ExportFormat; target: ExportTarget }
  | { status: 'done'; format: ExportFormat; target: ExportTarget; /** The zip's or folder's name. */ where: string; files: string[] }
  | { status: 'failed'; format: ExportFormat; failure: Failure };

export type ImportState =
  | { status: 'idle' }
  | { status: 'working'; source: string }
  | { status: 'done'; source: string }
  | { status: 'failed'; source: string; failure: Failure };

export type PushState =
  | { status: 'idle' }
  | { status: 'pushing'; repo: string; progress?: PushProgress }
  | { status: 'done'; repo: string; repoUrl: string; created: boolean }
  | { status: 'failed'; repo: string; failure: Failure };

/** What saving needs of the page: a download of bytes, or a folder to write files into (File System Access). */
export interface FileSink {
  download(name: string, bytes: Uint8Array): void;
  /** Asks for a folder and writes the files into it; resolves with its name, or undefined when the user cancelled. */
  saveToFolder(files: { path: string; bytes: Uint8Array }[]): Promise<string | undefined>;
}

export interface ExportSlice {
  exportState: ExportState;
  importState: ImportState;
  pushState: PushState;
  /** Writes the active adapter's files in `format` as a zip download or into a folder. */
  saveExport(format: ExportFormat, target: ExportTarget, sink: FileSink): Promise<void>;
  /** Reads an adapter and makes it the active one. */
  importAdapter(source: AdapterSource): Promise<void>;
  /** Pushes the active adapter to `repo` on the chosen Hub with the Settings token. */
  pushToHub(repo: string, isPrivate: boolean, format: 'adapterhub' | 'peft'): Promise<void>;
  /** A push progress event from the worker. */
  receivePushProgress(event: PushProgressEvent): void;
}

/** File name of an export's zip. */
export function zipName(exported: Pick<ExportedEvent, 'name' | 'format'>): string {
  return `${exported.name}-${exported.format}.zip`;
}

export function createExportSlice(ctx: StoreContext): ExportSlice {
  const { set, get } = ctx;
  return {
    exportState: { status: 'idle' },
    importState: { status: 'idle' },
    pushState: { status: 'idle' },

    async saveExport(format, target, sink) {
      const worker = ctx.worker();
      if (!worker) return;
      set({ exportState: { status: 'working', format, target } });
      try {
        const exported = await worker.send({ type: 'exportAdapter', format });
        const files = exported.files.map((f) => f.path);
        if (target === 'zip') {
          const name = zipName(exported);
          sink.download(name, zipAdapterFiles(new Map(exported.files.map((f) => [f.path, f.bytes]))));
          set({ exportState: { status: 'done', format, target, where: name, files } });
          return;
        }
        const folder = await sink.saveToFolder(exported.files);
        set({ exportState: folder === undefined ? { status: 'idle' } : { status: 'done', format, target, where: folder, files } });
      } catch (err) {
        set({ exportState: { status: 'failed', format, failure: failureOf(err) } });
      }
    },

    async importAdapter(source) {
      const worker = ctx.worker();
      if (!worker) return;
      const name = source.kind === 'hub' ? source.repoId : source.name;
      set({ importState: { status: 'working', source: name } });
      try {
        const transfer = source.kind === 'zip' ? [source.bytes] : [];
        const { adapter } = await worker.send({ type: 'importAdapter', source }, transfer);
        set({ activeAdapter: adapter, activeSavedId: undefined, unsavedAdapter: false, importState: { status: 'done', source: name }, prediction: { status: 'idle' }, evaluation: { status: 'idle' } });
      } catch (err) {
        set({ importState: { status: 'failed', source: name, failure: failureOf(err) } });
      }
    },

    async pushToHub(repo, isPrivate, format) {
      const worker = ctx.worker();
      const endpoint = ctx.endpoint();
      if (!worker || !endpoint) return;
      if (!currentToken(get())) {
        set({ pushState: { status: 'failed', repo, failure: { message: `Pushing to "${repo}" needs an access token with write access: enter one in Settings.`, code: 'TokenRequired' } } });
        return;
      }
      set({ pushState: { status: 'pushing', repo } });
      try {
        const { repoUrl, created } = await worker.send({ type: 'pushAdapter', repo, private: isPrivate, format, endpoint });
        set({ pushState: { status: 'done', repo, repoUrl, created } });
      } catch (err) {
        set({ pushState: { status: 'failed', repo, failure: failureOf(err) } });
      }
    },

    receivePushProgress({ repo, progress }) {
      const state = get().pushState;
      if (state.status === 'pushing' && state.repo === repo) set({ pushState: { ...state, progress } });
    },
  };
}
