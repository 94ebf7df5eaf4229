import { BACKEND_NAMES, type BackendName } from '../core/backend/backend-info.ts';
import type { MetricName } from '../core/train/metrics.ts';
import type { ScheduleKind } from '../core/train/schedule.ts';
import type { TrainingSettings } from '../core/train/training-settings.ts';
import type { AdapterChoice, AdapterMethod, CompositionBlock, CompositionSetup } from '../core/vocabulary/adapter.ts';
import { checkRepoId } from '../hub/endpoint.ts';
import { ADAPTER_METHODS } from './adapter-methods.ts';

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
  /** The model's branch, tag, commit id or pull request (`?revision=`); absent: main. */
  revision?: string;
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
  /** Multi-label: several 0/1 columns, one per label (`?labels=a,b,c`). */
  labelColumns?: string[];
  /** Most training examples, for quick classroom runs (`?rows=`). */
  maxTrainExamples?: number;
  /** The adapter method and its knobs (`?method= &rf= &r= &alpha= &prefix= &prompt= &act= &dropout= &leave= &adrop=`). */
  adapter?: AdapterChoice;
  /** Adapter name (`?name=`); absent: named after the dataset. */
  adapterName?: string;
  /** Training settings that differ from the defaults (`?lr= &epochs= &steps= &batch= ...`). */
  training?: Partial<TrainingSettings>;
  /** Hub repos of the adapters on the shelf (`?shelf=owner/a,owner/b`); adapters from files cannot travel in a link. */
  shelf?: string[];
  /** The composition setup of Try it (`?compose=parallel:a,b`; average and batch-split add `:w,w` or `:n,n`). */
  composition?: CompositionSetup;
}

/**
 * What the address bar can say. A shared link carries the experiment (the Hub, the setup); the access token is never
 * among these, and the backend and debug switches are this machine's business: they are read, never written.
 */
export interface UrlSettings {
  hub: HubChoice;
  /** `?backend=`: backend to try first in this tab; absent means the browser's own choice, else WebGPU first. */
  backend?: BackendName;
  /** `?debug=1`: debug-only controls and worker commands are available. */
  debug: boolean;
  setup: StudioSetup;
  /** A parameter that could not be used, said plainly for a notice. */
  problem?: string;
}

/** URL parameter of each data setup field, in the order they are written. */
const DATA_PARAMS = {
  model: 'model', revision: 'revision', dataset: 'dataset', config: 'config', split: 'split', text: 'text', textPair: 'pair', label: 'label', labelColumns: 'labels', maxTrainExamples: 'rows',
} as const satisfies Record<string, string>;

/** How a URL value becomes a setting: the value, or undefined with a problem said plainly. */
type Reader<T> = (raw: string) => { value: T } | { problem: string };

const number = (test: (n: number) => boolean, what: string): Reader<number> => (raw) => {
  const n = Number(raw);
  return raw.trim() !== '' && Number.isFinite(n) && test(n) ? { value: n } : { problem: `is not ${what}` };
};
const positive = number((n) => n > 0, 'a number above 0');
const whole = (min: number) => number((n) => Number.isInteger(n) && n >= min, `a whole number of at least ${min}`);
const share = number((n) => n >= 0 && n <= 1, 'a number from 0 to 1');
const probability = number((n) => n >= 0 && n < 1, 'a number from 0 up to (not including) 1');
const oneOf = <T extends string>(values: readonly T[]): Reader<T> => (raw) =>
  (values.includes(raw as T) ? { value: raw as T } : { problem: `is not one of ${values.join(', ')}` });
const layers: Reader<number[]> = (raw) => (/^\d+(,\d+)*$/.test(raw) ? { value: raw.split(',').map(Number) } : { problem: 'is not a comma-separated list of layer numbers' });
const flag: Reader<boolean> = (raw) => (raw === '1' ? { value: true } : { problem: 'is not 1' });
const word: Reader<string> = (raw) => (/^[A-Za-z0-9_-]+$/.test(raw) ? { value: raw } : { problem: 'may hold letters, digits, "_" and "-" only' });

/** The adapter knobs: URL parameter and how it is read. */
const ADAPTER_PARAMS: { [K in Exclude<keyof AdapterChoice, 'method'>]-?: [string, Reader<NonNullable<AdapterChoice[K]>>] } = {
  reductionFactor: ['rf', positive],
  r: ['r', whole(1)],
  alpha: ['alpha', positive],
  prefixLength: ['prefix', whole(1)],
  promptLength: ['prompt', whole(1)],
  // The worker checks the activation's name against the library's list.
  nonLinearity: ['act', word],
  dropout: ['dropout', probability],
  leaveOut: ['leave', layers],
  adapterDrop: ['adrop', flag],
};

const SCHEDULES: readonly ScheduleKind[] = ['linear', 'cosine', 'constant'];
const METRICS: readonly MetricName[] = ['accuracy', 'macroF1', 'loss', 'mse', 'pearson', 'exactMatch', 'f1', 'entityF1', 'tokenAccuracy', 'microF1'];

