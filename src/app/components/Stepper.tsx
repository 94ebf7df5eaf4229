import { useMemo } from 'react';
import { headSpecOf, useStudio } from '../store.ts';
import { canTrain, isActive } from '../training-slice.ts';

interface StepStatus {
  id: string;
  name: string;
  /** Its prerequisites are met. */
  enabled: boolean;
  /** Its work is done. */
  done: boolean;
  /** What it needs, when not enabled. */
  needs?: string;
}

/** The steps in order, each enabled once what it needs is there, as links to their sections. */
export function Stepper() {
  const selected = useStudio((s) => s.selectedModel);
  const modelReady = useStudio((s) => s.modelLoad.status === 'ready');
  const report = useStudio((s) => s.dataReport);
  const trainable = useStudio(canTrain);
  const training = useStudio((s) => s.training);
  const adapter = useStudio((s) => s.activeAdapter !== undefined);
  // Kept adapters can be opened in Try it (Your adapters), so the step is open with them too.
  const kept = useStudio((s) => (s.savedAdapters?.length ?? 0) > 0);
  const predicted = useStudio((s) => s.prediction.status === 'done');
  const exported = useStudio((s) => s.exportState.status === 'done' || s.pushState.status === 'done');
  const dataReady = useMemo(() => headSpecOf(report) !== undefined, [report]);
  const steps: StepStatus[] = [
    { id: 'step-model', name: 'Model', enabled: true, done: modelReady },
    // The method cards work before a model is chosen; the counts follow once one is.
    { id: 'step-adapter', name: 'Adapter', enabled: true, done: selected !== undefined && training !== undefined },
    { id: 'step-data', name: 'Data', enabled: true, done: dataReady },
    { id: 'step-train', name: 'Train', enabled: trainable || training !== undefined, done: adapter && !isActive(training), needs: 'a loaded model and data' },
    { id: 'step-try', name: 'Try it', enabled: adapter || kept, done: predicted, needs: 'a trained, kept or imported adapter' },
    { id: 'step-export', name: 'Export', enabled: adapter || modelReady, done: exported, needs: 'an adapter, or a loaded model to import one' },
  ];
  return (
    <nav className="stepper" aria-label="Steps">
      <ol>
        {steps.map((step, i) => (
          <li key={step.id} data-enabled={step.enabled} data-done={step.done || undefined}>
            {step.enabled
              ? <a href={`#${step.id}`}><span className="stepper-number" aria-hidden="true">{step.done ? '✓' : i + 1}</span> {step.name}{step.done && <span className="visually-hidden"> (done)</span>}</a>
              : <span aria-disabled="true" title={`Needs ${step.needs}`}><span className="stepper-number" aria-hidden="true">{i + 1}</span> {step.name}<span className="visually-hidden"> (needs {step.needs})</span></span>}
          </li>
        ))}
      </ol>
    </nav>
  );
}
