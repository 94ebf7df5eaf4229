import { useState } from 'react';
import { useStudio } from '../store.ts';
import { lessonLink } from '../url-settings.ts';

type Copied = { link: string; ok: boolean; what: 'link' | 'classroom' };

/**
 * Copies the link that shares this experiment (Hub, model, data, method, knobs; never the token or the backend), or
 * its classroom version, which opens for students with what is prepared and one button to get it ready.
 */
export function CopyLinkButton() {
  const shareLink = useStudio((s) => s.shareLink);
  const [copied, setCopied] = useState<Copied>();
  const copy = async (what: Copied['what']) => {
    const link = what === 'classroom' ? lessonLink(shareLink()) : shareLink();
    try {
      await navigator.clipboard.writeText(link);
      setCopied({ link, ok: true, what });
    } catch {
      // No clipboard (permission refused, insecure page): show the link to copy by hand.
      setCopied({ link, ok: false, what });
    }
  };
  return (
    <span className="copy-link">
      <button type="button" className="button" onClick={() => void copy('link')} title="Copy a link that opens this experiment: Hub, model, data, method and settings">
        Copy link
      </button>
      <button type="button" className="button" onClick={() => void copy('classroom')}
        title="Copy a link to hand out to a class: it opens this experiment with a short welcome and one button that gets it ready to train">
        Classroom link
      </button>
      {copied?.ok && <span role="status" className="muted" data-link={copied.link}>{copied.what === 'classroom' ? 'Classroom link copied' : 'Link copied'}</span>}
      {copied && !copied.ok && <input aria-label={copied.what === 'classroom' ? 'Classroom link' : 'Link to this experiment'} readOnly value={copied.link} onFocus={(e) => e.target.select()} />}
    </span>
  );
}
