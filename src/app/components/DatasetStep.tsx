import { DEMO_PRESETS, type DatasetPreset, HUB_PRESETS } from '../../core/data/presets.ts';
import { type DatasetListing, type HubFetchOptions, listDatasets } from '../../hub/client.ts';
import type { HubEndpoint } from '../../hub/endpoint.ts';
import { formatCount } from '../format.ts';
import { useEndpoint, useStudio } from '../store.ts';
import { DataReportView } from './DataReportView.tsx';
import { LocalFilePicker } from './LocalFilePicker.tsx';
import { RepoIdForm } from './RepoIdForm.tsx';
import { RepoSearch } from './RepoSearch.tsx';
import { RowCapInput } from './RowCapInput.tsx';

const searchDatasets = (endpoint: HubEndpoint, search: string, options: HubFetchOptions) => listDatasets(endpoint, { search }, options);

const describeDataset = (dataset: DatasetListing) => {
  const task = dataset.tags?.find((tag) => tag.startsWith('task_categories:'))?.slice('task_categories:'.length);
  return [task, `${formatCount(dataset.downloads ?? 0)} downloads`].filter(Boolean).join(' · ');
};

/**
 * One-click datasets: the real Hub's classics, or their look-alikes on the offline demo Hub. Only the config is
 * preset: column detection finds the preset's columns, and the pickers then say why.
 */
function Presets({ presets }: { presets: readonly DatasetPreset[] }) {
  const selectDataset = useStudio((s) => s.selectDataset);
  const source = useStudio((s) => s.dataSource);
  const config = useStudio((s) => s.dataChoice.config);
  return (
    <div className="presets" role="group" aria-label="Suggested datasets">
      {presets.map((preset) => {
        const chosen = source?.kind === 'hub' && source.id === preset.id && (config ?? preset.config) === preset.config;
        return (
          <button key={`${preset.id}/${preset.config}`} type="button" className="preset" aria-pressed={chosen} title={preset.description}
            onClick={() => selectDataset(preset.id, { config: preset.config })}>
            <span className="preset-title">{preset.title}</span>
            <span className="preset-id">{preset.id}{preset.config !== 'default' ? ` · ${preset.config}` : ''}</span>
          </button>
        );
      })}
    </div>
  );
}

/** Step 2: the training data, from the Hub or a local file, and how it will be read. */
export function DatasetStep() {
  const endpoint = useEndpoint();
  const hubChoice = useStudio((s) => s.hubChoice);
  const source = useStudio((s) => s.dataSource);
  const selectDataset = useStudio((s) => s.selectDataset);
  const selected = source?.kind === 'hub' ? source.id : undefined;
  return (
    <section id="step-data" className="step wide" aria-labelledby="dataset-step-title">
      <h2 id="dataset-step-title"><span className="step-number" aria-hidden="true">3</span> Data</h2>
      <p className="step-help">A dataset with a text column and labels: from the Hub, or a file of your own.</p>
      <p className="selection" aria-live="polite">
        {source?.kind === 'hub' && <>Selected dataset: <strong>{source.id}</strong></>}
        {source?.kind === 'local' && <>Selected file: <strong>{source.name}</strong></>}
        {!source && 'No dataset selected yet.'}
      </p>
      {source && <DataReportView />}
      {source && <RowCapInput />}
      <Presets presets={hubChoice.kind === 'real' ? HUB_PRESETS : DEMO_PRESETS} />
      <RepoSearch noun="dataset" endpoint={endpoint} search={searchDatasets} describe={describeDataset} selected={selected} onSelect={(id) => selectDataset(id)} />
      <RepoIdForm noun="dataset" example="stanfordnlp/imdb" onSubmit={(id) => selectDataset(id)} />
      <LocalFilePicker />
    </section>
  );
}
