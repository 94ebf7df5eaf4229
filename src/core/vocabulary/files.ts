/**
 * The words the page and the worker share about an adapter's files: the formats written, a file of an export, and
 * where an import comes from. Types only: importing this file pulls in no tensors.
 */
import type { HubEndpoint } from '../../hub/endpoint.ts';

/** The files the studio writes: the `adapters` library's save_adapter folder, PEFT's save_pretrained folder, or a Python project. */
export type ExportFormat = 'adapterhub' | 'peft' | 'python';

/** One file of an export, its path relative to the folder ('/'-separated). */
export interface ExportedFile {
  path: string;
  bytes: Uint8Array;
}

/** Where an imported adapter comes from. */
export type AdapterSource =
  /** The files of a dropped folder, paths relative to it. */
  | { kind: 'files'; name: string; files: ExportedFile[] }
  /** A zip archive of a folder. */
  | { kind: 'zip'; name: string; bytes: ArrayBuffer }
  /** A Hub model repo; the token travels only in the endpoint. */
  | { kind: 'hub'; repoId: string; endpoint: HubEndpoint };
