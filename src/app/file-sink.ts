/** Saving files from the page: a download, or a folder through the File System Access API where the browser has it. */
import type { FileSink } from './export-slice.ts';

/** The File System Access API's folder picker (Chromium), absent elsewhere. */
type DirectoryPicker = (options?: { mode?: 'readwrite'; id?: string }) => Promise<FileSystemDirectoryHandle>;

function directoryPicker(): DirectoryPicker | undefined {
  return (window as unknown as { showDirectoryPicker?: DirectoryPicker }).showDirectoryPicker;
}

/** Whether this browser can write into a folder the user picks. */
export function canSaveToFolder(): boolean {
  return typeof window !== 'undefined' && directoryPicker() !== undefined;
}

/** Reads a user's cancel of the folder picker, which is not a failure. */
const isAbort = (err: unknown) => err instanceof DOMException && err.name === 'AbortError';

export const browserFileSink: FileSink = {
  download(name, bytes) {
    const url = URL.createObjectURL(new Blob([bytes.slice()], { type: 'application/zip' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  },

  async saveToFolder(files) {
    const pick = directoryPicker();
    if (!pick) throw new Error('This browser cannot write into a folder (no File System Access API): download the zip instead.');
    let root: FileSystemDirectoryHandle;
    try {
      root = await pick({ mode: 'readwrite', id: 'adapter-export' });
    } catch (err) {
      if (isAbort(err)) return undefined;
      throw err;
    }
    for (const { path, bytes } of files) {
      const parts = path.split('/');
      let folder = root;
      for (const part of parts.slice(0, -1)) folder = await folder.getDirectoryHandle(part, { create: true });
      const writable = await (await folder.getFileHandle(parts.at(-1)!, { create: true })).createWritable();
      await writable.write(bytes.slice());
      await writable.close();
    }
    return root.name;
  },
};

/** Every file under a dropped folder entry, with paths relative to it. */
export async function readDroppedFolder(entry: FileSystemDirectoryEntry): Promise<{ path: string; bytes: Uint8Array }[]> {
  const out: { path: string; bytes: Uint8Array }[] = [];
  const walk = async (dir: FileSystemDirectoryEntry, prefix: string): Promise<void> => {
    const reader = dir.createReader();
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
      if (batch.length === 0) return;
      for (const child of batch) {
        if (child.isDirectory) await walk(child as FileSystemDirectoryEntry, `${prefix}${child.name}/`);
        else {
          const file = await new Promise<File>((resolve, reject) => (child as FileSystemFileEntry).file(resolve, reject));
          out.push({ path: `${prefix}${child.name}`, bytes: new Uint8Array(await file.arrayBuffer()) });
        }
      }
    }
  };
  await walk(entry, '');
  return out;
}
