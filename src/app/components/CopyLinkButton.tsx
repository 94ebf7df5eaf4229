import { useState } from 'react';
import { useStudio } from '../store.ts';

/** Copies the link that shares this experiment (Hub, model, data, method, knobs; never the token or the backend). */
export function CopyLinkButton() {
  const shareLink = useStudio((s) => s.shareLink);
  const [copied, setCopied] = useState<{ link: string; ok: boolean }>();
  const copy = async () => {
    const link = shareLink();
    try {
      await navigator.clipboard.writeText(link);
      setCopied({ link, ok: true });
    } catch {
      // No clipboard (permission refused, insecure page): show the link to copy by hand.
      setCopied({ link, ok: false });
    }
  };
  return (
    <span className="copy-link">
      <button type="button" className="button" onClick={() => void copy()} title="Copy a link that opens this experiment: Hub, model, data, method and settings">
        Copy link
      </button>
      {copied?.ok && <span role="status" className="muted" data-link={copied.link}>Link copied</span>}
      {copied && !copied.ok && <input aria-label="Link to this experiment" readOnly value={copied.link} onFocus={(e) => e.target.select()} />}
    </span>
  );
}
