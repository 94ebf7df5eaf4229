import { describeInferredModelType } from '../../core/model/config.ts';
import { layerSharingNote } from '../../core/model/families/index.ts';
import { formatBytes, formatCount, formatInteger } from '../format.ts';
import { ESTIMATE_BATCH, type PreviewState } from '../model-preview.ts';
import { TokenPrompt, needsToken } from './TokenPrompt.tsx';

/** What the chosen model is, read from its config.json and file listing before anything is downloaded. */
export function ModelDetails({ state }: { state: PreviewState }) {
  switch (state.status) {
    case 'idle':
      return null;
    case 'loading':
      return <p className="help" role="status">Reading config.json of {state.repoId}…</p>;
    case 'failed':
      return (
        <div className="notice error in-place" role="alert" data-code={state.reason}>
          <p>{state.message}</p>
          {needsToken(state.reason) && <TokenPrompt />}
        </div>
      );
    case 'ready': {
      const { revision, commit, config, parameters, weights, inferenceBytes, trainingBytes, wasmNote, gated } = state.preview;
      return (
        <dl className="facts model-facts" aria-label="Model details">
          <dt>Revision</dt>
          <dd>{revision ?? 'main'}{commit && <span className="muted"> (commit <code>{commit.slice(0, 7)}</code>)</span>}</dd>
          <dt>Architecture</dt>
          <dd>{config.modelType}{config.modelType !== config.family ? ` (${config.family} family)` : ''}{gated ? ' · gated' : ''}</dd>
          {config.inferredModelType && <><dt>Read as</dt><dd className="inferred">{describeInferredModelType(config.inferredModelType)}</dd></>}
          <dt>Layers</dt><dd>{config.numLayers}{layerSharingNote(config) && `${layerSharingNote(config)} (adapters sit on these)`}</dd>
          <dt>Hidden size</dt><dd>{config.hiddenSize} ({config.numHeads} heads, feed-forward {config.intermediateSize})</dd>
          <dt>Longest input</dt><dd>{config.maxSequenceLength} tokens</dd>
          <dt>Parameters</dt><dd>{formatCount(parameters)} ({formatInteger(parameters)})</dd>
          <dt>Download</dt>
          <dd>
            {weights
              ? <>{weights.bytes === undefined ? 'size unknown' : formatBytes(weights.bytes)} <span className="muted">({weights.files.join(', ')})</span></>
              : <span className="error">no weights file the studio reads (model.safetensors or pytorch_model.bin)</span>}
          </dd>
          <dt>Memory</dt>
          <dd>about {formatBytes(inferenceBytes)} to run, {formatBytes(trainingBytes)} to train adapters at batch {ESTIMATE_BATCH}</dd>
          {wasmNote && <><dt>On wasm</dt><dd data-testid="wasm-memory-note">{wasmNote}</dd></>}
        </dl>
      );
    }
  }
}
