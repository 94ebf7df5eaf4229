/** Path segments that follow a repo id in Hub page URLs (".../tree/main", ".../blob/main/x"). */
const PAGE_SEGMENTS = new Set(['tree', 'blob', 'resolve', 'discussions', 'viewer']);

/**
 * The repo id in what a user pasted: an id as it is, or a Hub page URL ("https://huggingface.co/datasets/a/b/tree/main"
 * → "a/b", "https://huggingface.co/bert-base-uncased" → "bert-base-uncased"). Not validated here.
 */
export function repoIdOf(text: string): string {
  const trimmed = text.trim();
  const match = /^https?:\/\/[^/]+\/(?:datasets\/)?([^?#]+)/.exec(trimmed);
  if (!match) return trimmed;
  const [owner, name] = match[1].split('/');
  return name && !PAGE_SEGMENTS.has(name) ? `${owner}/${name}` : owner;
}