/** The training settings: URL parameter and how it is read. */
const TRAINING_PARAMS: { [K in keyof TrainingSettings]-?: [string, Reader<NonNullable<TrainingSettings[K]>>] } = {
  learningRate: ['lr', positive],
  epochs: ['epochs', whole(1)],
  maxSteps: ['steps', whole(1)],
  batchSize: ['batch', whole(1)],
  maxLength: ['maxlen', whole(8)],
  docStride: ['stride', whole(0)],
  warmupRatio: ['warmup', share],
  schedule: ['sched', oneOf(SCHEDULES)],
  gradientAccumulation: ['accum', whole(1)],
  maxGradNorm: ['clip', number((n) => n >= 0, 'a number of at least 0')],
  weightDecay: ['wd', number((n) => n >= 0, 'a number of at least 0')],
  seed: ['seed', whole(0)],
  evalEverySteps: ['evalsteps', whole(1)],
  metricForBest: ['metric', oneOf(METRICS)],
  earlyStoppingPatience: ['patience', whole(1)],
  checkpointEverySeconds: ['ckpt', whole(0)],
};

/** A table of settings: each one's URL parameter and reader. */
type ParamTable = Record<string, [string, Reader<unknown>]>;

/** Reads each parameter of `table` present in `params`; problems are collected. */
function readTable<T>(params: URLSearchParams, table: ParamTable, problems: string[], consequence: string): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, [param, read]] of Object.entries(table) as [keyof T, [string, Reader<unknown>]][]) {
    const raw = params.get(param);
    if (raw === null) continue;
    const result = read(raw);
    if ('value' in result) out[key] = result.value as T[keyof T];
    else problems.push(`"${param}=${raw}" ${result.problem}, so ${consequence}.`);
  }
  return out;
}

/** `?compose=` names of the blocks, as the CLI's --compose. */
const COMPOSE_PARAM: Record<Exclude<CompositionBlock, 'Fuse'>, string> = { Stack: 'stack', Parallel: 'parallel', Average: 'average', BatchSplit: 'batch-split' };

/** `block:a,b[:numbers]` → the setup (names are adapter names; numbers are Average's weights or BatchSplit's sizes). */
const composition: Reader<CompositionSetup> = (raw) => {
  const [blockName, names, numbers, ...rest] = raw.split(':');
  const block = (Object.keys(COMPOSE_PARAM) as (keyof typeof COMPOSE_PARAM)[]).find((b) => COMPOSE_PARAM[b] === blockName);
  if (!block || !names || rest.length) return { problem: `is not "${Object.values(COMPOSE_PARAM).join('|')}:name,name[:n,n]"` };
  const adapters = names.split(',');
  if (adapters.some((n) => !/^[\w-]+$/.test(n))) return { problem: 'names an adapter with characters other than letters, digits, "_" and "-"' };
  const values = numbers === undefined ? undefined : numbers.split(',').map(Number);
  if (values && (values.length !== adapters.length || values.some((v) => !Number.isFinite(v) || v < 0))) return { problem: 'needs one number of at least 0 an adapter after the second ":"' };
  if (values && block !== 'Average' && block !== 'BatchSplit') return { problem: `gives numbers, which only average and batch-split take` };
  return { value: { block, adapters, ...(values && block === 'Average' ? { weights: values } : {}), ...(values && block === 'BatchSplit' ? { batchSizes: values } : {}) } };
};

/** The `?compose=` value of a setup (Fuse is not written: it needs a trained fusion, which cannot travel in a link). */
function compositionParam(setup: CompositionSetup | undefined): string | undefined {
  if (!setup || setup.block === 'Fuse') return undefined;
  const numbers = setup.block === 'Average' ? setup.weights : setup.block === 'BatchSplit' ? setup.batchSizes : undefined;
  return [COMPOSE_PARAM[setup.block], setup.adapters.join(','), ...(numbers ? [numbers.join(',')] : [])].join(':');
}

