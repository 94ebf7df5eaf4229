import { Fragment, useEffect, useId, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import type { TrainingSettings } from '../../core/train/training-settings.ts';
import { formatDuration, formatInteger, formatMetrics } from '../format.ts';
import { useStudio } from '../store.ts';
import type { TrainingRun } from '../training-slice.ts';
import { taskOfMetrics } from '../training-view.ts';
import { TrainCharts } from './TrainCharts.tsx';

/** Each training setting as the Train step names it (a new setting fails to compile until it is named here). */
const SETTING_NAMES: Record<keyof TrainingSettings, string> = {
  learningRate: 'Learning rate', epochs: 'Epochs', maxSteps: 'Max steps', batchSize: 'Batch size', maxLength: 'Max length (tokens)', docStride: 'Doc stride (tokens)',
  warmupRatio: 'Warmup (share of steps)', schedule: 'Schedule', gradientAccumulation: 'Gradient accumulation', maxGradNorm: 'Clip gradient norm',
  weightDecay: 'Weight decay', seed: 'Seed', evalEverySteps: 'Also evaluate every N steps', metricForBest: 'Best metric',
  earlyStoppingPatience: 'Early-stopping patience', checkpointEverySeconds: 'Checkpoint every N seconds',
};

/** What the AdapterHub download holds, file by file, for a reader who has not met the format. */
export const ADAPTER_FILES: [string, string][] = [
  ['adapter_config.json', 'the method and its settings (e.g. reduction_factor), read by load_adapter()'],
  ['pytorch_adapter.bin, adapter.safetensors', 'the trained adapter weights, the same numbers in two file formats'],
  ['head_config.json', 'the head: its task and label names'],
  ['pytorch_model_head.bin, model_head.safetensors', 'the trained head weights'],
  ['README.md', 'the model card: base model, data, settings and these metrics'],
];

/** A finished run's button that opens its one-page summary, ready to print. */
export function RunSummaryButton({ run }: { run: TrainingRun }) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  return (
    <>
      <button type="button" className="button" ref={button} onClick={() => setOpen(true)}>Printable summary</button>
      {open && <RunSummary run={run} onClose={close} />}
    </>
  );
}

