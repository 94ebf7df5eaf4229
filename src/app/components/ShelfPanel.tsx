import { type FormEvent, useId, useState } from 'react';
import { type CompositionBlock, type CompositionSetup, compositionLabel } from '../../core/adapters/composition.ts';
import { checkRepoId } from '../../hub/endpoint.ts';
import { repoIdOf } from '../repo-id.ts';
import { compositionProblem } from '../shelf-slice.ts';
import { useEndpoint, useStudio } from '../store.ts';
import { FusionPanel } from './FusionPanel.tsx';
import { HeadOutput } from './HeadOutput.tsx';

/** The blocks Try it offers, with what each does (the adapters library's docs, adapter_composition.md). */
const BLOCKS: { block: Exclude<CompositionBlock, 'Fuse'>; what: string }[] = [
  { block: 'Parallel', what: 'one forward pass; each adapter\'s head on its own copy of the text' },
  { block: 'Stack', what: 'the adapters one after the other in each layer; the last one\'s head' },
  { block: 'Average', what: 'the adapters\' outputs averaged with weights; the last one\'s head' },
  { block: 'BatchSplit', what: 'each adapter takes its own texts (one a line), with its head' },
];

/** Try it's adapter shelf: several adapters at once, combined as the adapters library's composition blocks. */
export function ShelfPanel() {
  const model = useStudio((s) => s.modelLoad);
  const shelf = useStudio((s) => s.shelf);
  const action = useStudio((s) => s.shelfAction);
  const linked = useStudio((s) => s.linkedShelf);
  const active = useStudio((s) => s.activeAdapter);
  const shelve = useStudio((s) => s.shelve);
  const unshelve = useStudio((s) => s.unshelve);
  const loadLinked = useStudio((s) => s.loadLinkedShelf);
  const endpoint = useEndpoint();
  const [repo, setRepo] = useState('');
  const [repoProblem, setRepoProblem] = useState<string>();
  const repoId = useId();
  const fileId = useId();
  const ready = model.status === 'ready';
  const busy = action.status === 'working';
  const fromHub = (event: FormEvent) => {
    event.preventDefault();
    try {
      const id = checkRepoId(repoIdOf(repo));
      setRepoProblem(undefined);
      if (endpoint) void shelve({ kind: 'hub', repoId: id, endpoint });
    } catch (err) {
      setRepoProblem((err as Error).message);
    }
  };
  return (
    // A div, not a region: the steps are the page's regions (and are found by name).
    <div className="shelf">
      <h3>Adapter shelf: compose several adapters</h3>
      <p className="step-help">Load adapters side by side (each keeps its head and labels) and combine them as the adapters library's composition blocks do.</p>
      {!ready ? <p className="locked">Load a model in step 1 to put adapters on the shelf.</p> : (
        <>
          {linked?.length ? (
            <div className="notice in-place" role="status">
              <p>The link puts {linked.join(', ')} on the shelf.</p>
              <button type="button" className="button" disabled={busy} onClick={() => void loadLinked()}>Load them</button>
            </div>
          ) : null}
          {shelf.length > 0 && (
            <ul className="shelf-list" aria-label="Adapters on the shelf">
              {shelf.map((item) => (
                <li key={item.name} data-adapter={item.name}>
                  <strong>{item.name}</strong> <span className="help">{item.method}; {item.origin === 'hub' ? `from ${item.source}` : item.origin === 'file' ? `from ${item.source}` : 'copy of the active adapter'}{item.head ? (item.head.task === 'questionAnswering' ? '; answers questions (not composable)' : item.head.task === 'multipleChoice' ? '; ranks choices (not composable)' : item.head.task === 'tokenClassification' ? '; tags tokens (not composable)' : `; labels: ${item.head.task === 'regression' ? 'a value' : item.head.labels.join(', ')}`) : '; no head'}</span>{' '}
                  <button type="button" className="button small" disabled={busy} onClick={() => void unshelve(item.name)} aria-label={`Remove ${item.name} from the shelf`}>Remove</button>
                </li>
              ))}
            </ul>
          )}
          <div className="row shelf-add">
            <button type="button" className="button" disabled={busy || !active} onClick={() => void shelve({ kind: 'active' })}>
              Add the active adapter{active ? ` (${active.name})` : ''}
            </button>
            <label htmlFor={fileId} className="button">Add a zip…</label>
            <input id={fileId} type="file" accept=".zip,application/zip" className="visually-hidden"
              onChange={async (e) => { const file = e.target.files?.[0]; e.target.value = ''; if (file) await shelve({ kind: 'zip', name: file.name, bytes: await file.arrayBuffer() }); }} />
          </div>
          <form className="repo-id-form" onSubmit={fromHub}>
            <label htmlFor={repoId}>Add from a Hub repo</label>
            <div className="row">
              <input id={repoId} type="text" value={repo} placeholder="AdapterHub/roberta-base-pf-imdb" spellCheck={false} autoComplete="off"
                aria-invalid={repoProblem ? true : undefined} onChange={(e) => setRepo(e.target.value)} />
              <button type="submit" className="button" disabled={!repo.trim() || busy}>Add to the shelf</button>
            </div>
            {repoProblem && <p className="error" role="alert">{repoProblem}</p>}
          </form>
          {action.status === 'working' && <p role="status">Loading {action.what}…</p>}
          {action.status === 'failed' && <p className="notice error in-place" role="alert" data-code={action.failure.code}><strong>{action.what}:</strong> {action.failure.message}</p>}
          {shelf.length >= 2 && <CompositionPicker />}
          {shelf.length >= 2 && <FusionPanel />}
        </>
      )}
    </div>
  );
}

