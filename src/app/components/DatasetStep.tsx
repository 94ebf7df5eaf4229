import { type DatasetListing, type HubFetchOptions, listDatasets } from '../../hub/client.ts';
import type { HubEndpoint } from '../../hub/endpoint.ts';
import { formatCount } from '../format.ts';
import { useEndpoint, useStudio } from '../store.ts';
import { RepoSearch } from './RepoSearch.tsx';

const searchDatasets = (endpoint: HubEndpoint, search: string, options: HubFetchOptions) => listDatasets(endpoint, { search }, options);

const describeDataset = (dataset: DatasetListing) => {
  const task = dataset.tags?.find((tag) => tag.startsWith('task_categories:'))?.slice('task_categories:'.length);
  return [task, `${formatCount(dataset.downloads ?? 0)} downloads`].filter(Boolean).join(' · ');
};

/** Step 2: find the training data on the Hub. */
export function DatasetStep() {
  const endpoint = useEndpoint();
  const selected = useStudio((s) => s.selectedDataset);
  const selectDataset = useStudio((s) => s.selectDataset);
  return (
    <section className="step" aria-labelledby="dataset-step-title">
      <h2 id="dataset-step-title"><span className="step-number" aria-hidden="true">2</span> Data</h2>
      <p className="step-help">A dataset with a text column and labels.</p>
      <p className="selection" aria-live="polite">
        {selected ? <>Selected dataset: <strong>{selected}</strong></> : 'No dataset selected yet.'}
      </p>
      <RepoSearch noun="dataset" endpoint={endpoint} search={searchDatasets} describe={describeDataset} selected={selected} onSelect={selectDataset} />
    </section>
  );
}
