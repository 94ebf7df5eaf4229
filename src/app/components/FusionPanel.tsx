import { type FormEvent, useId, useState } from 'react';
import type { CompositionSetup } from '../../core/adapters/composition.ts';
import type { FusionAttentionLayer } from '../../core/vocabulary/adapter.ts';
import { browserFileSink } from '../file-sink.ts';
import { fusionProblem } from '../shelf-slice.ts';
import { isActive } from '../training-slice.ts';
import { useStudio } from '../store.ts';
import { HeadOutput } from './HeadOutput.tsx';

/** The library's two AdapterFusion configs (adapter_fusion_config.py). */
const CONFIGS = [
  { config: 'dynamic', what: 'query, key and value learnt (the paper\'s default)' },
  { config: 'static', what: 'query and key learnt, no value matrix' },
];

/**
 * AdapterFusion over shelved adapters: pick two or more, train the fusion layers and a new head on the chosen data
 * (the adapters stay frozen; the run's charts are the Train step's), try it, see its attention, download its files.
 */
export function FusionPanel() {
  const shelf = useStudio((s) => s.shelf);
  const dataSource = useStudio((s) => s.dataSource);
  const training = useStudio((s) => s.training);
  const fusion = useStudio((s) => s.fusion);
  const start = useStudio((s) => s.startFusionTraining);
  const [chosen, setChosen] = useState<string[]>([]);
  const [config, setConfig] = useState('dynamic');
  const [head, setHead] = useState('fusion');
  const configId = useId();
  const headId = useId();
  const adapters = shelf.map((item) => item.name).filter((name) => chosen.includes(name));
  const fusing = training?.setup.adapter.kind === 'fuse' && isActive(training);
  const problem = fusionProblem({ adapters, head: head.trim() }, { dataChosen: dataSource !== undefined, training: isActive(training) });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!problem) void start({ adapters, config, head: head.trim() });
  };
  return (
    <form className="fusion" aria-label="AdapterFusion" onSubmit={submit}>
      <h4>AdapterFusion: learn to combine adapters</h4>
      <p className="help">Trains fusion layers and a new head on the data of step 2 with the Train step's settings (its charts show the run); the fused adapters stay frozen.</p>
      <fieldset className="shelf-children">
        <legend>Adapters to fuse</legend>
        {shelf.map((item) => (
          <label key={item.name} className="check">
            <input type="checkbox" checked={chosen.includes(item.name)}
              onChange={(e) => setChosen(e.target.checked ? [...chosen, item.name] : chosen.filter((n) => n !== item.name))} /> {item.name}
          </label>
        ))}
      </fieldset>
      <div className="row">
        <div className="field">
          <label htmlFor={configId}>Fusion config</label>
          <select id={configId} value={config} onChange={(e) => setConfig(e.target.value)}>
            {CONFIGS.map((c) => <option key={c.config} value={c.config}>{c.config}: {c.what}</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor={headId}>New head's name</label>
          <input id={headId} type="text" value={head} spellCheck={false} onChange={(e) => setHead(e.target.value)} />
        </div>
      </div>
      <button type="submit" className="button primary" disabled={problem !== undefined}>{fusing ? 'Training the fusion…' : 'Train the fusion'}</button>
      {problem && !fusing && <p className="help" role="status">{problem}</p>}
      {training?.setup.adapter.kind === 'fuse' && training.status === 'failed' && training.failure && (
        <p className="notice error in-place" role="alert">{training.failure.message}</p>
      )}
      {fusion && <TrainedFusion />}
    </form>
  );
}

/** The trained fusion: Try it with its head, its attention per layer, and its files. */
function TrainedFusion() {
  const fusion = useStudio((s) => s.fusion)!;
  const composition = useStudio((s) => s.composition);
  const composed = useStudio((s) => s.composed);
  const attention = useStudio((s) => s.fusionAttention);
  const download = useStudio((s) => s.fusionDownload);
  const choose = useStudio((s) => s.chooseComposition);
  const predict = useStudio((s) => s.predictComposed);
  const showAttention = useStudio((s) => s.showFusionAttention);
  const downloadFusion = useStudio((s) => s.downloadFusion);
  const unsaved = useStudio((s) => s.unsavedFusion);
  const [text, setText] = useState('');
  const textId = useId();
  const setup: CompositionSetup = { block: 'Fuse', adapters: fusion.adapters };
  const tried = composition?.block === 'Fuse' && composed.status === 'done' ? composed : undefined;
  const run = async () => {
    choose(setup);
    await predict([text]);
    await showAttention(text);
  };
  return (
    <div className="trained-fusion" data-fusion={fusion.name}>
      <p role="status">AdapterFusion <strong>{fusion.name}</strong> trained: {fusion.parameters.toLocaleString('en-US')} parameters (fusion layers and head <strong>{fusion.head?.name}</strong>).
        {unsaved ? ' Not kept in this browser (see Your adapters): download it to keep it.' : ' Kept in Your adapters in this browser, to download again after a reload.'}</p>
      <div className="field">
        <label htmlFor={textId}>Text for the fusion</label>
        <textarea id={textId} rows={2} value={text} placeholder="a wonderful, moving film" onChange={(e) => setText(e.target.value)} />
      </div>
      <div className="row">
        <button type="button" className="button" disabled={!text.trim() || composed.status === 'running'} onClick={() => void run()}>Try the fusion</button>
        <button type="button" className="button" disabled={download.status === 'working'} onClick={() => void downloadFusion(browserFileSink)}>Download the fusion (zip)</button>
      </div>
      {download.status === 'failed' && <p className="notice error in-place" role="alert">{download.failure.message}</p>}
      {composition?.block === 'Fuse' && composed.status === 'failed' && <p className="notice error in-place" role="alert">{composed.failure.message}</p>}
      {tried && <div className="composed-heads" role="group" aria-label={`Outputs of ${tried.composition}`}>{tried.heads.map((h) => <HeadOutput key={h.adapter} head={h} texts={tried.texts} />)}</div>}
      {attention.status === 'failed' && <p className="notice error in-place" role="alert">{attention.failure.message}</p>}
      {attention.status === 'done' && <AttentionMap adapters={attention.adapters} tokens={attention.tokens} layers={attention.layers} />}
    </div>
  );
}

/** Per fusion layer, each token's attention over the adapters as shaded cells (darker: more weight). */
function AttentionMap({ adapters, tokens, layers }: { adapters: string[]; tokens: string[]; layers: FusionAttentionLayer[] }) {
  return (
    <figure className="fusion-attention">
      <figcaption>Fusion attention per layer: how much each token draws on each adapter</figcaption>
      {layers.map((layer) => (
        <table key={`${layer.layer}:${layer.location}`} className="attention-map" aria-label={`Layer ${layer.layer} (${layer.location})`}>
          <caption>Layer {layer.layer} ({layer.location})</caption>
          <thead><tr><th scope="col">Adapter</th>{tokens.map((t, i) => <th key={i} scope="col">{t}</th>)}</tr></thead>
          <tbody>
            {adapters.map((name, a) => (
              <tr key={name}>
                <th scope="row">{name}</th>
                {layer.weights.map((row, i) => (
                  <td key={i} data-weight={row[a]} title={`${tokens[i]} → ${name}: ${(row[a] * 100).toFixed(1)}%`}
                    style={{ backgroundColor: `rgba(37, 99, 235, ${row[a].toFixed(3)})` }} />
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </figure>
  );
}
