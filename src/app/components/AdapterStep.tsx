import { useEffect, useId, useMemo, useState } from 'react';
import type { EncoderConfig } from '../../core/model/config.ts';
import { layerModules } from '../../core/model/families/index.ts';
import type { AdapterChoice, AdapterMethod, HeadSpec } from '../../core/vocabulary/adapter.ts';
import type { AdapterDescriptionEvent } from '../../worker/protocol.ts';
import { ADAPTER_METHODS, NON_LINEARITIES, SLIDERS, type SliderKnob, withKnob } from '../adapter-methods.ts';
import { formatInteger } from '../format.ts';
import { useModelPreview } from '../model-preview.ts';
import { headSpecOf, useEndpoint, useStudio } from '../store.ts';
import { defaultAdapterName } from '../training-slice.ts';
import { useDebouncedValue } from '../use-debounced-value.ts';
import { Explain } from './Explain.tsx';
import { NumberField, checks } from './NumberField.tsx';

type Description =
  | { status: 'idle' }
  | { status: 'loading'; previous?: Omit<AdapterDescriptionEvent, 'type' | 'replyTo'> }
  | { status: 'ready'; description: Omit<AdapterDescriptionEvent, 'type' | 'replyTo'> }
  | { status: 'failed'; message: string; previous?: Omit<AdapterDescriptionEvent, 'type' | 'replyTo'> };

/** The worker's description of the choice on the model (config, summary, PEFT fit), asked again as the inputs change. */
function useAdapterDescription(choice: AdapterChoice, encoder: EncoderConfig | undefined, head: HeadSpec | undefined, name: string): Description {
  const describeAdapter = useStudio((s) => s.describeAdapter);
  const ready = useStudio((s) => s.compute.status === 'ready' || s.compute.status === 'lost');
  const [state, setState] = useState<Description>({ status: 'idle' });
  const request = useDebouncedValue(JSON.stringify({ choice, encoder, head, name }), 80);
  useEffect(() => {
    if (!ready) return;
    let current = true;
    setState((s) => ({ status: 'loading', previous: s.status === 'ready' ? s.description : s.status === 'idle' ? undefined : s.previous }));
    describeAdapter(JSON.parse(request)).then(
      ({ type: _type, replyTo: _replyTo, ...description }) => current && setState({ status: 'ready', description }),
      (err: Error) => current && setState((s) => ({ status: 'failed', message: err.message, previous: s.status === 'loading' ? s.previous : undefined })),
    );
    return () => {
      current = false;
    };
  }, [request, ready, describeAdapter]);
  return state;
}

/** Step 2: the adapter method, its size, the head, and the library's adapter_summary, before any weights are downloaded. */
export function AdapterStep() {
  const endpoint = useEndpoint();
  const selected = useStudio((s) => s.selectedModel);
  const choice = useStudio((s) => s.adapterChoice);
  const source = useStudio((s) => s.dataSource);
  const name = useStudio((s) => s.adapterName) ?? defaultAdapterName(source);
  const report = useStudio((s) => s.dataReport);
  const head = useMemo(() => headSpecOf(report), [report]);
  const revision = useStudio((s) => s.selectedRevision);
  const preview = useModelPreview(endpoint, selected, revision);
  const encoder = preview.status === 'ready' ? preview.preview.config : undefined;
  const state = useAdapterDescription(choice, encoder, head, name);
  const description = state.status === 'ready' ? state.description : state.status === 'idle' ? undefined : state.previous;
  return (
    <section id="step-adapter" className="step wide" aria-labelledby="adapter-step-title">
      <h2 id="adapter-step-title"><span className="step-number" aria-hidden="true">2</span> Adapter</h2>
      <p className="step-help">How the frozen model learns the task: a few new weights in each layer. The sizes update as you change the method.</p>
      <div className="step-columns">
        <MethodCards />
        <div className="adapter-panel" aria-busy={state.status === 'loading' || undefined}>
          <KnobSliders description={description} />
          {state.status === 'failed' && <p className="notice error in-place" role="alert">{state.message}</p>}
          {selected ? <TrainableCount description={description} encoder={encoder} /> : <p className="help">Select a model in step 1 to see how many parameters this adapter trains.</p>}
          <HeadInfo head={head} />
          <AdapterNameField />
          {description?.summary && <SummaryTable description={description} />}
          {description && (
            <p className="help peft-note" data-peft={description.peft.ok}>
              {description.peft.ok ? `PEFT export: yes (as ${description.peft.peftType === 'IA3' ? '(IA)³' : 'LoRA'}).` : `PEFT export: no. ${description.peft.reason}`}
            </p>
          )}
          <AdvancedKnobs description={description} layers={encoder ? layerModules(encoder).paths.length : undefined} />
        </div>
      </div>
    </section>
  );
}

