/**
 * The studio's zustand store: the state store-state.ts declares, with the model and data steps and the compute worker
 * here, and the adapter, training, export and library parts from the slices, which get a StoreContext.
 */
import { useMemo } from 'react';
import { create } from 'zustand';
import { BACKEND_NAMES, type BackendName } from '../core/backend/backend-info.ts';
import type { HeadSpec } from '../core/vocabulary/adapter.ts';
import { HubError, listModels } from '../hub/client.ts';
import { type HubEndpoint, REAL_HUB } from '../hub/endpoint.ts';
import { WorkerClient } from '../worker/client.ts';
import type { LogEvent } from '../worker/protocol.ts';
import { createExportSlice } from './export-slice.ts';
import { endpointFor, hubOriginOf } from './hub-endpoints.ts';
import { createLibrarySlice } from './library-slice.ts';
import { createShelfSlice } from './shelf-slice.ts';
import { type DataChoice, type DataReportState, type StoreContext, type StudioState, failureOf } from './store-state.ts';
import { createTrainingSlice } from './training-slice.ts';
import { type StudioSetup, experimentLink, readUrlSettings, withUrlSettings } from './url-settings.ts';

const NO_CHOICE: DataChoice = { overrides: {} };

/** Where "remember for this tab" keeps the tokens: JSON `{ origin: token }`. */
const TOKENS_KEY = 'adapter-studio:tokens';
/** Where an earlier version kept one token for whatever Hub was chosen; dropped at start, as it is bound to none. */
const UNBOUND_TOKEN_KEY = 'adapter-studio:token';
/** Hubs named by a link that the user confirmed in this tab: JSON list of base URLs. */
const CONFIRMED_HUBS_KEY = 'adapter-studio:confirmed-hubs';
/** The backend the user picked in Settings, for every tab of this browser. */
const BACKEND_KEY = 'adapter-studio:backend';
/** A `?backend=` this tab was opened with, so that a reload keeps it while the address bar no longer shows it. */
const TAB_BACKEND_KEY = 'adapter-studio:tab-backend';

const MAX_LOGS = 200;
/** How long the startup probe waits for huggingface.co. */
const PROBE_TIMEOUT_MS = 6000;

/** The running compute worker; replaced on restart. Kept outside the state: it is not data. */
let worker: WorkerClient | undefined;
/** Counts inspections, so that only the newest one's answer is shown. */
let inspection = 0;
/** The local file the user opened (name and bytes), kept to send to a restarted worker, which starts without it. */
let localFile: { name: string; bytes: ArrayBuffer } | undefined;

/** The setup a link carries: the chosen model, Hub dataset with how it is read, adapter and training settings. */
function setupOf(state: StudioState): StudioSetup {
  const { selectedModel, selectedRevision, dataSource, dataChoice } = state;
  const hub = dataSource?.kind === 'hub';
  return {
    model: selectedModel,
    revision: selectedRevision,
    ...(hub ? {
      dataset: dataSource.id,
      config: dataChoice.config,
      split: dataChoice.split,
      text: dataChoice.overrides.text,
      textPair: dataChoice.overrides.textPair,
      label: dataChoice.overrides.label,
      labelColumns: dataChoice.overrides.labelColumns,
    } : {}),
    maxTrainExamples: dataChoice.maxTrainExamples,
    adapter: state.adapterChoice,
    adapterName: state.adapterName,
    ...(Object.keys(state.trainSettings).length ? { training: state.trainSettings } : {}),
    shelf: [...new Set([...state.shelf.filter((item) => item.origin === 'hub').map((item) => item.source), ...(state.linkedShelf ?? [])])],
    composition: state.composition,
  };
}

/** The head the inspected data asks for, once its columns are mapped. */
export function headSpecOf(report: DataReportState): HeadSpec | undefined {
  if (report.status !== 'done' || report.result.inspection.status !== 'ok') return undefined;
  const { mapping } = report.result.inspection.report;
  return { task: mapping.task, labels: mapping.labelNames };
}

