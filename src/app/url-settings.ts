import { BACKEND_NAMES, type BackendName } from '../core/backend/backend-info.ts';

/** Which Hub the studio talks to. */
export type HubChoice =
  /** huggingface.co and the public dataset viewer. */
  | { kind: 'real' }
  /** The demo Hub this server offers under /hub (see /offline-hub.json). */
  | { kind: 'offline' }
  /** Another Hub-compatible server that also answers the dataset viewer API at the same base URL. */
  | { kind: 'custom'; url: string };

/** The settings a link carries, so that opening it reproduces the setup. The access token is never among them. */
export interface UrlSettings {
  hub: HubChoice;
  /** Backend to try first; absent means WebGPU first. */
  backend?: BackendName;
  /** `?debug=1`: debug-only controls and worker commands are available. */
  debug: boolean;
  /** A parameter that could not be used, said plainly for a notice. */
  problem?: string;
}

/** Reads `?hub=offline | <http(s) url>`, `?backend=webgpu | wasm | cpu` and `?debug=1`. */
export function readUrlSettings(search: string): UrlSettings {
  const params = new URLSearchParams(search);
  const problems: string[] = [];
  const hubParam = params.get('hub');
  let hub: HubChoice = { kind: 'real' };
  if (hubParam === 'offline') hub = { kind: 'offline' };
  else if (hubParam && /^https?:\/\/[^/]/.test(hubParam)) hub = { kind: 'custom', url: hubParam.replace(/\/+$/, '') };
  else if (hubParam) problems.push(`"hub=${hubParam}" is neither "offline" nor an http(s) URL, so the Hugging Face Hub is used.`);
  const backendParam = params.get('backend');
  const backend = BACKEND_NAMES.find((name) => name === backendParam);
  if (backendParam && !backend) problems.push(`"backend=${backendParam}" is not one of ${BACKEND_NAMES.join(', ')}, so WebGPU is tried first.`);
  return { hub, backend, debug: params.get('debug') === '1', problem: problems.length ? problems.join(' ') : undefined };
}

/** `href` with the hub and backend parameters set to these choices; other parameters are kept. */
export function withUrlSettings(href: string, settings: { hub: HubChoice; backend?: BackendName }): string {
  const url = new URL(href);
  if (settings.hub.kind === 'real') url.searchParams.delete('hub');
  else url.searchParams.set('hub', settings.hub.kind === 'offline' ? 'offline' : settings.hub.url);
  if (settings.backend) url.searchParams.set('backend', settings.backend);
  else url.searchParams.delete('backend');
  return url.toString();
}
