import { type DragEvent, type FormEvent, useId, useState } from 'react';
import { checkRepoId } from '../../hub/endpoint.ts';
import type { ActiveAdapterInfo } from '../../core/vocabulary/adapter.ts';
import type { ExportFormat } from '../../core/vocabulary/files.ts';
import type { ExportTarget } from '../export-slice.ts';
import { browserFileSink, canSaveToFolder, readDroppedFolder } from '../file-sink.ts';
import { formatInteger, formatMetrics } from '../format.ts';
import { repoIdOf } from '../repo-id.ts';
import { currentToken } from '../hub-endpoints.ts';
import { useEndpoint, useStudio } from '../store.ts';
import { isActive } from '../training-slice.ts';
import { TokenPrompt } from './TokenPrompt.tsx';

/** Step 6: the active adapter's files (AdapterHub, PEFT, a Python project), imports, and a push to the Hub. */
export function ExportStep() {
  const adapter = useStudio((s) => s.activeAdapter);
  const modelReady = useStudio((s) => s.modelLoad.status === 'ready');
  const training = useStudio((s) => isActive(s.training));
  return (
    <section id="step-export" className="step wide" aria-labelledby="export-step-title">
      <h2 id="export-step-title"><span className="step-number" aria-hidden="true">6</span> Export</h2>
      <p className="step-help">Files that Python's <code>adapters</code> library (and PEFT, for LoRA and (IA)³) load as they are; or bring an adapter in.</p>
      {training ? <p className="locked">Training is running: export once it ends.</p> : adapter ? (
        <>
          <ActiveAdapter adapter={adapter} />
          <Downloads adapter={adapter} />
          <PushPanel adapter={adapter} />
        </>
      ) : <p className="locked">Train an adapter in step 4, or import one below, to export it.</p>}
      {modelReady && !training ? <ImportPanel /> : !training && <p className="help">Load the base model in step 1 to import an adapter for it.</p>}
    </section>
  );
}

function ActiveAdapter({ adapter }: { adapter: ActiveAdapterInfo }) {
  const best = adapter.training?.bestMetrics;
  const kept = useStudio((s) => s.savedAdapters?.find((a) => a.id === s.activeSavedId));
  return (
    <dl className="facts active-adapter" aria-label="Active adapter">
      <dt>Adapter</dt><dd><strong>{adapter.name}</strong> — {adapter.method}</dd>
      <dt>Base model</dt><dd>{adapter.modelName}</dd>
      <dt>Origin</dt><dd>{kept ? `trained here, kept in this browser (${new Date(kept.savedAt).toLocaleString()})` : adapter.origin === 'trained' ? 'trained here' : `imported (${adapter.sourceFormat === 'peft' ? 'PEFT' : adapter.sourceFormat === 'studio' ? 'Adapter Studio' : 'adapters library'} files)`}</dd>
      <dt>Trainable parameters</dt><dd>{formatInteger(adapter.parameters)}</dd>
      {adapter.head && <><dt>Head</dt><dd>{adapter.head.task === 'regression' ? 'regression' : adapter.head.task === 'questionAnswering' ? 'question answering (answer spans)' : adapter.head.task === 'multipleChoice' ? `multiple choice (${adapter.head.labels.length} choices; no PEFT form)` : adapter.head.task === 'tokenClassification' ? `token classification: ${adapter.head.labels.join(', ')}` : adapter.head.task === 'multiLabel' ? `multi-label: ${adapter.head.labels.join(', ')}` : `classification: ${adapter.head.labels.join(', ')}`}</dd></>}
      {adapter.training && <><dt>Trained on</dt><dd>{adapter.training.dataset}{adapter.training.config ? ` (${adapter.training.config})` : ''}</dd></>}
      {best && <><dt>Best validation</dt><dd>{formatMetrics(best)}</dd></>}
      {adapter.notes.length > 0 && <><dt>Notes</dt><dd><ul className="notes">{adapter.notes.map((n) => <li key={n}>{n}</li>)}</ul></dd></>}
    </dl>
  );
}

const FORMATS: { format: ExportFormat; label: string; contents: string }[] = [
  { format: 'adapterhub', label: 'AdapterHub zip', contents: 'adapter_config.json, pytorch_adapter.bin, adapter.safetensors, head files, README.md' },
  { format: 'peft', label: 'PEFT zip', contents: 'adapter_config.json, adapter_model.safetensors, README.md' },
  { format: 'python', label: '“Continue in Python” zip', contents: 'the AdapterHub folder, train.py and requirements.txt' },
];

