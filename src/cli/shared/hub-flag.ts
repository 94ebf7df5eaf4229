/** `--hub`: which Hub a command talks to, checked before anything is loaded, with HF_TOKEN as the token for it. */
import { type HubEndpoint, REAL_HUB, offlineHub, trimSlash, withToken } from '../../hub/endpoint.ts';
import { UsageError } from '../cli-io.ts';

/** How long the check for a studio page at `--hub` waits. */
const STUDIO_PROBE_MS = 5000;

/** The `--hub` value as a base URL, or a usage error when it is not an http(s) URL. */
export function hubUrlFlag(values: Record<string, unknown>): string | undefined {
  const raw = values.hub;
  if (raw === undefined) return undefined;
  const text = String(raw);
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || !url.host || url.search || url.hash) {
    throw new UsageError(`--hub must be the http(s) base URL of a Hub-compatible server, such as http://127.0.0.1:8080 or https://huggingface.co; got "${text}".`);
  }
  return trimSlash(text);
}

/** The Hub to use (--hub or huggingface.co), with the token from HF_TOKEN given for that Hub. */
export function endpointFrom(values: Record<string, unknown>): HubEndpoint {
  const hub = hubUrlFlag(values);
  return withToken(hub ? offlineHub(hub) : REAL_HUB, process.env.HF_TOKEN);
}

/**
 * Refuses a `--hub` that is the studio's own page (`npm start` serves the studio at the root and its Hub under
 * /hub): the studio answers `/offline-hub.json` with its Hub's address. Any other answer, or none, lets the
 * command go on (and report its own errors).
 */
export async function checkNotStudio(hubUrl: string): Promise<void> {
  let hubOfStudio: unknown;
  try {
    const res = await fetch(`${hubUrl}/offline-hub.json`, { signal: AbortSignal.timeout(STUDIO_PROBE_MS) });
    if (!res.ok) return;
    hubOfStudio = (await res.json() as { hubUrl?: unknown }).hubUrl;
  } catch {
    return;
  }
  if (typeof hubOfStudio === 'string') {
    throw new UsageError(`--hub ${hubUrl} is the Adapter Studio page, not a Hub; its Hub is at ${hubOfStudio}: use --hub ${hubOfStudio}.`);
  }
}
