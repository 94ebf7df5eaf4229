import { useEffect } from 'react';
import { type SavedAdapter, type SavedFusion, isSavedFusion } from '../adapter-library.ts';
import { browserFileSink } from '../file-sink.ts';
import { formatInteger, formatMetrics } from '../format.ts';
import { useStudio } from '../store.ts';
import { isActive } from '../training-slice.ts';

/** "Your adapters": every adapter trained here, kept in this browser until deleted, to open (then try and export) again; and every fusion, to download again. */
export function AdapterLibrary() {
  const saved = useStudio((s) => s.savedAdapters);
  const state = useStudio((s) => s.libraryState);
  const refresh = useStudio((s) => s.refreshLibrary);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return (
    // A plain block, not a region: step locators find regions by (partial) name, and "Adapter" is a step.
    <div className="adapter-library">
      <h3>Your adapters</h3>
      <p className="help">Every adapter trained here is kept in this browser until you delete it, also after a reload. Open one to try it here and export it in step 6. A fusion trained on the shelf is kept here too, to download.</p>
      {saved === undefined ? <p className="muted">Reading…</p>
        : saved.length === 0 ? <p className="muted">None yet: train one in step 4.</p>
          : <ul className="library-list">{saved.map((entry) => isSavedFusion(entry) ? <SavedFusionItem key={entry.id} entry={entry} /> : <SavedAdapterItem key={entry.id} adapter={entry} />)}</ul>}
      {state.status === 'working' && <p role="status">{state.what}</p>}
      {state.status === 'failed' && <p className="notice error in-place" role="alert">{state.failure.message}</p>}
    </div>
  );
}

function SavedAdapterItem({ adapter }: { adapter: SavedAdapter }) {
  const open = useStudio((s) => s.openSavedAdapter);
  const remove = useStudio((s) => s.deleteSavedAdapter);
  const isOpen = useStudio((s) => s.activeSavedId === adapter.id);
  const busy = useStudio((s) => s.libraryState.status === 'working' || isActive(s.training));
  const { info } = adapter;
  const best = info.training?.bestMetrics;
  const metric = best && formatMetrics(best.accuracy !== undefined ? { accuracy: best.accuracy } : { mse: best.mse });
  return (
    <li className="library-item" data-adapter={info.name} data-open={isOpen || undefined} aria-label={`Kept adapter ${info.name}`}>
      <div>
        <strong>{info.name}</strong> <span className="muted">— {info.method} on {info.modelName}</span>
        <div className="muted">
          {info.training ? `trained on ${info.training.dataset}` : 'trained here'}{metric ? `, best validation ${metric}` : ''}, {formatInteger(info.parameters)} parameters,
          kept {new Date(adapter.savedAt).toLocaleString()}
        </div>
      </div>
      <div className="row">
        {isOpen ? <span className="ok">Active: try it below, export it in step 6</span>
          : <button type="button" className="button" disabled={busy} onClick={() => void open(adapter.id)}>Open</button>}
        <button type="button" className="button subtle danger" disabled={busy} onClick={() => void remove(adapter.id)}>Delete</button>
      </div>
    </li>
  );
}

function SavedFusionItem({ entry }: { entry: SavedFusion }) {
  const download = useStudio((s) => s.downloadSavedFusion);
  const remove = useStudio((s) => s.deleteSavedAdapter);
  const busy = useStudio((s) => s.libraryState.status === 'working');
  const { fusion } = entry;
  return (
    <li className="library-item" data-fusion={fusion.name} aria-label={`Kept fusion ${fusion.name}`}>
      <div>
        <strong>{fusion.name}</strong> <span className="muted">— AdapterFusion of {fusion.adapters.join(', ')} on {entry.modelName}</span>
        <div className="muted">
          head {fusion.head?.name ?? 'none'}, {formatInteger(fusion.parameters)} parameters, kept {new Date(entry.savedAt).toLocaleString()}
        </div>
      </div>
      <div className="row">
        <button type="button" className="button" disabled={busy} onClick={() => void download(entry.id, browserFileSink)}>Download (zip)</button>
        <button type="button" className="button subtle danger" disabled={busy} onClick={() => void remove(entry.id)}>Delete</button>
      </div>
    </li>
  );
}
