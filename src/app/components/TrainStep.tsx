import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { TrainProgressEvent } from '../../core/train/events.ts';
import type { MetricName } from '../../core/train/metrics.ts';
import type { ScheduleKind } from '../../core/train/schedule.ts';
import { defaultDocStride } from '../../core/tasks/question-answering/windows.ts';
import { DEFAULT_TRAINING_SETTINGS, type TrainingSettings } from '../../core/train/training-settings.ts';
import { backendDisplayName } from '../backend-label.ts';
import { useFocusRescue } from '../focus-rescue.ts';
import { METRIC_LABELS, formatDuration, formatInteger, formatPace, formatRate, metricEntries } from '../format.ts';
import { wouldLoseWork } from '../library-slice.ts';
import { resumeEpoch } from '../saved-run.ts';
import { headSpecOf, useStudio } from '../store.ts';
import { type TrainingRun, canTrain, effectiveSettings, isActive } from '../training-slice.ts';
import { taskOfMetrics } from '../training-view.ts';
import { Explain } from './Explain.tsx';
import { NumberField, checks } from './NumberField.tsx';
import { RunSummaryButton } from './RunSummary.tsx';
import { TrainCharts } from './TrainCharts.tsx';

/** Step 4: the training settings, the run's controls, live charts and log, and the resume offer after a reload. */
export function TrainStep() {
  const ready = useStudio(canTrain);
  const training = useStudio((s) => s.training);
  const active = isActive(training);
  useLeaveWarning();
  const section = useRef<HTMLElement>(null);
  // "Train" and "Pause"/"Cancel" go away as the run starts and ends: the focus moves to the run's status line.
  useFocusRescue(section, '.run-status', training?.status);
  return (
    <section id="step-train" className="step wide" aria-labelledby="train-step-title" ref={section}>
      <h2 id="train-step-title"><span className="step-number" aria-hidden="true">4</span> Train</h2>
      <p className="step-help">Trains the adapter and head on the training split and checks them on the validation split after every epoch.</p>
      <ResumeOffer />
      <TrainSettingsForm disabled={active} />
      {!ready && !active && <p className="locked">Load a model in step 1 and choose data in step 3 to train.</p>}
      <TrainControls />
      {training && <RunView run={training} />}
    </section>
  );
}

