import { type DragEvent, useId, useState } from 'react';
import { useStudio } from '../store.ts';

/** File name endings the data core reads (src/core/data/local-files.ts). */
const ACCEPT = '.csv,.tsv,.tab,.jsonl,.ndjson,.json,.parquet';

/** A drop zone and file picker for a CSV, TSV, JSONL, JSON or parquet file; its bytes go to the worker. */
export function LocalFilePicker() {
  const openLocalFile = useStudio((s) => s.openLocalFile);
  const [over, setOver] = useState(false);
  const inputId = useId();
  const open = (files: FileList | null) => {
    const file = files?.[0];
    if (file) void openLocalFile(file);
  };
  const drop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    open(event.dataTransfer.files);
  };
  return (
    <div className="drop-zone" data-over={over || undefined}
      onDragOver={(e) => { e.preventDefault(); setOver(true); }} onDragLeave={() => setOver(false)} onDrop={drop}>
      <label htmlFor={inputId}>
        <strong>Or use a file of your own:</strong> drop it here or <span className="link">choose a file</span>
        <span className="muted"> (CSV, TSV, JSONL, JSON or parquet; it stays on this computer)</span>
      </label>
      <input id={inputId} type="file" accept={ACCEPT} className="visually-hidden" onChange={(e) => { open(e.target.files); e.target.value = ''; }} />
    </div>
  );
}