/** A card per method; arrow keys move between them (a radio group). */
function MethodCards() {
  const choice = useStudio((s) => s.adapterChoice);
  const setAdapterChoice = useStudio((s) => s.setAdapterChoice);
  const pick = (method: AdapterMethod) => {
    if (method === choice.method) return;
    // Knobs that only some methods have start again from the new method's values; the advanced ones carry over.
    const { nonLinearity, dropout, leaveOut, adapterDrop } = choice;
    const kept = Object.entries({ nonLinearity, dropout, leaveOut, adapterDrop }).filter(([, v]) => v !== undefined);
    setAdapterChoice({ method, ...Object.fromEntries(kept) });
  };
  return (
    <fieldset className="method-cards">
      <legend>Method</legend>
      {(Object.entries(ADAPTER_METHODS) as [AdapterMethod, (typeof ADAPTER_METHODS)[AdapterMethod]][]).map(([method, info]) => (
        <label key={method} className="method-card" data-selected={method === choice.method || undefined}>
          <input type="radio" name="adapter-method" value={method} checked={method === choice.method} onChange={() => pick(method)} />
          <span className="method-title">{info.title} <code>{method}</code></span>
          <span className="method-summary">{info.summary}</span>
        </label>
      ))}
    </fieldset>
  );
}

/** The method's main knobs as sliders over sensible steps. */
function KnobSliders({ description }: { description?: Omit<AdapterDescriptionEvent, 'type' | 'replyTo'> }) {
  const choice = useStudio((s) => s.adapterChoice);
  const setAdapterChoice = useStudio((s) => s.setAdapterChoice);
  const sliders = ADAPTER_METHODS[choice.method].sliders;
  if (sliders.length === 0) return <p className="help">(IA)³ has no size to choose: one vector per adapted projection.</p>;
  return (
    <div className="sliders">
      {sliders.map((knob) => (
        <Slider key={knob} knob={knob} value={choice[knob] ?? description?.knobs[knob]} onChange={(value) => setAdapterChoice(withKnob(choice, knob, value))} />
      ))}
    </div>
  );
}

function Slider({ knob, value, onChange }: { knob: SliderKnob; value: number | undefined; onChange: (value: number) => void }) {
  const id = useId();
  const { label, values, help } = SLIDERS[knob];
  const index = value === undefined ? -1 : values.indexOf(value);
  // A value from the URL that is not on the slider's steps is shown and kept until the slider moves.
  const shown = index >= 0 ? index : value === undefined ? 0 : values.findIndex((v) => v >= value);
  return (
    <div className="slider">
      <label htmlFor={id}>{label}: <output htmlFor={id}>{value ?? '…'}</output></label>
      <input id={id} type="range" min={0} max={values.length - 1} step={1} value={shown < 0 ? values.length - 1 : shown} disabled={value === undefined}
        aria-valuetext={String(value ?? '')} aria-describedby={`${id}-help`} onChange={(e) => onChange(values[Number(e.target.value)])} />
      <span id={`${id}-help`} className="help">{help}</span>
    </div>
  );
}

