import { SUPPORTED_MODEL_TYPES } from '../../core/model/config.ts';
import { type HubFetchOptions, type ModelListing, listModels } from '../../hub/client.ts';
import type { HubEndpoint } from '../../hub/endpoint.ts';
import { formatCount } from '../format.ts';
import { useModelPreview } from '../model-preview.ts';
import { useEndpoint, useStudio } from '../store.ts';
import { EncoderCheck } from './EncoderCheck.tsx';
import { ModelDetails } from './ModelDetails.tsx';
import { ModelLoader } from './ModelLoader.tsx';
import { RepoIdForm } from './RepoIdForm.tsx';
import { RepoSearch } from './RepoSearch.tsx';
import { RevisionField } from './RevisionField.tsx';

/** Models asked of the Hub per search, before narrowing to the architectures the studio runs. */
const SEARCH_LIMIT = 100;
/** Models shown after narrowing. */
const SHOWN = 20;

const modelTypeOf = (model: ModelListing) => SUPPORTED_MODEL_TYPES.find((type) => model.tags?.includes(type));

/** Hub search narrowed to encoders the studio runs (their model_type is among the repo's tags). */
const searchModels = async (endpoint: HubEndpoint, search: string, options: HubFetchOptions) =>
  (await listModels(endpoint, { search, limit: SEARCH_LIMIT }, options)).filter(modelTypeOf).slice(0, SHOWN);

const describeModel = (model: ModelListing) =>
  [modelTypeOf(model), model.pipeline_tag, `${formatCount(model.downloads ?? 0)} downloads`].filter(Boolean).join(' · ');

/** Step 1: find the encoder to fine-tune on the Hub, see what it is, and load it. */
export function ModelStep() {
  const endpoint = useEndpoint();
  const selected = useStudio((s) => s.selectedModel);
  const selectModel = useStudio((s) => s.selectModel);
  const revision = useStudio((s) => s.selectedRevision);
  const selectRevision = useStudio((s) => s.selectRevision);
  const modelLoad = useStudio((s) => s.modelLoad);
  const preview = useModelPreview(endpoint, selected, revision);
  const loaded = modelLoad.status === 'ready' && modelLoad.info.repoId === selected && modelLoad.info.revision === revision;
  return (
    <section id="step-model" className="step wide" aria-labelledby="model-step-title">
      <h2 id="model-step-title"><span className="step-number" aria-hidden="true">1</span> Model</h2>
      <p className="step-help">An encoder from the Hub: BERT, RoBERTa, XLM-RoBERTa, CamemBERT, DistilBERT, ELECTRA, DeBERTa, DeBERTa-v2/v3 or ALBERT.</p>
      <div className="step-columns">
        <div className="column">
          <p className="selection" aria-live="polite">
            {selected ? <>Selected model: <strong>{selected}</strong></> : 'No model selected yet.'}
          </p>
          {selected && (
            <div className="model-panel">
              <RevisionField revision={revision} onChange={selectRevision} />
              <ModelDetails state={preview} />
              <ModelLoader repoId={selected} revision={revision} previewReady={preview.status === 'ready' && preview.repoId === selected && preview.preview.revision === revision} />
              {loaded && <EncoderCheck />}
            </div>
          )}
        </div>
        <div className="column">
          <RepoSearch noun="model" endpoint={endpoint} search={searchModels} describe={describeModel} selected={selected} onSelect={selectModel} />
          <RepoIdForm noun="model" example="google-bert/bert-base-uncased" onSubmit={selectModel} />
        </div>
      </div>
    </section>
  );
}