export const useStudio = create<StudioState>()((set, get, api) => {
  function rememberInUrl(): void {
    const state = get();
    // While a link's Hub waits for confirmation, the address bar keeps naming it.
    history.replaceState(history.state, '', withUrlSettings(location.href, { hub: state.pendingHub ?? state.hubChoice, setup: setupOf(state) }));
  }

  function currentEndpoint(): HubEndpoint | undefined {
    const { hubChoice, offlineHubUrl, tokens } = get();
    return endpointFor(hubChoice, offlineHubUrl, tokens);
  }

  /** Asks the worker about the chosen data; local files go with their bytes the first time only. */
  async function inspectData(bytes?: ArrayBuffer): Promise<void> {
    const { dataSource: source, dataChoice: choice, dataReport, pendingHub } = get();
    const endpoint = currentEndpoint();
    // A link's dataset belongs to the Hub it names: nothing is asked until that Hub is confirmed or declined.
    if (!source || !worker || (source.kind === 'hub' && (!endpoint || pendingHub))) return;
    const ticket = ++inspection;
    const previous = dataReport.status === 'done' ? dataReport.result : dataReport.status === 'loading' ? dataReport.previous : undefined;
    set({ dataReport: { status: 'loading', previous } });
    const request = { split: choice.split, overrides: choice.overrides, maxTrainExamples: choice.maxTrainExamples };
    try {
      const { summary, inspection: result } = source.kind === 'hub'
        ? await worker.send({ type: 'inspectDataset', dataset: source.id, config: choice.config, endpoint: endpoint!, ...request })
        : await worker.send({ type: 'inspectLocalFile', name: source.name, bytes, ...request }, bytes ? [bytes] : []);
      if (ticket === inspection) set({ dataReport: { status: 'done', result: { summary, inspection: result } } });
    } catch (err) {
      if (ticket === inspection) set({ dataReport: { status: 'failed', failure: failureOf(err) } });
    }
  }

  async function findOfflineHub(): Promise<void> {
    try {
      const res = await fetch(`${import.meta.env.BASE_URL}offline-hub.json`, { cache: 'no-store' });
      const body = res.ok ? await res.json() as { hubUrl?: unknown } : {};
      set({ offlineHubUrl: typeof body.hubUrl === 'string' ? body.hubUrl : null });
    } catch {
      set({ offlineHubUrl: null });
    }
    if (get().hubChoice.kind === 'offline') void inspectData();
  }

  async function probeRealHub(): Promise<void> {
    if (get().realHub !== 'unknown') return;
    set({ realHub: 'checking' });
    try {
      await listModels(REAL_HUB, { limit: 1 }, {
        retry: { retries: 0, baseDelayMs: 0, maxDelayMs: 0 },
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      });
      set({ realHub: 'reachable' });
    } catch (err) {
      const unreachable = err instanceof HubError && (err.code === 'NetworkError' || err.code === 'Aborted');
      set({ realHub: unreachable ? 'unreachable' : 'reachable' });
    }
  }

  function log(event: LogEvent): void {
    if (event.level === 'error') console.error(event.message);
    else if (event.level === 'warn') console.warn(event.message);
    set({ logs: [...get().logs, event].slice(-MAX_LOGS) });
  }

  const context: StoreContext = {
    set,
    get,
    worker: () => worker,
    endpoint: currentEndpoint,
    rememberInUrl,
    inspectData: () => inspectData(),
    log,
    until: (test) => new Promise((resolve) => {
      if (test(get())) return resolve();
      const stop = api.subscribe((state) => {
        if (!test(state)) return;
        stop();
        resolve();
      });
    }),
  };

  return {
    ...createTrainingSlice(context),
    ...createExportSlice(context),
    ...createLibrarySlice(context),
    ...createShelfSlice(context),
    hubChoice: { kind: 'real' },
    tokens: {},
    rememberToken: false,
    offlineHubUrl: undefined,
    realHub: 'unknown',
    compute: { status: 'starting', preference: 'webgpu' },
    selfTest: { status: 'idle' },
    logs: [],
    debug: false,
    settingsOpen: false,
    modelLoad: { status: 'idle' },
    dataChoice: NO_CHOICE,
    dataReport: { status: 'idle' },

    boot() {
      const url = readUrlSettings(location.search);
      const { setup } = url;
      sessionStorage.removeItem(UNBOUND_TOKEN_KEY);
      const remembered = readStored<Record<string, string>>(sessionStorage, TOKENS_KEY, {});
      // A Hub named only by a URL in the link is used once the user confirms it (in this tab).
      const unconfirmed = url.hub.kind === 'custom' && !readStored<string[]>(sessionStorage, CONFIRMED_HUBS_KEY, []).includes(url.hub.url);
      // `?backend=` lasts through reloads of its tab; opening another address in the tab drops it.
      const reload = (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined)?.type === 'reload';
      if (url.backend) sessionStorage.setItem(TAB_BACKEND_KEY, url.backend);
      else if (!reload) sessionStorage.removeItem(TAB_BACKEND_KEY);
      const backend = url.backend ?? storedBackend(sessionStorage.getItem(TAB_BACKEND_KEY)) ?? storedBackend(localStorage.getItem(BACKEND_KEY));
      set({
        tokens: remembered, rememberToken: Object.keys(remembered).length > 0,
        hubChoice: unconfirmed ? { kind: 'real' } : url.hub,
        pendingHub: unconfirmed ? url.hub as { kind: 'custom'; url: string } : undefined,
        backendPreference: backend, debug: url.debug, urlProblem: url.problem,
        selectedModel: setup.model,
        selectedRevision: setup.revision,
        dataSource: setup.dataset ? { kind: 'hub', id: setup.dataset } : undefined,
        dataChoice: {
          config: setup.config,
          split: setup.split,
          overrides: { text: setup.text, textPair: setup.textPair, label: setup.label, ...(setup.labelColumns ? { labelColumns: setup.labelColumns } : {}) },
          maxTrainExamples: setup.maxTrainExamples,
        },
        ...(setup.adapter ? { adapterChoice: setup.adapter } : {}),
        adapterName: setup.adapterName,
        trainSettings: setup.training ?? {},
        linkedShelf: setup.shelf,
        composition: setup.composition,
      });
      get().restoreSavedRun();
      void findOfflineHub();
      if (get().hubChoice.kind === 'real') void probeRealHub();
      get().startCompute(backend);
      // The backend is this browser's choice, not part of the setup: the address bar stops carrying it.
      rememberInUrl();
      void inspectData();
    },

    chooseHub(choice) {
      if (choice.kind === 'custom') confirmHub(choice.url);
      set({ hubChoice: choice, pendingHub: undefined, selectedModel: undefined, modelLoad: { status: 'idle' }, dataSource: undefined, dataChoice: NO_CHOICE, dataReport: { status: 'idle' } });
      inspection++;
      rememberInUrl();
      if (choice.kind === 'real') void probeRealHub();
    },

    confirmPendingHub() {
      const pending = get().pendingHub;
      if (!pending) return;
      confirmHub(pending.url);
      set({ hubChoice: pending, pendingHub: undefined, modelLoad: { status: 'idle' }, dataReport: { status: 'idle' } });
      rememberInUrl();
      void inspectData();
    },

    declinePendingHub() {
      if (!get().pendingHub) return;
      set({ pendingHub: undefined });
      rememberInUrl();
      void inspectData();
    },

    setToken(token, remember = get().rememberToken) {
      const state = get();
      const origin = hubOriginOf(state.hubChoice, state.offlineHubUrl);
      if (!origin) return;
      const tokens = { ...state.tokens };
      if (token) tokens[origin] = token;
      else delete tokens[origin];
      set({ tokens, rememberToken: remember });
      if (remember && Object.keys(tokens).length) sessionStorage.setItem(TOKENS_KEY, JSON.stringify(tokens));
      else sessionStorage.removeItem(TOKENS_KEY);
      if (get().dataSource?.kind === 'hub') void inspectData();
    },

    shareLink() {
      const state = get();
      return experimentLink(location.href, { hub: state.hubChoice, setup: setupOf(state) });
    },

    chooseBackend(preference) {
      localStorage.setItem(BACKEND_KEY, preference);
      sessionStorage.removeItem(TAB_BACKEND_KEY);
      get().startCompute(preference);
    },

    startCompute(preference) {
      worker?.close();
      const client = WorkerClient.startWorker();
      worker = client;
      const current = () => worker === client;
      // The new worker holds no model: load the one the old worker had (or was loading) again once it is up.
      const { modelLoad } = get();
      const reload = modelLoad.status === 'ready' || modelLoad.status === 'loading';
      set({ compute: { status: 'starting', preference: preference ?? 'webgpu' }, selfTest: { status: 'idle' }, modelLoad: { status: 'idle' } });
      get().computeRestarted();
      get().shelfCleared();
      if (preference !== get().backendPreference) set({ backendPreference: preference });
      client.on('log', (event) => current() && log(event));
      client.on('error', (event) => current() && log({ type: 'log', level: 'error', message: event.message }));
      client.on('deviceLost', ({ reason, message }) => {
        const { compute } = get();
        if (!current()) return;
        if (compute.status === 'ready') set({ compute: { status: 'lost', backend: compute.backend, lost: { reason, message } } });
        get().deviceLost(`${reason}${message ? `: ${message}` : ''}`);
      });
      client.on('training', (event) => current() && get().receiveTraining(event));
      client.on('pushProgress', (event) => current() && get().receivePushProgress(event));
      client.on('modelProgress', (progress) => {
        const { modelLoad } = get();
        if (current() && modelLoad.status === 'loading' && modelLoad.repoId === progress.repoId) set({ modelLoad: { ...modelLoad, progress } });
      });
      const source = get().dataSource;
      if (source?.kind === 'local' && localFile?.name === source.name) void inspectData(localFile.bytes.slice(0));
      client.send({ type: 'init', backend: preference, debug: get().debug }).then(
        ({ backend }) => {
          if (!current()) return;
          set({ compute: { status: 'ready', backend } });
          if (reload) void get().loadModel();
        },
        (err: Error) => current() && set({ compute: { status: 'failed', message: err.message } }),
      );
    },

    async runSelfTest() {
      if (!worker || get().compute.status !== 'ready') return;
      set({ selfTest: { status: 'running' } });
      const start = performance.now();
      try {
        const { report } = await worker.send({ type: 'selfTest' });
        set({ selfTest: { status: 'done', report, ms: performance.now() - start } });
      } catch (err) {
        set({ selfTest: { status: 'failed', message: (err as Error).message } });
      }
    },

    async simulateDeviceLoss() {
      try {
        await worker?.send({ type: 'debugLoseDevice' });
      } catch (err) {
        log({ type: 'log', level: 'warn', message: (err as Error).message });
      }
    },

    toggleSettings(open) {
      set({ settingsOpen: open ?? !get().settingsOpen });
    },

    selectModel(id) {
      if (id === get().selectedModel) return;
      set({ selectedModel: id, selectedRevision: undefined, modelLoad: { status: 'idle' } });
      rememberInUrl();
    },

    selectRevision(revision) {
      if (revision === get().selectedRevision) return;
      set({ selectedRevision: revision, modelLoad: { status: 'idle' } });
      rememberInUrl();
    },

    async loadModel() {
      const { selectedModel: repoId, selectedRevision: revision, compute } = get();
      const endpoint = currentEndpoint();
      if (!repoId || !endpoint || !worker || compute.status !== 'ready') return;
      set({ modelLoad: { status: 'loading', repoId, revision } });
      const still = () => {
        const state = get().modelLoad;
        return state.status === 'loading' && state.repoId === repoId && get().selectedModel === repoId && get().selectedRevision === revision;
      };
      try {
        const { info } = await worker.send({ type: 'loadModel', repoId, endpoint, ...(revision === undefined ? {} : { revision }) });
        // The worker frees its shelf with the old model.
        get().shelfCleared();
        if (still()) set({ modelLoad: { status: 'ready', info } });
      } catch (err) {
        if (still()) set({ modelLoad: { status: 'failed', repoId, failure: failureOf(err) } });
      }
    },

    async embedText(text) {
      if (!worker) throw new Error('The compute worker is not running.');
      return worker.send({ type: 'embed', texts: [text] });
    },

    selectDataset(id, choice = {}) {
      set({ dataSource: { kind: 'hub', id }, dataChoice: { ...NO_CHOICE, maxTrainExamples: get().dataChoice.maxTrainExamples, ...choice }, dataReport: { status: 'idle' } });
      rememberInUrl();
      void inspectData();
    },

    updateDataChoice(change) {
      set({ dataChoice: { ...get().dataChoice, ...change } });
      rememberInUrl();
      void inspectData();
    },

    async openLocalFile(file) {
      const bytes = await file.arrayBuffer();
      localFile = { name: file.name, bytes: bytes.slice(0) };
      set({ dataSource: { kind: 'local', name: file.name }, dataChoice: { ...NO_CHOICE, maxTrainExamples: get().dataChoice.maxTrainExamples }, dataReport: { status: 'idle' } });
      rememberInUrl();
      await inspectData(bytes);
    },
  };
});

/** The current Hub endpoint (stable between renders while the choice, offline URL and tokens stay the same). */
export function useEndpoint(): HubEndpoint | undefined {
  const choice = useStudio((s) => s.hubChoice);
  const offlineHubUrl = useStudio((s) => s.offlineHubUrl);
  const tokens = useStudio((s) => s.tokens);
  return useMemo(() => endpointFor(choice, offlineHubUrl, tokens), [choice, offlineHubUrl, tokens]);
}

/** A JSON value kept in `storage`, or `fallback` when absent or unreadable. */
function readStored<T>(storage: Storage, key: string, fallback: T): T {
  try {
    const text = storage.getItem(key);
    return text === null ? fallback : JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

const storedBackend = (value: string | null): BackendName | undefined => BACKEND_NAMES.find((name) => name === value);

/** Remembers for this tab that the user chose the Hub at `url`, so a reload does not ask again. */
function confirmHub(url: string): void {
  const confirmed = readStored<string[]>(sessionStorage, CONFIRMED_HUBS_KEY, []);
  if (!confirmed.includes(url)) sessionStorage.setItem(CONFIRMED_HUBS_KEY, JSON.stringify([...confirmed, url]));
}