/** Trainable parameters of adapter and head, and their share of the base model. */
function TrainableCount({ description, encoder }: { description?: Omit<AdapterDescriptionEvent, 'type' | 'replyTo'>; encoder?: EncoderConfig }) {
  const summary = description?.summary;
  if (!encoder || !summary) return <p className="help" role="status">Counting parameters…</p>;
  const adapter = summary.rows[0];
  const base = summary.rows[1].params;
  const head = summary.headParameters;
  const total = adapter.params + (head ?? 0);
  return (
    <p className="trainable" role="status" aria-live="polite">
      <strong data-testid="trainable-parameters" data-parameters={total}>{formatInteger(total)}</strong> <Explain term="trainable">trainable parameters</Explain>{' '}
      ({((total / base) * 100).toFixed(2)}% of the {formatInteger(base)} of the base model):
      adapter {formatInteger(adapter.params)} ({adapter.percent.toFixed(3)}%){head === undefined ? ', head once the data is chosen' : ` + head ${formatInteger(head)}`}.
    </p>
  );
}

const HEAD_KINDS = [
  { task: 'classification', label: 'Classification', help: 'one class per text' },
  { task: 'multiLabel', label: 'Multi-label', help: 'any set of labels per text (a list-of-labels column, or several 0/1 columns)' },
  { task: 'regression', label: 'Regression', help: 'one number per text' },
  { task: 'questionAnswering', label: 'Question answering', help: 'an answer span in a paragraph (SQuAD)' },
  { task: 'multipleChoice', label: 'Multiple choice', help: 'the right one of N endings or answers after a context (SWAG, Cosmos QA)' },
  { task: 'tokenClassification', label: 'Token classification', help: 'a tag per word, e.g. named entities (CoNLL-2003)' },
] as const;