/** The block and its children (in shelf order), with Average's weights or BatchSplit's sizes; the active setup in the library's words. */
function CompositionPicker() {
  const shelf = useStudio((s) => s.shelf);
  const chosen = useStudio((s) => s.composition);
  // A Fuse setup is the fusion panel's.
  const setup = chosen?.block === 'Fuse' ? undefined : chosen;
  const choose = useStudio((s) => s.chooseComposition);
  const blockId = useId();
  const numbersId = useId();
  const block = setup?.block === 'Fuse' ? undefined : setup?.block;
  const update = (change: Partial<CompositionSetup>) => {
    const next = { block: block ?? 'Parallel', adapters: setup?.adapters ?? [], ...change } as CompositionSetup;
    // The numbers belong to the block they were given for.
    choose({ block: next.block, adapters: next.adapters, ...(next.block === 'Average' && next.weights ? { weights: next.weights } : {}), ...(next.block === 'BatchSplit' && next.batchSizes ? { batchSizes: next.batchSizes } : {}) });
  };
  const toggle = (name: string, on: boolean) => {
    const chosen = new Set(setup?.adapters ?? []);
    if (on) chosen.add(name); else chosen.delete(name);
    update({ adapters: shelf.map((item) => item.name).filter((n) => chosen.has(n)), weights: undefined, batchSizes: undefined });
  };
  const numbers = setup?.block === 'Average' ? setup.weights : setup?.block === 'BatchSplit' ? setup.batchSizes : undefined;
  const problem = compositionProblem(setup, shelf);
  return (
    <div className="composition">
      <div className="field">
        <label htmlFor={blockId}>Composition</label>
        <select id={blockId} value={block ?? ''} onChange={(e) => (e.target.value ? update({ block: e.target.value as CompositionBlock }) : choose(undefined))}>
          <option value="">None: the active adapter alone</option>
          {BLOCKS.map((b) => <option key={b.block} value={b.block}>{b.block}: {b.what}</option>)}
        </select>
      </div>
      {setup && (
        <>
          <fieldset className="shelf-children">
            <legend>Adapters in the block, in shelf order</legend>
            {shelf.map((item) => (
              <label key={item.name} className="check">
                <input type="checkbox" checked={setup.adapters.includes(item.name)} onChange={(e) => toggle(item.name, e.target.checked)} /> {item.name}
              </label>
            ))}
          </fieldset>
          {(setup.block === 'Average' || setup.block === 'BatchSplit') && (
            <div className="field">
              <label htmlFor={numbersId}>{setup.block === 'Average' ? 'Weights, one an adapter (normalised; default equal)' : 'Texts each adapter takes, in order (default one each)'}</label>
              <input id={numbersId} type="text" defaultValue={numbers?.join(', ') ?? ''} key={`${setup.block}:${setup.adapters.join(',')}`} placeholder={setup.adapters.map(() => '1').join(', ')}
                onBlur={(e) => {
                  const values = e.target.value.trim() ? e.target.value.split(',').map((v) => Number(v.trim())) : undefined;
                  update(setup.block === 'Average' ? { weights: values } : { batchSizes: values });
                }} />
            </div>
          )}
          <p className="composition-label">Active setup: <code data-composition={compositionLabel(setup)}>{compositionLabel(setup)}</code></p>
          {problem ? <p className="help" role="status">{problem}</p> : <ComposedForm setup={setup} />}
        </>
      )}
    </div>
  );
}

function ComposedForm({ setup }: { setup: CompositionSetup }) {
  const id = useId();
  const predict = useStudio((s) => s.predictComposed);
  const composed = useStudio((s) => s.composed);
  const [text, setText] = useState('');
  const split = setup.block === 'BatchSplit';
  const texts = split ? text.split('\n').filter((t) => t.trim()) : [text];
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void predict(texts);
  };
  return (
    <>
      <form className="predict-form" onSubmit={submit}>
        <div className="field">
          <label htmlFor={id}>{split ? 'Texts, one a line' : 'Text for the composition'}</label>
          <textarea id={id} rows={split ? 3 : 2} value={text} placeholder="a wonderful, moving film" onChange={(e) => setText(e.target.value)} />
        </div>
        <button type="submit" className="button primary" disabled={composed.status === 'running' || !texts.some((t) => t.trim())}>
          {composed.status === 'running' ? 'Running…' : `Run ${setup.block}`}
        </button>
      </form>
      {composed.status === 'failed' && <p className="notice error in-place" role="alert">{composed.failure.message}</p>}
      {composed.status === 'done' && (
        <div className="composed-heads" role="group" aria-label={`Outputs of ${composed.composition}`}>
          {composed.heads.map((head) => <HeadOutput key={`${head.adapter}:${head.rows[0]}`} head={head} texts={composed.texts} />)}
        </div>
      )}
    </>
  );
}