function Downloads({ adapter }: { adapter: ActiveAdapterInfo }) {
  const exportState = useStudio((s) => s.exportState);
  const saveExport = useStudio((s) => s.saveExport);
  const folder = canSaveToFolder();
  const busy = exportState.status === 'working';
  const save = (format: ExportFormat, target: ExportTarget) => void saveExport(format, target, browserFileSink);
  return (
    <div className="downloads">
      <h3>Download</h3>
      <ul className="export-list">
        {FORMATS.map(({ format, label, contents }) => {
          const blocked = format === 'peft' && !adapter.peft.ok ? adapter.peft.reason : format === 'python' && !adapter.training
            ? 'Continue-in-Python needs the training setup (dataset, columns, settings), which this adapter does not carry.' : undefined;
          return (
            <li key={format} data-format={format}>
              <div className="row">
                <button type="button" className="button" disabled={busy || blocked !== undefined} onClick={() => save(format, 'zip')}>{label}</button>
                {folder && (
                  <button type="button" className="button subtle" disabled={busy || blocked !== undefined} onClick={() => save(format, 'folder')}>Save to a folder…</button>
                )}
              </div>
              <span className="help">{contents}</span>
              {blocked && <p className="note" role="note">{blocked}</p>}
            </li>
          );
        })}
      </ul>
      {exportState.status === 'working' && <p role="status">Writing the {exportState.format} files…</p>}
      {exportState.status === 'done' && (
        <p role="status" className="ok">Saved {exportState.files.length} files {exportState.target === 'zip' ? `as ${exportState.where}` : `into the folder “${exportState.where}”`}.</p>
      )}
      {exportState.status === 'failed' && <p className="notice error in-place" role="alert">{exportState.failure.message}</p>}
    </div>
  );
}

