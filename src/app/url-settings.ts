import { BACKEND_NAMES, type BackendName } from '../core/backend/backend-info.ts';
import { checkRepoId } from '../hub/endpoint.ts';

/** Which Hub the studio talks to. */
export type HubChoice =
  /** huggingface.co and the public dataset viewer. */
  | { kind: 'real' }
  /** The demo Hub this server offers under /hub (see /offline-hub.json). */
  | { kind: 'offline' }
  /** Another Hub-compatible server that also answers the dataset viewer API at the same base URL. */
  | { kind: 'custom'; url: string };

/** The model and data choices a shared link reproduces. Local files cannot travel in a link, so only Hub datasets do. */
export interface StudioSetup {
  /** Hub model id (`?model=`). */
  model?: string;
  /** Hub dataset id (`?dataset=`). */
  dataset?: string;
  /** Dataset config (`?config=`). */
  config?: string;
  /** Split to train on (`?split=`). */
  split?: string;
  /** Text column chosen instead of the detected one (`?text=`). */
  text?: string;
  /** Second text column (`?pair=`); `''` forces a single-text task. */
  textPair?: string;
  /** Label column chosen instead of the detected one (`?label=`). */
  label?: string;
  /** Most training examples, for quick classroom runs (`?rows=`). */
  maxTrainExamples?: number;
}

/** The settings a link carries, so that opening it reproduces the setup. The access token is never among them. */
export interface UrlSettings {
  hub: HubChoice;
  /** Backend to try first; absent means WebGPU first. */
  backend?: BackendName;
  /** `?debug=1`: debug-only controls and worker commands are available. */
  debug: boolean;
  setup: StudioSetup;
  /** A parameter that could not be used, said plainly for a notice. */
  problem?: string;
}

/** URL parameter of each setup field, in the order they are written. */
const SETUP_PARAMS = {
  model: 'model', dataset: 'dataset', config: 'config', split: 'split', text: 'text', textPair: 'pair', label: 'label', maxTrainExamples: 'rows',
} as const satisfies Record<keyof StudioSetup, string>;

function readSetup(params: URLSearchParams, problems: string[]): StudioSetup {
  const setup: StudioSetup = {};
  for (const key of ['model', 'dataset'] as const) {
    const id = params.get(SETUP_PARAMS[key]);
    if (id === null) continue;
    try {
      setup[key] = checkRepoId(id);
    } catch {
      problems.push(`"${SETUP_PARAMS[key]}=${id}" is not a Hub repository id (owner/name), so no ${key} is chosen.`);
    }
  }
  for (const key of ['config', 'split', 'text', 'label'] as const) {
    const value = params.get(SETUP_PARAMS[key]);
    if (value) setup[key] = value;
  }
  const pair = params.get(SETUP_PARAMS.textPair);
  if (pair !== null) setup.textPair = pair;
  const rows = params.get(SETUP_PARAMS.maxTrainExamples);
  if (rows !== null) {
    if (/^[1-9]\d{0,8}$/.test(rows)) setup.maxTrainExamples = Number(rows);
    else problems.push(`"rows=${rows}" is not a positive whole number, so every training row is used.`);
  }
  return setup;
}

/**
 * Reads `?hub=offline | <http(s) url>`, `?backend=webgpu | wasm | cpu`, `?debug=1` and the setup:
 * `?model= &dataset= &config= &split= &text= &pair= &label= &rows=`.
 */
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
  const setup = readSetup(params, problems);
  return { hub, backend, debug: params.get('debug') === '1', setup, problem: problems.length ? problems.join(' ') : undefined };
}

/** `href` with the hub, backend and setup parameters set to these choices; other parameters are kept. */
export function withUrlSettings(href: string, settings: { hub: HubChoice; backend?: BackendName; setup?: StudioSetup }): string {
  const url = new URL(href);
  if (settings.hub.kind === 'real') url.searchParams.delete('hub');
  else url.searchParams.set('hub', settings.hub.kind === 'offline' ? 'offline' : settings.hub.url);
  if (settings.backend) url.searchParams.set('backend', settings.backend);
  else url.searchParams.delete('backend');
  const setup = settings.setup ?? {};
  for (const [key, param] of Object.entries(SETUP_PARAMS) as [keyof StudioSetup, string][]) {
    const value = setup[key];
    if (value === undefined) url.searchParams.delete(param);
    else url.searchParams.set(param, String(value));
  }
  return url.toString();
}