/** The prediction head, set by the Data step's label column. */
function HeadInfo({ head }: { head?: HeadSpec }) {
  return (
    <fieldset className="head-kind">
      <legend>Head <span className="muted">(set by the Data step's label column, not chosen here)</span></legend>
      {HEAD_KINDS.map((kind) => (
        <label key={kind.task} className="choice" data-used={head?.task === kind.task || undefined}>
          <input type="radio" name="head-kind" checked={head?.task === kind.task} disabled={head?.task !== kind.task} readOnly />
          <span>{kind.label} <span className="muted">— {kind.help}</span>{head && head.task !== kind.task && <span className="muted"> (not for this data)</span>}</span>
        </label>
      ))}
      <p className="help">
        {!head ? 'Choose the data in step 3: its label column sets the head.'
          : head.task === 'regression' ? 'A regression head: Linear → tanh → Linear to one output, trained with the squared error.'
          : head.task === 'tokenClassification' ? <>A tagging head (add_tagging_head) over {head.labels.length} tags: one Linear on every token, the tag of a word read at its first token, trained with cross-entropy.</>
          : head.task === 'questionAnswering' ? 'A question-answering head (add_qa_head): one Linear to a start and an end logit on every token, trained with the mean of the two cross-entropies.'
          : head.task === 'multiLabel' ? <>A multi-label head over {head.labels.length} labels ({head.labels.join(', ')}): Linear → tanh → Linear on the first token, a sigmoid per label, trained with binary cross-entropy; a label is predicted at or above its threshold (0.5).</>
          : head.task === 'multipleChoice' ? `A multiple-choice head (add_multiple_choice_head, ${head.labels.length} choices): Linear → tanh → Linear to one score on the first token of each (context, choice) pair, trained with cross-entropy over the ${head.labels.length} scores.`
            : <>A classification head over {head.labels.length} labels ({head.labels.join(', ')}): Linear → tanh → Linear on the first token, trained with cross-entropy.</>}
      </p>
    </fieldset>
  );
}

function AdapterNameField() {
  const id = useId();
  const name = useStudio((s) => s.adapterName);
  const source = useStudio((s) => s.dataSource);
  const setAdapterName = useStudio((s) => s.setAdapterName);
  const [draft, setDraft] = useState(name ?? '');
  const valid = draft === '' || /^[A-Za-z0-9_-]+$/.test(draft);
  useEffect(() => setDraft(name ?? ''), [name]);
  return (
    <div className="field">
      <label htmlFor={id}>Adapter name</label>
      <input id={id} type="text" value={draft} placeholder={defaultAdapterName(source)} spellCheck={false} aria-invalid={!valid || undefined}
        aria-describedby={`${id}-help`} onChange={(e) => {
          setDraft(e.target.value);
          if (e.target.value === '' || /^[A-Za-z0-9_-]+$/.test(e.target.value)) setAdapterName(e.target.value);
        }} />
      <span id={`${id}-help`} className={valid ? 'help' : 'error'}>
        {valid ? 'In every weight name and the export; empty: named after the dataset.' : 'Letters, digits, "_" and "-" only.'}
      </span>
    </div>
  );
}

/** The library's adapter_summary() as a table. */
function SummaryTable({ description }: { description: Omit<AdapterDescriptionEvent, 'type' | 'replyTo'> }) {
  const rows = description.summary!.rows;
  const flag = (value: boolean | undefined) => (value === undefined ? '' : value ? '1' : '0');
  return (
    <div className="table-scroll">
      <table className="summary-table">
        <caption>adapter_summary()</caption>
        <thead>
          <tr><th scope="col">Name</th><th scope="col">Architecture</th><th scope="col">#Param</th><th scope="col">%Param</th><th scope="col">Active</th><th scope="col">Train</th></tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.name}>
              <th scope="row">{row.name}</th>
              <td>{row.architecture ?? ''}</td>
              <td>{formatInteger(row.params)}</td>
              <td>{row.percent.toFixed(3)}</td>
              <td>{flag(row.active)}</td>
              <td>{flag(row.train)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Activation, dropout, layers left out, AdapterDrop, and the resulting config. */
function AdvancedKnobs({ description, layers }: { description?: Omit<AdapterDescriptionEvent, 'type' | 'replyTo'>; layers?: number }) {
  const choice = useStudio((s) => s.adapterChoice);
  const setAdapterChoice = useStudio((s) => s.setAdapterChoice);
  const knobs = description?.knobs;
  const leaveOut = choice.leaveOut ?? knobs?.leaveOut ?? [];
  const actId = useId();
  const toggleLayer = (layer: number) => {
    const next = leaveOut.includes(layer) ? leaveOut.filter((l) => l !== layer) : [...leaveOut, layer].sort((a, b) => a - b);
    setAdapterChoice(withKnob(choice, 'leaveOut', next.length ? next : undefined));
  };
  return (
    <details className="advanced">
      <summary>Advanced: activation, dropout, layers left out, AdapterDrop</summary>
      <div className="advanced-grid">
        {knobs?.nonLinearity !== undefined && (
          <div className="field">
            <label htmlFor={actId}>Activation (non_linearity)</label>
            <select id={actId} value={choice.nonLinearity ?? knobs.nonLinearity} onChange={(e) => setAdapterChoice(withKnob(choice, 'nonLinearity', e.target.value))}>
              {[...new Set([knobs.nonLinearity, ...NON_LINEARITIES])].map((name) => <option key={name} value={name}>{name}</option>)}
            </select>
          </div>
        )}
        {knobs?.dropout !== undefined && (
          <NumberField label="Dropout" value={choice.dropout ?? knobs.dropout} check={checks.between(0, 0.99)} step={0.05}
            onCommit={(value) => setAdapterChoice(withKnob(choice, 'dropout', value))} />
        )}
        {layers !== undefined && (
          <fieldset className="leave-out">
            <legend>Layers without the adapter (leave_out)</legend>
            {Array.from({ length: layers }, (_, layer) => (
              <label key={layer} className="choice">
                <input type="checkbox" checked={leaveOut.includes(layer)} onChange={() => toggleLayer(layer)} /> {layer}
              </label>
            ))}
          </fieldset>
        )}
        <label className="choice">
          <input type="checkbox" checked={choice.adapterDrop === true} onChange={(e) => setAdapterChoice(withKnob(choice, 'adapterDrop', e.target.checked || undefined))} />
          <span>AdapterDrop while training <span className="muted">(each step skips the adapters of a random number of first layers)</span></span>
        </label>
      </div>
      {description && <pre className="config-json" role="group" aria-label="Adapter config" tabIndex={0}>{JSON.stringify(description.config, null, 2)}</pre>}
    </details>
  );
}
