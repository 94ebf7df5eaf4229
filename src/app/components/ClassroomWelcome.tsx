import { useState } from 'react';
import { formatInteger } from '../format.ts';
import { useStudio } from '../store.ts';
import { effectiveSettings } from '../training-slice.ts';
import { isLessonLink } from '../url-settings.ts';

/**
 * What a classroom link (`?lesson=1`) prepared, said once at the top: model, method, data and the main settings, with
 * one button that loads the model and brings the student to the Train button.
 */
export function ClassroomWelcome() {
  const [shown, setShown] = useState(() => isLessonLink(location.search));
  const model = useStudio((s) => s.selectedModel);
  const source = useStudio((s) => s.dataSource);
  const rows = useStudio((s) => s.dataChoice.maxTrainExamples);
  const method = useStudio((s) => s.adapterChoice.method);
  const changes = useStudio((s) => s.trainSettings);
  const modelLoad = useStudio((s) => s.modelLoad);
  const computeReady = useStudio((s) => s.compute.status === 'ready');
  const loadModel = useStudio((s) => s.loadModel);
  const [working, setWorking] = useState(false);
  if (!shown) return null;
  const settings = effectiveSettings(changes);
  const ready = modelLoad.status === 'ready' && modelLoad.info.repoId === model;
  const getReady = async () => {
    setWorking(true);
    try {
      if (!ready) await loadModel();
    } finally {
      setWorking(false);
    }
    const train = document.getElementById('step-train');
    train?.scrollIntoView({ block: 'start' });
    train?.querySelector<HTMLButtonElement>('.train-controls .button.primary')?.focus();
  };
  const length = settings.maxSteps !== undefined ? `${formatInteger(settings.maxSteps)} steps` : `${settings.epochs} epoch${settings.epochs === 1 ? '' : 's'}`;
  return (
    <section className="notice info classroom-welcome" aria-labelledby="classroom-title">
      <div>
        <h2 id="classroom-title">Prepared for your class</h2>
        <p>
          Model <strong>{model ?? '(none chosen)'}</strong>, the <strong>{method}</strong> adapter, data{' '}
          <strong>{source ? (source.kind === 'hub' ? source.id : source.name) : '(none chosen)'}</strong>
          {rows ? ` (at most ${formatInteger(rows)} examples)` : ''}; learning rate {settings.learningRate}, {length}, batch {settings.batchSize}.
          {' '}Press the button, then <strong>Train</strong> in step 4. Every setting can still be changed below.
        </p>
      </div>
      <div className="row">
        <button type="button" className="button primary" disabled={!model || !computeReady || working} onClick={() => void getReady()}>
          {working ? 'Loading the model…' : ready ? 'Go to Train' : 'Get it ready'}
        </button>
        <button type="button" className="button subtle" onClick={() => setShown(false)}>Hide</button>
      </div>
    </section>
  );
}
