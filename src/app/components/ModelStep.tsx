import { type HubFetchOptions, type ModelListing, listModels } from '../../hub/client.ts';
import type { HubEndpoint } from '../../hub/endpoint.ts';
import { formatCount } from '../format.ts';
import { useEndpoint, useStudio } from '../store.ts';
import { RepoSearch } from './RepoSearch.tsx';

const searchModels = (endpoint: HubEndpoint, search: string, options: HubFetchOptions) => listModels(endpoint, { search }, options);

const describeModel = (model: ModelListing) =>
  [model.pipeline_tag ?? 'no task tag', `${formatCount(model.downloads ?? 0)} downloads`].join(' · ');

/** Step 1: find the encoder to fine-tune on the Hub. */
export function ModelStep() {
  const endpoint = useEndpoint();
  const selected = useStudio((s) => s.selectedModel);
  const selectModel = useStudio((s) => s.selectModel);
  return (
    <section className="step" aria-labelledby="model-step-title">
      <h2 id="model-step-title"><span className="step-number" aria-hidden="true">1</span> Model</h2>
      <p className="step-help">A BERT, RoBERTa or DistilBERT encoder from the Hub.</p>
      <p className="selection" aria-live="polite">
        {selected ? <>Selected model: <strong>{selected}</strong></> : 'No model selected yet.'}
      </p>
      <RepoSearch noun="model" endpoint={endpoint} search={searchModels} describe={describeModel} selected={selected} onSelect={selectModel} />
    </section>
  );
}