/** The run on one page: setup, settings, curves, final metrics and what the adapter files are; "Print" prints only this. */
function RunSummary({ run, onClose }: { run: TrainingRun; onClose: () => void }) {
  const titleId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const modelInfo = useStudio((s) => (s.modelLoad.status === 'ready' ? s.modelLoad.info : undefined));
  const adapter = useStudio((s) => s.activeAdapter);
  // The split the worker chose when none was named (train, else the first).
  const trainSplit = useStudio((s) => (s.dataReport.status === 'done' && s.dataReport.result.inspection.status === 'ok' ? s.dataReport.result.inspection.report.plan.train.split : undefined));
  const link = useStudio((s) => s.shareLink)();
  useEffect(() => {
    heading.current?.focus();
    const closeOnEscape = (event: KeyboardEvent) => { if (event.key === 'Escape') onClose(); };
    document.addEventListener('keydown', closeOnEscape);
    return () => document.removeEventListener('keydown', closeOnEscape);
  }, [onClose]);
  const { setup, view } = run;
  const result = view.result;
  const best = result?.best ?? view.evals.filter((e) => e.best).at(-1)?.metrics;
  const last = view.evals.at(-1);
  const task = taskOfMetrics(view.evals[0]?.metrics);
  const name = setup.adapter.kind === 'new' ? setup.adapter.name : setup.adapter.kind === 'fuse' ? `AdapterFusion ${setup.adapter.fusion.adapters.join(',')}` : adapter?.name ?? 'the active adapter';
  const data = setup.data;
  const settings = (Object.entries(setup.settings) as [keyof TrainingSettings, unknown][]).filter(([, value]) => value !== undefined);
  return createPortal(
    <div className="print-summary" role="dialog" aria-modal="true" aria-labelledby={titleId}>
      <div className="print-summary-page">
        <div className="print-summary-actions">
          <button type="button" className="button primary" onClick={() => window.print()}>Print</button>
          <button type="button" className="button" onClick={onClose}>Close</button>
        </div>
        <h1 id={titleId} ref={heading} tabIndex={-1}>Training summary: {name}</h1>
        <p className="muted">Adapter Studio, {new Date().toLocaleString()}. {runOutcome(run)}</p>
        <div className="print-columns">
          <section aria-label="Setup">
            <h2>Setup</h2>
            <dl className="facts">
              <dt>Base model</dt><dd>{setup.model}{modelInfo?.revision ? ` at ${modelInfo.revision}` : ''}{modelInfo ? ` (${formatInteger(modelInfo.parameters)} parameters, frozen)` : ''}</dd>
              <dt>Data</dt><dd>{data.kind === 'hub' ? `${data.dataset}${data.config ? ` (${data.config})` : ''}, split ${data.split ?? trainSplit ?? '(the first)'}` : `local file ${data.name}`}{data.maxTrainExamples ? `, at most ${formatInteger(data.maxTrainExamples)} examples` : ''}</dd>
              <dt>Method</dt><dd>{setup.adapter.kind === 'new' ? knobsText(setup.adapter.choice) : setup.adapter.kind === 'fuse' ? `AdapterFusion (${setup.adapter.fusion.config}) of ${setup.adapter.fusion.adapters.join(', ')}, frozen; new head ${setup.adapter.fusion.head}` : `${adapter?.method ?? 'the active adapter'}, trained further`}</dd>
              {adapter && setup.adapter.kind !== 'fuse' && <><dt>Trainable</dt><dd>{formatInteger(adapter.parameters)} parameters (adapter and head){adapter.head?.task === 'classification' ? `; labels ${adapter.head.labels.join(', ')}` : ''}</dd></>}
            </dl>
            <h2>Settings</h2>
            <table className="print-settings">
              <tbody>
                {settings.map(([key, value]) => <tr key={key}><th scope="row">{SETTING_NAMES[key]}</th><td>{String(value)}</td></tr>)}
              </tbody>
            </table>
          </section>
          <section aria-label="Result">
            <h2>Result</h2>
            <dl className="facts">
              <dt>Best validation</dt><dd data-testid="summary-best">{best ? formatMetrics(best) : 'no evaluation'}{result?.bestStep !== undefined ? ` (step ${result.bestStep})` : ''}</dd>
              {last && <><dt>Last evaluation</dt><dd>step {last.step}: {formatMetrics(last.metrics)}</dd></>}
              {result && <><dt>Kept weights</dt><dd>{result.restoredBest ? `the best evaluation's (step ${result.bestStep})` : 'the last step\'s'}</dd></>}
            </dl>
            <h2>The adapter files</h2>
            <dl className="facts adapter-files">
              {ADAPTER_FILES.map(([file, meaning]) => <Fragment key={file}><dt><code>{file}</code></dt><dd>{meaning}</dd></Fragment>)}
            </dl>
            <p className="muted">In Python: <code>model.load_adapter("./{name}")</code> with the <code>adapters</code> library.</p>
          </section>
        </div>
        <TrainCharts view={view} task={task} height={150} />
        <p className="muted print-link">This setup: <span>{link}</span></p>
      </div>
    </div>,
    document.body,
  );
}

function runOutcome(run: TrainingRun): string {
  const result = run.view.result;
  if (!result) return `Stopped at step ${run.view.latest?.step ?? 0}.`;
  const how = result.stopReason === 'earlyStopped' ? 'Stopped early' : result.stopReason === 'cancelled' ? 'Cancelled' : 'Completed';
  return `${how} after ${formatInteger(result.steps)} steps (${result.epochs.toFixed(2)} epochs) in ${formatDuration(result.seconds)} of training.`;
}

/** "seq_bn (rf 16)": the method and the knobs the user set. */
function knobsText(choice: Extract<TrainingRun['setup']['adapter'], { kind: 'new' }>['choice']): string {
  const knobs = Object.entries(choice).filter(([key, value]) => key !== 'method' && value !== undefined).map(([key, value]) => `${key} ${Array.isArray(value) ? value.join(',') : String(value)}`);
  return knobs.length ? `${choice.method} (${knobs.join(', ')})` : `${choice.method} (its defaults)`;
}
