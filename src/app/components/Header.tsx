import { backendLabel } from '../backend-label.ts';
import type { ComputeState } from '../store-state.ts';
import { useStudio } from '../store.ts';
import { CopyLinkButton } from './CopyLinkButton.tsx';

function badgeText(compute: ComputeState): string {
  switch (compute.status) {
    case 'starting': return `Starting ${compute.preference === 'webgpu' ? 'WebGPU' : compute.preference}…`;
    case 'ready': return backendLabel(compute.backend);
    case 'lost': return `${backendLabel(compute.backend)} — device lost`;
    case 'failed': return 'No compute backend';
  }
}

export function Header() {
  const compute = useStudio((s) => s.compute);
  const settingsOpen = useStudio((s) => s.settingsOpen);
  const toggleSettings = useStudio((s) => s.toggleSettings);
  const software = compute.status === 'ready' && compute.backend.adapter?.isSoftware;
  return (
    <header className="app-header">
      <div className="brand">
        <h1>Adapter Studio</h1>
        <p className="tagline">Fine-tune encoders with adapters on your own GPU</p>
      </div>
      <div className="header-actions">
        <span
          className="backend-badge"
          data-status={compute.status}
          data-software={software || undefined}
          role="status"
          aria-label={`Compute backend: ${badgeText(compute)}`}
          title={compute.status === 'ready' ? compute.backend.fallbackReason : undefined}
        >
          {badgeText(compute)}
        </span>
        <CopyLinkButton />
        <button type="button" className="button" aria-expanded={settingsOpen} aria-controls="settings" onClick={() => toggleSettings()}>
          Settings
        </button>
      </div>
    </header>
  );
}