/** Asks the browser to warn before the page is left (reload, close) while that would lose work. */
function useLeaveWarning() {
  const losing = useStudio(wouldLoseWork);
  useEffect(() => {
    if (!losing) return undefined;
    const warn = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      // Older browsers show the dialog only when returnValue is set.
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [losing]);
}

/** "Resume training <model> + <dataset> from epoch N", after a reload interrupted a run with a checkpoint. */
function ResumeOffer() {
  const saved = useStudio((s) => s.savedRun);
  const training = useStudio((s) => s.training);
  const resumeSavedRun = useStudio((s) => s.resumeSavedRun);
  const discardSavedRun = useStudio((s) => s.discardSavedRun);
  if (!saved || isActive(training) || training?.setup.runId === saved.setup.runId && training.status !== 'interrupted') return null;
  const data = saved.setup.data.kind === 'hub' ? saved.setup.data.dataset : saved.setup.data.name;
  return (
    <div className="notice info resume-offer" role="region" aria-label="Interrupted run">
      <p>
        <strong>Resume training {saved.setup.model} + {data} from epoch {resumeEpoch(saved)}</strong>{' '}
        <span className="muted">(checkpoint at step {saved.step}{saved.totalSteps ? ` of ${saved.totalSteps}` : ''}, {new Date(saved.savedAt).toLocaleString()})</span>
      </p>
      <div className="row">
        <button type="button" className="button primary" onClick={() => void resumeSavedRun()}>Resume</button>
        <button type="button" className="button" onClick={() => void discardSavedRun()}>Discard</button>
      </div>
    </div>
  );
}

const SCHEDULES: { value: ScheduleKind; label: string }[] = [
  { value: 'linear', label: 'linear decay' },
  { value: 'cosine', label: 'cosine decay' },
  { value: 'constant', label: 'constant' },
];

function TrainSettingsForm({ disabled }: { disabled: boolean }) {
  const changes = useStudio((s) => s.trainSettings);
  const set = useStudio((s) => s.setTrainSetting);
  const model = useStudio((s) => s.selectedModel);
  const report = useStudio((s) => s.dataReport);
  const task = useMemo(() => headSpecOf(report)?.task ?? 'classification', [report]);
  const settings = effectiveSettings(changes);
  const d = DEFAULT_TRAINING_SETTINGS;
  const lengthId = useId();
  const [byStepsDraft, setBySteps] = useState(settings.maxSteps !== undefined);
  const bySteps = byStepsDraft || settings.maxSteps !== undefined;
  const demo = model?.startsWith('adapter-studio/');
  const field = <K extends keyof TrainingSettings>(key: K) => (value: number | undefined) => set(key, value as TrainingSettings[K] | undefined);
  const metrics: MetricName[] = task === 'classification' ? ['accuracy', 'macroF1', 'loss'] : task === 'questionAnswering' ? ['f1', 'exactMatch', 'loss'] : task === 'multipleChoice' ? ['accuracy', 'loss'] : task === 'tokenClassification' ? ['entityF1', 'tokenAccuracy', 'loss'] : task === 'multiLabel' ? ['microF1', 'macroF1', 'loss'] : ['mse', 'pearson', 'loss'];
  return (
    <fieldset className="train-settings" disabled={disabled}>
      <legend>Settings</legend>
      <div className="settings-row">
        <NumberField label="Learning rate" value={settings.learningRate} check={checks.positive} onCommit={field('learningRate')}
          hint={<>Default {d.learningRate} (the AdapterHub guides'). Tiny demo models want 1e-3
            {demo && settings.learningRate !== 1e-3 && <> — <button type="button" className="link-button" onClick={() => set('learningRate', 1e-3)}>use 1e-3</button></>}.</>} />
        <fieldset className="length">
          <legend id={lengthId}>Train for</legend>
          <label className="choice">
            <input type="radio" name="train-length" checked={!bySteps} onChange={() => { setBySteps(false); set('maxSteps', undefined); }} /> whole passes over the data
          </label>
          <label className="choice">
            <input type="radio" name="train-length" checked={bySteps} onChange={() => setBySteps(true)} /> a number of steps
          </label>
          {bySteps
            ? <NumberField label="Max steps" value={settings.maxSteps} placeholder="e.g. 500" check={checks.wholeFrom(1)} step={1} onCommit={field('maxSteps')} optional />
            : <NumberField label="Epochs" value={settings.epochs} check={checks.wholeFrom(1)} step={1} onCommit={field('epochs')} hint="passes over the training data" />}
        </fieldset>
        <NumberField label="Batch size" value={settings.batchSize} check={checks.wholeFrom(1)} step={1} onCommit={field('batchSize')} />
        <NumberField label="Max length (tokens)" value={settings.maxLength} check={checks.wholeFrom(8)} step={1} onCommit={field('maxLength')} />
        {task === 'questionAnswering' && (
          <NumberField label="Doc stride (tokens)" value={settings.docStride} placeholder={String(defaultDocStride(settings.maxLength))} check={checks.wholeFrom(0)} step={1}
            onCommit={field('docStride')} optional hint="context tokens neighbouring windows of a long paragraph share (run_qa's doc_stride)" />
        )}
      </div>
      <details className="advanced">
        <summary>More settings: warmup, schedule, accumulation, clipping, seed, evaluation, early stopping</summary>
        <div className="settings-row">
          <NumberField label="Warmup (share of steps)" value={settings.warmupRatio} check={checks.between(0, 1)} step={0.01} onCommit={field('warmupRatio')} />
          <div className="field">
            <label htmlFor={`${lengthId}-schedule`}>Schedule</label>
            <select id={`${lengthId}-schedule`} value={settings.schedule} onChange={(e) => set('schedule', e.target.value as ScheduleKind)}>
              {SCHEDULES.map((s) => <option key={s.value} value={s.value}>{s.label}</option>)}
            </select>
          </div>
          <NumberField label="Gradient accumulation" value={settings.gradientAccumulation} check={checks.wholeFrom(1)} step={1} onCommit={field('gradientAccumulation')} />
          <NumberField label="Clip gradient norm (0: off)" value={settings.maxGradNorm} check={checks.atLeast(0)} onCommit={field('maxGradNorm')} />
          <NumberField label="Weight decay" value={settings.weightDecay} check={checks.atLeast(0)} onCommit={field('weightDecay')} />
          <NumberField label="Seed" value={settings.seed} check={checks.wholeFrom(0)} step={1} onCommit={field('seed')} />
          <NumberField label="Also evaluate every N steps" value={settings.evalEverySteps} placeholder="each epoch only" check={checks.wholeFrom(1)} step={1}
            onCommit={field('evalEverySteps')} optional />
          <div className="field">
            <label htmlFor={`${lengthId}-metric`}>Best metric (the kept weights)</label>
            <select id={`${lengthId}-metric`} value={settings.metricForBest ?? ''} onChange={(e) => set('metricForBest', (e.target.value || undefined) as MetricName | undefined)}>
              <option value="">{task === 'classification' || task === 'multipleChoice' ? 'accuracy' : task === 'questionAnswering' ? 'F1' : task === 'tokenClassification' ? 'entity F1' : task === 'multiLabel' ? 'micro-F1' : 'MSE'} (default)</option>
              {metrics.map((m) => <option key={m} value={m}>{m}</option>)}
            </select>
          </div>
          <NumberField label="Early-stopping patience" value={settings.earlyStoppingPatience} placeholder="off" check={checks.wholeFrom(1)} step={1}
            onCommit={field('earlyStoppingPatience')} optional hint="evaluations without a new best before stopping" />
          <NumberField label="Checkpoint every N seconds" value={settings.checkpointEverySeconds} placeholder="60" check={checks.wholeFrom(0)} step={1}
            onCommit={field('checkpointEverySeconds')} optional hint="besides each epoch's end; a reload resumes from the latest (0: epoch ends only)" />
        </div>
      </details>
    </fieldset>
  );
}

function TrainControls() {
  const training = useStudio((s) => s.training);
  const activeAdapter = useStudio((s) => s.activeAdapter);
  const kept = useStudio((s) => s.activeSavedId !== undefined);
  const unsaved = useStudio((s) => s.unsavedAdapter);
  const ready = useStudio(canTrain);
  const debug = useStudio((s) => s.debug);
  const { startTraining, pauseTraining, resumeTraining, cancelTraining } = useStudio.getState();
  const [nanFrom, setNanFrom] = useState(3);
  const [nanSteps, setNanSteps] = useState(1);
  const status = training?.status;
  const active = isActive(training);
  return (
    <div className="train-controls">
      {!active && (
        <>
          <button type="button" className="button primary" disabled={!ready} onClick={() => {
            if (unsaved && activeAdapter && !window.confirm(`${activeAdapter.name} is not kept in this browser (see Your adapters in step 5). Train a new adapter anyway and lose it?`)) return;
            void startTraining();
          }}>
            {training ? 'Train a new adapter' : 'Train'}
          </button>
          {activeAdapter && (
            <button type="button" className="button" disabled={!ready} onClick={() => void startTraining({ continueActive: true })}>
              Continue training {activeAdapter.name}
            </button>
          )}
          {activeAdapter && kept && (
            <p className="help kept-note">{activeAdapter.name} is kept in Your adapters (step 5): a new adapter does not replace it, and you can open, try and export it there.</p>
          )}
        </>
      )}
      {active && (status === 'paused'
        ? <button type="button" className="button primary" onClick={() => void resumeTraining()}>Resume</button>
        : <button type="button" className="button" disabled={status !== 'running'} onClick={() => void pauseTraining()}>{status === 'pausing' ? 'Pausing…' : 'Pause'}</button>)}
      {active && (
        <button type="button" className="button danger" disabled={status === 'cancelling' || status === 'starting'} onClick={() => void cancelTraining()}>
          {status === 'cancelling' ? 'Cancelling…' : 'Cancel'}
        </button>
      )}
      {debug && !active && (
        <div className="debug-nan row" role="group" aria-label="Debug: inject NaN">
          <label>NaN loss from step <input type="number" min={1} value={nanFrom} aria-label="NaN from step" onChange={(e) => setNanFrom(Math.max(1, Number(e.target.value)))} /></label>
          <label>for <input type="number" min={1} value={nanSteps} aria-label="NaN steps" onChange={(e) => setNanSteps(Math.max(1, Number(e.target.value)))} /> steps</label>
          <button type="button" className="button danger" disabled={!ready} onClick={() => void startTraining({ debugNonFinite: { fromStep: nanFrom, steps: nanSteps } })}>
            Train with NaN injected (debug)
          </button>
        </div>
      )}
    </div>
  );
}

function statusText(run: TrainingRun, backend: string): string {
  const latest = run.view.latest;
  const where = latest ? `step ${latest.step} of ${latest.totalSteps}, epoch ${latest.epoch.toFixed(2)}` : '';
  switch (run.status) {
    case 'starting': return run.resumed ? 'Resuming from the checkpoint…' : `Reading the data and building the ${run.setup.adapter.kind === 'fuse' ? `AdapterFusion of ${run.setup.adapter.fusion.adapters.join(', ')}` : 'adapter'} on ${backend}…`;
    case 'running': return `Training on ${backend}: ${where}`;
    case 'pausing': return `Pausing after the current step (${where})…`;
    case 'paused': return `Paused at step ${run.view.checkpoint?.step ?? latest?.step ?? 0}: a checkpoint is saved, so the run can also continue after a reload.`;
    case 'cancelling': return 'Cancelling after the current step…';
    case 'cancelled': return `Cancelled at step ${run.view.result?.steps ?? latest?.step ?? 0}.`;
    case 'done': {
      const result = run.view.result;
      return result ? `Done: ${result.stopReason === 'earlyStopped' ? 'stopped early' : 'completed'} after ${result.steps} steps in ${formatDuration(result.seconds)}.` : 'Done.';
    }
    case 'failed': return 'Training stopped.';
    case 'interrupted': return 'Training was interrupted.';
  }
}

type StudioState = ReturnType<typeof useStudio.getState>;

/** The training estimate: unknown ("estimating…") until the trainer has a pace, rather than "0 s" with steps to go. */
function timeLeft(latest: TrainProgressEvent): string {
  return latest.step < latest.totalSteps && !(latest.etaSeconds > 0) ? 'estimating…' : formatDuration(latest.etaSeconds);
}

/** "5,450 weights, 3.65% of the model's 149,378": the run's trainable parameters (the active adapter's, or a fusion's) against the loaded model's. */
function trainableShare(state: StudioState): string | undefined {
  const adapter = state.training?.setup.adapter.kind === 'fuse' ? state.fusion : state.activeAdapter;
  if (!adapter || state.modelLoad.status !== 'ready') return undefined;
  const base = state.modelLoad.info.parameters;
  return `${formatInteger(adapter.parameters)} weights, ${((adapter.parameters / base) * 100).toFixed(2)}% of the model's ${formatInteger(base)}`;
}

/** Where the run is: status, progress, pace, best metrics, charts and the event log. */
function RunView({ run }: { run: TrainingRun }) {
  const compute = useStudio((s) => s.compute);
  const continueOnWasm = useStudio((s) => s.continueOnWasm);
  const backend = compute.status === 'ready' || compute.status === 'lost' ? backendDisplayName(compute.backend.name) : 'the compute backend';
  const { view } = run;
  const latest = view.latest;
  const task = taskOfMetrics(view.evals[0]?.metrics);
  const best = view.result?.best ?? view.evals.filter((e) => e.best).at(-1)?.metrics;
  const epochs = run.setup.settings.maxSteps === undefined ? run.setup.settings.epochs : undefined;
  const evaluating = isActive(run) ? view.evaluating : undefined;
  const trainable = useStudio(trainableShare);
  return (
    <div className="run" data-status={run.status}>
      <p className="run-status" role="status" aria-live="polite" tabIndex={-1}>{statusText(run, backend)}</p>
      {latest && (
        <div className="progress-bars">
          <label className="bar-line">
            <span>Steps</span>
            <progress max={latest.totalSteps} value={latest.step} aria-label="Training progress" />
            <span className="muted">{latest.step} / {latest.totalSteps}</span>
          </label>
          {epochs !== undefined && (
            <label className="bar-line">
              <span>Epoch {Math.min(epochs, Math.floor(latest.epoch) + 1)} of {epochs}</span>
              <progress max={1} value={latest.epoch === epochs ? 1 : latest.epoch % 1} aria-label="Epoch progress" />
              <span className="muted">{Math.round((latest.epoch === epochs ? 1 : latest.epoch % 1) * 100)}%</span>
            </label>
          )}
          {evaluating && (
            <label className="bar-line evaluation-progress">
              <span>Evaluating</span>
              <progress max={evaluating.totalBatches} value={evaluating.totalBatches === undefined ? undefined : evaluating.batches} aria-label="Evaluation progress" />
              <span className="muted">batch {evaluating.batches}{evaluating.totalBatches === undefined ? '' : ` of ${evaluating.totalBatches}`}, {formatInteger(evaluating.examples)} examples, {formatDuration(evaluating.etaSeconds)} left</span>
            </label>
          )}
        </div>
      )}
      {latest && (
        <dl className="facts run-facts">
          <dt><Explain term="pace">Speed</Explain></dt><dd>{formatPace(latest.samplesPerSecond)}</dd>
          <dt><Explain term="tokensPerSecond">Tokens/s</Explain></dt><dd>{formatRate(latest.tokensPerSecond)}</dd>
          <dt><Explain term="timeLeft">Time left</Explain></dt><dd>{!isActive(run) ? '—' : evaluating ? `evaluating: ${formatDuration(evaluating.etaSeconds)}${latest.step < latest.totalSteps ? `, then ${timeLeft(latest)} of training` : ''}` : timeLeft(latest)}</dd>
          <dt><Explain term="learningRate">Learning rate</Explain></dt><dd>{latest.lr.toExponential(2)}</dd>
          <dt><Explain term="loss">Training loss</Explain></dt><dd>{Number.isFinite(latest.loss) ? latest.loss.toFixed(4) : 'not finite (step skipped)'}</dd>
          {trainable && <><dt><Explain term="trainable">Trainable</Explain></dt><dd>{trainable}</dd></>}
          {view.skipped > 0 && <><dt>Skipped steps</dt><dd>{view.skipped} (loss or gradient not finite)</dd></>}
          {best && (
            <>
              <dt>Best validation</dt>
              <dd data-testid="best-metrics" data-accuracy={best.accuracy}>
                {best.examples === 0 ? 'no validation examples (the split or hold-out is empty)' : metricEntries(best).map(([name, text], i) => (
                  <span key={name}>{i > 0 && ', '}<Explain term={name}>{METRIC_LABELS[name]}</Explain> {text}</span>
                ))}
              </dd>
            </>
          )}
        </dl>
      )}
      {!isActive(run) && view.points.length > 0 && <div className="row run-summary-row"><RunSummaryButton run={run} /></div>}
      {run.status === 'done' && view.result?.restoredBest && view.result.bestStep !== undefined && (
        <p className="help">The adapter keeps the weights of step {view.result.bestStep}, the best validation result. Try it in step 5, export it in step 6.</p>
      )}
      {run.status === 'paused' && view.pauseReason && (
        <div className="notice warn in-place" role="alert" data-code="EvaluationPaused"><p>{view.pauseReason}</p></div>
      )}
      {run.failure && (
        <div className="notice error in-place" role="alert" data-code={run.failure.code}>
          <p>{run.failure.message}</p>
          {run.weightsKept && <p><strong>The adapter keeps the weights of the last good step:</strong> you can still try it (step 5) and export it (step 6).</p>}
          {run.status === 'interrupted' && run.failure.code === 'DeviceLost' && (
            <button type="button" className="button primary" onClick={() => void continueOnWasm()}>Continue on wasm</button>
          )}
        </div>
      )}
      {(view.points.length > 0 || view.evals.length > 0) && <TrainCharts view={view} task={task} />}
      <div className="event-log">
        <h3 id={`log-${run.setup.runId}`}>Event log</h3>
        <ol role="log" aria-labelledby={`log-${run.setup.runId}`} tabIndex={0}>
          {view.log.map((line, i) => <li key={i} data-level={line.level}>{line.message}</li>)}
        </ol>
      </div>
    </div>
  );
}
