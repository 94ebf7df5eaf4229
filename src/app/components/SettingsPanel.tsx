import { type FormEvent, useState } from 'react';
import type { BackendName } from '../../core/backend/backend-info.ts';
import { REAL_HUB } from '../../hub/endpoint.ts';
import { adapterName, wasmLine } from '../backend-label.ts';
import { formatBytes } from '../format.ts';
import { currentToken, hubOriginOf } from '../hub-endpoints.ts';
import { useStudio } from '../store.ts';
import type { HubChoice } from '../url-settings.ts';
import { SelfTestResults } from './SelfTestResults.tsx';

export function SettingsPanel() {
  const toggleSettings = useStudio((s) => s.toggleSettings);
  return (
    <section id="settings" className="settings" aria-labelledby="settings-title">
      <div className="settings-head">
        <h2 id="settings-title">Settings</h2>
        <button type="button" className="button subtle" onClick={() => toggleSettings(false)}>Close</button>
      </div>
      <div className="settings-grid">
        <HubSettings />
        <ComputeSettings />
      </div>
    </section>
  );
}

function HubSettings() {
  const hubChoice = useStudio((s) => s.hubChoice);
  const offlineHubUrl = useStudio((s) => s.offlineHubUrl);
  const chooseHub = useStudio((s) => s.chooseHub);
  const hubOrigin = hubOriginOf(hubChoice, offlineHubUrl);
  const options: { choice: HubChoice; label: string; detail: string }[] = [
    { choice: { kind: 'real' }, label: 'Hugging Face Hub', detail: new URL(REAL_HUB.hubUrl).host },
  ];
  if (offlineHubUrl) options.push({ choice: { kind: 'offline' }, label: 'Offline demo Hub', detail: 'small demo models and datasets served by this studio' });
  if (hubChoice.kind === 'custom') options.push({ choice: hubChoice, label: 'Hub-compatible server', detail: hubChoice.url });
  return (
    <div className="settings-block">
      <fieldset>
        <legend>Hub endpoint</legend>
        {options.map(({ choice, label, detail }) => (
          <label key={choice.kind} className="choice">
            <input type="radio" name="hub-endpoint" checked={hubChoice.kind === choice.kind} onChange={() => chooseHub(choice)} />
            <span>{label} <span className="muted">({detail})</span></span>
          </label>
        ))}
      </fieldset>
      <TokenField key={hubOrigin ?? ''} origin={hubOrigin} />
    </div>
  );
}

/** The access token for the chosen Hub (`origin`), applied on submit, so half-typed tokens are never sent. */
function TokenField({ origin }: { origin?: string }) {
  const token = useStudio(currentToken);
  const rememberToken = useStudio((s) => s.rememberToken);
  const setToken = useStudio((s) => s.setToken);
  const [draft, setDraft] = useState(token);
  const [remember, setRemember] = useState(rememberToken);
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setToken(draft.trim(), remember);
  };
  return (
    <form className="token-form" onSubmit={apply}>
      <label htmlFor="hub-token">Access token <span className="muted">for {origin ? new URL(origin).host : 'this Hub'} (optional)</span></label>
      <div className="row">
        <input id="hub-token" type="password" value={draft} autoComplete="off" spellCheck={false} placeholder="hf_…"
          aria-describedby="hub-token-help" onChange={(e) => setDraft(e.target.value)} />
        <button type="submit" className="button">Use token</button>
        {token && <button type="button" className="button subtle" onClick={() => { setDraft(''); setToken(''); }}>Forget</button>}
      </div>
      <label className="choice">
        <input type="checkbox" checked={remember} onChange={(e) => {
          setRemember(e.target.checked);
          if (token) setToken(token, e.target.checked);
        }} />
        <span>Remember for this tab <span className="muted">(sessionStorage: survives a reload, gone when the tab closes)</span></span>
      </label>
      <p id="hub-token-help" className="help">
        {token ? 'A token is in use. ' : ''}For gated or private repositories and for pushing adapters. Kept in this tab's memory only
        (unless remembered for the tab): never put in the URL, a log or an export, and sent only to the Hub it was given for.
        Each Hub has its own token.
      </p>
    </form>
  );
}

const BACKEND_CHOICES: { name: BackendName; label: string }[] = [
  { name: 'webgpu', label: 'WebGPU (fastest on a real GPU)' },
  { name: 'wasm', label: 'wasm (CPU, SIMD and threads)' },
  { name: 'cpu', label: 'cpu (plain JavaScript, slowest)' },
];

function ComputeSettings() {
  const compute = useStudio((s) => s.compute);
  const preference = useStudio((s) => s.backendPreference) ?? 'webgpu';
  const chooseBackend = useStudio((s) => s.chooseBackend);
  const selfTest = useStudio((s) => s.selfTest);
  const runSelfTest = useStudio((s) => s.runSelfTest);
  const debug = useStudio((s) => s.debug);
  const simulateDeviceLoss = useStudio((s) => s.simulateDeviceLoss);
  const backend = compute.status === 'ready' || compute.status === 'lost' ? compute.backend : undefined;
  return (
    <div className="settings-block">
      <fieldset>
        <legend>Compute backend</legend>
        {BACKEND_CHOICES.map(({ name, label }) => (
          <label key={name} className="choice">
            <input type="radio" name="backend" checked={preference === name} disabled={compute.status === 'starting'}
              onChange={() => chooseBackend(name)} />
            <span>{label}</span>
          </label>
        ))}
      </fieldset>
      {backend && (
        <dl className="facts">
          <dt>Running on</dt><dd>{backend.name}</dd>
          {backend.adapter && <><dt>Adapter</dt><dd>{adapterName(backend.adapter)}{backend.adapter.description ? ` — ${backend.adapter.description}` : ''}{backend.adapter.isSoftware ? ' (software)' : ''}</dd></>}
          {backend.limits && <><dt>Largest buffer</dt><dd>{formatBytes(backend.limits.maxBufferSize)} (binding {formatBytes(backend.limits.maxStorageBufferBindingSize)})</dd></>}
          {backend.wasm && <><dt>wasm</dt><dd>{wasmLine(backend.wasm)}</dd></>}
        </dl>
      )}
      <div className="row">
        <button type="button" className="button" disabled={compute.status !== 'ready' || selfTest.status === 'running'} onClick={() => void runSelfTest()}>
          Run {backend?.name === 'webgpu' || !backend ? 'GPU' : backend.name} self-test
        </button>
        {debug && (
          <button type="button" className="button danger" disabled={compute.status !== 'ready' || backend?.name !== 'webgpu'} onClick={() => void simulateDeviceLoss()}>
            Simulate GPU device loss
          </button>
        )}
      </div>
      <SelfTestResults />
    </div>
  );
}