function readSetup(params: URLSearchParams, problems: string[]): StudioSetup {
  const setup: StudioSetup = {};
  for (const key of ['model', 'dataset'] as const) {
    const id = params.get(DATA_PARAMS[key]);
    if (id === null) continue;
    try {
      setup[key] = checkRepoId(id);
    } catch {
      problems.push(`"${DATA_PARAMS[key]}=${id}" is not a Hub repository id (owner/name), so no ${key} is chosen.`);
    }
  }
  for (const key of ['config', 'split', 'text', 'label'] as const) {
    const value = params.get(DATA_PARAMS[key]);
    if (value) setup[key] = value;
  }
  const revision = params.get(DATA_PARAMS.revision)?.trim();
  if (revision && revision !== 'main') setup.revision = revision;
  const pair = params.get(DATA_PARAMS.textPair);
  if (pair !== null) setup.textPair = pair;
  const labelColumns = params.get(DATA_PARAMS.labelColumns)?.split(',').map((c) => c.trim()).filter(Boolean);
  if (labelColumns?.length) setup.labelColumns = labelColumns;
  const rows = params.get(DATA_PARAMS.maxTrainExamples);
  if (rows !== null) {
    if (/^[1-9]\d{0,8}$/.test(rows)) setup.maxTrainExamples = Number(rows);
    else problems.push(`"rows=${rows}" is not a positive whole number, so every training row is used.`);
  }

  const method = params.get('method');
  const knobs = readTable<AdapterChoice>(params, ADAPTER_PARAMS, problems, 'the method\'s own value is used');
  if (method !== null && !(method in ADAPTER_METHODS)) problems.push(`"method=${method}" is not one of ${Object.keys(ADAPTER_METHODS).join(', ')}, so seq_bn is used.`);
  const chosen = method !== null && method in ADAPTER_METHODS ? method as AdapterMethod : undefined;
  if (chosen || Object.keys(knobs).length) setup.adapter = { method: chosen ?? 'seq_bn', ...knobs };
  const name = params.get('name');
  if (name !== null) {
    const read = word(name);
    if ('value' in read) setup.adapterName = read.value;
    else problems.push(`"name=${name}" ${read.problem}, so the adapter is named after the dataset.`);
  }
  const training = readTable<TrainingSettings>(params, TRAINING_PARAMS, problems, 'the default is used');
  if (Object.keys(training).length) setup.training = training;
  const shelf = params.get('shelf');
  if (shelf) {
    const ids = shelf.split(',').filter((id) => {
      try {
        checkRepoId(id);
        return true;
      } catch {
        problems.push(`"shelf=${shelf}" names "${id}", which is not a Hub repository id (owner/name), so it is left out.`);
        return false;
      }
    });
    if (ids.length) setup.shelf = ids;
  }
  const compose = params.get('compose');
  if (compose !== null) {
    const read = composition(compose);
    if ('value' in read) setup.composition = read.value;
    else problems.push(`"compose=${compose}" ${read.problem}, so no composition is chosen.`);
  }
  return setup;
}

/**
 * Reads `?hub=offline | <http(s) url>`, `?backend=webgpu | wasm | cpu`, `?debug=1` and the setup: the model and data
 * (`?model= &revision= &dataset= &config= &split= &text= &pair= &label= &rows=`), the adapter (`?method=` and its knobs, `?name=`)
 * the training settings that differ from the defaults (`?lr= &epochs= ...`), and Try it's shelf and composition
 * (`?shelf= &compose=`).
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

/** The experiment a link shares: which Hub, and the setup. */
export interface Experiment {
  hub: HubChoice;
  setup?: StudioSetup;
}

/**
 * `href` with the hub and setup parameters set to this experiment; `backend` (a machine's choice, which older links
 * carried) is taken out, other parameters are kept.
 */
export function withUrlSettings(href: string, settings: Experiment): string {
  const url = new URL(href);
  if (settings.hub.kind === 'real') url.searchParams.delete('hub');
  else url.searchParams.set('hub', settings.hub.kind === 'offline' ? 'offline' : settings.hub.url);
  url.searchParams.delete('backend');
  const setup = settings.setup ?? {};
  const set = (param: string, value: unknown) => {
    if (value === undefined) url.searchParams.delete(param);
    else url.searchParams.set(param, Array.isArray(value) ? value.join(',') : value === true ? '1' : String(value));
  };
  for (const [key, param] of Object.entries(DATA_PARAMS) as [keyof typeof DATA_PARAMS, string][]) set(param, setup[key]);
  set('method', setup.adapter?.method);
  for (const [key, [param]] of Object.entries(ADAPTER_PARAMS as ParamTable) as [keyof AdapterChoice, [string, Reader<unknown>]][]) {
    const value = setup.adapter?.[key];
    set(param, value === false || (Array.isArray(value) && value.length === 0) ? undefined : value);
  }
  set('name', setup.adapterName);
  for (const [key, [param]] of Object.entries(TRAINING_PARAMS as ParamTable) as [keyof TrainingSettings, [string, Reader<unknown>]][]) set(param, setup.training?.[key]);
  set('shelf', setup.shelf?.length ? setup.shelf : undefined);
  set('compose', compositionParam(setup.composition));
  return url.toString();
}

/** The link to share: the page's address with the experiment only (no backend, no debug switch, nothing else). */
export function experimentLink(href: string, experiment: Experiment): string {
  const url = new URL(href);
  return withUrlSettings(`${url.origin}${url.pathname}`, experiment);
}

/** `?lesson=1`: the link was handed out for a class; the studio opens with what is prepared and one button to get it ready. */
const LESSON_PARAM = 'lesson';

/** Whether the address was a classroom link. */
export function isLessonLink(search: string): boolean {
  return new URLSearchParams(search).get(LESSON_PARAM) === '1';
}

/** The classroom version of an experiment link: the same experiment, opened with the welcome for students. */
export function lessonLink(link: string): string {
  const url = new URL(link);
  url.searchParams.set(LESSON_PARAM, '1');
  return url.toString();
}