/** Drop a zip or a folder, choose a zip, or name a Hub repo: the adapter becomes the active one. */
function ImportPanel() {
  const importState = useStudio((s) => s.importState);
  const importAdapter = useStudio((s) => s.importAdapter);
  const endpoint = useEndpoint();
  const [over, setOver] = useState(false);
  const [repo, setRepo] = useState('');
  const [repoProblem, setRepoProblem] = useState<string>();
  const fileId = useId();
  const folderId = useId();
  const repoId = useId();
  const openZip = async (file: File) => importAdapter({ kind: 'zip', name: file.name, bytes: await file.arrayBuffer() });
  const openFolderFiles = async (files: FileList) => {
    const list = [...files];
    const root = list[0]?.webkitRelativePath.split('/')[0] ?? 'folder';
    const entries = await Promise.all(list.map(async (f) => ({ path: f.webkitRelativePath.split('/').slice(1).join('/'), bytes: new Uint8Array(await f.arrayBuffer()) })));
    await importAdapter({ kind: 'files', name: root, files: entries });
  };
  const drop = async (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    const entry = event.dataTransfer.items[0]?.webkitGetAsEntry();
    if (entry?.isDirectory) {
      await importAdapter({ kind: 'files', name: entry.name, files: await readDroppedFolder(entry as FileSystemDirectoryEntry) });
      return;
    }
    const file = event.dataTransfer.files[0];
    if (file) await openZip(file);
  };
  const fromHub = (event: FormEvent) => {
    event.preventDefault();
    const ep = endpoint;
    try {
      const id = checkRepoId(repoIdOf(repo));
      setRepoProblem(undefined);
      if (ep) void importAdapter({ kind: 'hub', repoId: id, endpoint: ep });
    } catch (err) {
      setRepoProblem((err as Error).message);
    }
  };
  return (
    <div className="import">
      <h3>Import an adapter</h3>
      <div className="drop-zone" data-over={over || undefined}
        onDragOver={(e) => { e.preventDefault(); setOver(true); }} onDragLeave={() => setOver(false)} onDrop={(e) => void drop(e)}>
        <p>
          Drop an adapter zip or folder here (save_adapter's, PEFT's or this studio's), or{' '}
          <label htmlFor={fileId} className="link">choose a zip</label> or <label htmlFor={folderId} className="link">a folder</label>.
        </p>
        <input id={fileId} type="file" accept=".zip,application/zip" className="visually-hidden"
          onChange={(e) => { const file = e.target.files?.[0]; if (file) void openZip(file); e.target.value = ''; }} />
        <input id={folderId} type="file" className="visually-hidden" {...{ webkitdirectory: '' }}
          onChange={(e) => { if (e.target.files?.length) void openFolderFiles(e.target.files); e.target.value = ''; }} />
      </div>
      <form className="repo-id-form" onSubmit={fromHub}>
        <label htmlFor={repoId}>Or import from a Hub repo</label>
        <div className="row">
          <input id={repoId} type="text" value={repo} placeholder="AdapterHub/bert-base-uncased-pf-sst2" spellCheck={false} autoComplete="off"
            aria-invalid={repoProblem ? true : undefined} onChange={(e) => setRepo(e.target.value)} />
          <button type="submit" className="button" disabled={!repo.trim() || importState.status === 'working'}>Import from the Hub</button>
        </div>
        {repoProblem && <p className="error" role="alert">{repoProblem}</p>}
      </form>
      {importState.status === 'working' && <p role="status">Reading {importState.source}…</p>}
      {importState.status === 'done' && <p role="status" className="ok">{importState.source} is now the active adapter: try it in step 5.</p>}
      {importState.status === 'failed' && (
        <div className="notice error in-place" role="alert" data-code={importState.failure.code}>
          <p><strong>{importState.source} could not be imported.</strong> {importState.failure.message}</p>
        </div>
      )}
    </div>
  );
}

function PushPanel({ adapter }: { adapter: ActiveAdapterInfo }) {
  const pushState = useStudio((s) => s.pushState);
  const pushToHub = useStudio((s) => s.pushToHub);
  const token = useStudio(currentToken);
  const hubChoice = useStudio((s) => s.hubChoice);
  const [repo, setRepo] = useState('');
  const [isPrivate, setPrivate] = useState(true);
  const [format, setFormat] = useState<'adapterhub' | 'peft'>('adapterhub');
  const [problem, setProblem] = useState<string>();
  const id = useId();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    try {
      const name = checkRepoId(repo.trim());
      if (!name.includes('/')) throw new Error(`"${name}" has no namespace: name the repo "owner/name".`);
      setProblem(undefined);
      void pushToHub(name, isPrivate, format);
    } catch (err) {
      setProblem((err as Error).message);
    }
  };
  const progress = pushState.status === 'pushing' ? pushState.progress : undefined;
  return (
    <form className="push" onSubmit={submit} aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Push to the Hub {hubChoice.kind === 'offline' && <span className="muted">(the offline demo Hub)</span>}</h3>
      <div className="row">
        <label htmlFor={`${id}-repo`} className="visually-hidden">Repository</label>
        <input id={`${id}-repo`} type="text" value={repo} placeholder={`your-name/${adapter.name}`} spellCheck={false} autoComplete="off"
          aria-invalid={problem ? true : undefined} onChange={(e) => setRepo(e.target.value)} />
        <label className="choice"><input type="checkbox" checked={isPrivate} onChange={(e) => setPrivate(e.target.checked)} /> private</label>
        <select aria-label="Format" value={format} onChange={(e) => setFormat(e.target.value as 'adapterhub' | 'peft')}>
          <option value="adapterhub">AdapterHub files</option>
          <option value="peft" disabled={!adapter.peft.ok}>PEFT files</option>
        </select>
        <button type="submit" className="button primary" disabled={!repo.trim() || pushState.status === 'pushing' || !token}>Push</button>
      </div>
      {!token && <div className="row"><span className="help">Pushing needs an access token with write access.</span><TokenPrompt /></div>}
      {problem && <p className="error" role="alert">{problem}</p>}
      {pushState.status === 'pushing' && (
        <p role="status">
          Pushing to {pushState.repo}: {progress ? (progress.phase === 'file' ? `${progress.path} ${Math.round(progress.progress * 100)}%` : progress.phase) : 'starting'}…
        </p>
      )}
      {pushState.status === 'done' && (
        <p role="status" className="ok">Pushed{pushState.created ? ' to the new repo' : ''}: <a href={pushState.repoUrl} target="_blank" rel="noreferrer">{pushState.repoUrl}</a></p>
      )}
      {pushState.status === 'failed' && <p className="notice error in-place" role="alert">{pushState.failure.message}</p>}
    </form>
  );
}
