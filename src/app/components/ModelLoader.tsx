import { useRef } from 'react';
import { backendDisplayName } from '../backend-label.ts';
import { useFocusRescue } from '../focus-rescue.ts';
import { formatBytes, formatInteger } from '../format.ts';
import { useStudio } from '../store.ts';
import type { ModelProgressEvent } from '../../worker/protocol.ts';
import { TokenPrompt, needsToken } from './TokenPrompt.tsx';

function progressText(progress: ModelProgressEvent | undefined, backend: string): string {
  switch (progress?.stage) {
    case undefined:
    case 'config': return 'Reading config.json…';
    case 'tokenizer': return 'Reading the tokenizer…';
    case 'weights': {
      if (!progress.file) return 'Downloading the weights…';
      const total = progress.total === undefined ? '' : ` of ${formatBytes(progress.total)}`;
      return `Downloading ${progress.file}: ${formatBytes(progress.loaded ?? 0)}${total}`;
    }
    case 'upload': return `Uploading the weights to ${backend}…`;
    case 'ready': return 'Ready.';
  }
}

/** The Load button, the download's progress bar, then "ready on <backend>" or what went wrong. `revision` undefined: main. */
export function ModelLoader({ repoId, revision, previewReady }: { repoId: string; revision?: string; previewReady: boolean }) {
  const modelLoad = useStudio((s) => s.modelLoad);
  const compute = useStudio((s) => s.compute);
  const loadModel = useStudio((s) => s.loadModel);
  const backend = compute.status === 'ready' ? backendDisplayName(compute.backend.name) : 'the compute backend';
  const loading = modelLoad.status === 'loading' && modelLoad.repoId === repoId && modelLoad.revision === revision;
  const ready = modelLoad.status === 'ready' && modelLoad.info.repoId === repoId && modelLoad.info.revision === revision;
  const failed = modelLoad.status === 'failed' && modelLoad.repoId === repoId ? modelLoad.failure : undefined;
  const progress = loading ? modelLoad.progress : undefined;
  const fraction = progress?.stage === 'weights' && progress.total ? (progress.loaded ?? 0) / progress.total : undefined;
  const box = useRef<HTMLDivElement>(null);
  useFocusRescue(box, '.load-progress, .ready, [role="alert"]', modelLoad.status);
  return (
    <div className="model-loader" ref={box}>
      {!ready && (
        <button type="button" className="button primary" disabled={!previewReady || loading || compute.status !== 'ready'} onClick={() => void loadModel()}>
          {failed ? 'Try loading again' : 'Load model'}
        </button>
      )}
      {loading && (
        <div className="load-progress" role="status" tabIndex={-1}>
          <progress max={1} value={fraction} aria-label={`Loading ${repoId}`} />
          <span>{progressText(progress, backend)}</span>
        </div>
      )}
      {ready && (
        <p className="ready" role="status" tabIndex={-1}>
          <strong>{repoId}{revision === undefined ? '' : ` at ${revision}`} is ready on {backendDisplayName(modelLoad.info.backend)}</strong>{' '}
          <span className="muted">
            ({formatInteger(modelLoad.info.parameters)} parameters in {modelLoad.info.dtypes.join(', ')} from {modelLoad.info.format}
            {modelLoad.info.networkBytes === 0 ? ', taken from the browser cache' : `, ${formatBytes(modelLoad.info.networkBytes)} downloaded`}); tokenizer from {modelLoad.info.tokenizerSource}
          </span>
        </p>
      )}
      {failed && (
        <div className="notice error in-place" role="alert" data-code={failed.code} tabIndex={-1}>
          <p>{failed.message}</p>
          {needsToken(failed.code) && <TokenPrompt />}
        </div>
      )}
    </div>
  );
}
