import { REAL_HUB } from '../../hub/endpoint.ts';
import { useStudio } from '../store.ts';

/**
 * Asks before the studio talks to a Hub that only a link named (`?hub=<url>`): that server would see which models
 * and datasets are opened and receive what is pushed. Until the user says yes, the studio stays where it was.
 */
export function HubLinkBanner() {
  const pending = useStudio((s) => s.pendingHub);
  const confirm = useStudio((s) => s.confirmPendingHub);
  const decline = useStudio((s) => s.declinePendingHub);
  if (!pending) return null;
  const host = new URL(pending.url).host;
  return (
    <section className="notice warn hub-link-banner" role="alertdialog" aria-labelledby="hub-link-title" aria-describedby="hub-link-detail">
      <p id="hub-link-title"><strong>This link asks the studio to use another Hub: <code>{pending.url}</code></strong></p>
      <p id="hub-link-detail">
        That server would see which models and datasets you open and would receive anything you push. Use it only if you
        trust it. Access tokens you gave for other Hubs are never sent to it; it gets one only if you give one for {host}.
        Until you choose, the studio stays on the Hugging Face Hub ({new URL(REAL_HUB.hubUrl).host}) and loads nothing from the link.
      </p>
      <div className="row">
        <button type="button" className="button primary" onClick={confirm}>Use {host}</button>
        <button type="button" className="button" onClick={decline}>Stay on the Hugging Face Hub</button>
      </div>
    </section>
  );
}
