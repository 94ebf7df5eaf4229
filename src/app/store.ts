import { useMemo } from 'react';
import { create } from 'zustand';
import type { BackendInfo, BackendName, DeviceLostInfo } from '../core/backend/backend-info.ts';
import type { SelfTestReport } from '../core/kernels/self-test-report.ts';
import { HubError, listModels } from '../hub/client.ts';
import { type HubEndpoint, REAL_HUB, offlineHub } from '../hub/endpoint.ts';
import { WorkerClient } from '../worker/client.ts';
import type { LogEvent } from '../worker/protocol.ts';
import { type HubChoice, readUrlSettings, withUrlSettings } from './url-settings.ts';

/** The compute worker's state as the page shows it. */
export type ComputeState =
  | { status: 'starting'; preference: BackendName }
  | { status: 'ready'; backend: BackendInfo }
  | { status: 'lost'; backend: BackendInfo; lost: DeviceLostInfo }
  | { status: 'failed'; message: string };

export type SelfTestState =
  | { status: 'idle' }
  | { status: 'running' }
  | { status: 'done'; report: SelfTestReport; ms: number }
  | { status: 'failed'; message: string };

export interface StudioState {
  /** The Hub the user chose; mirrored in the URL (`?hub=`). */
  hubChoice: HubChoice;
  /** Hugging Face access token for gated or private repos; lives in memory only (never URL, storage or logs). */
  token: string;
  /** Base URL of the offline demo Hub this server offers; null when it offers none, undefined while asking. */
  offlineHubUrl: string | null | undefined;
  /** Whether huggingface.co answered the startup probe. */
  realHub: 'unknown' | 'checking' | 'reachable' | 'unreachable';
  /** Backend to try first, from `?backend=` or the user's choice; undefined means WebGPU first. */
  backendPreference?: BackendName;
  compute: ComputeState;
  selfTest: SelfTestState;
  /** The last worker log lines, oldest first. */
  logs: LogEvent[];
  /** `?debug=1`: show debug controls. */
  debug: boolean;
  /** A URL parameter that could not be used. */
  urlProblem?: string;
  settingsOpen: boolean;
  /** Hub id of the model the user picked. */
  selectedModel?: string;
  /** Hub id of the dataset the user picked. */
  selectedDataset?: string;

  boot(): void;
  chooseHub(choice: HubChoice): void;
  setToken(token: string): void;
  startCompute(preference?: BackendName): void;
  runSelfTest(): Promise<void>;
  simulateDeviceLoss(): Promise<void>;
  toggleSettings(open?: boolean): void;
  selectModel(id: string): void;
  selectDataset(id: string): void;
}

const MAX_LOGS = 200;
/** How long the startup probe waits for huggingface.co. */
const PROBE_TIMEOUT_MS = 6000;

/** The running compute worker; replaced on restart. Kept outside the state: it is not data. */
let worker: WorkerClient | undefined;

export const useStudio = create<StudioState>()((set, get) => {
  function rememberInUrl(): void {
    const { hubChoice, backendPreference } = get();
    history.replaceState(history.state, '', withUrlSettings(location.href, { hub: hubChoice, backend: backendPreference }));
  }

  async function findOfflineHub(): Promise<void> {
    try {
      const res = await fetch(`${import.meta.env.BASE_URL}offline-hub.json`, { cache: 'no-store' });
      const body = res.ok ? await res.json() as { hubUrl?: unknown } : {};
      set({ offlineHubUrl: typeof body.hubUrl === 'string' ? body.hubUrl : null });
    } catch {
      set({ offlineHubUrl: null });
    }
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

  return {
    hubChoice: { kind: 'real' },
    token: '',
    offlineHubUrl: undefined,
    realHub: 'unknown',
    compute: { status: 'starting', preference: 'webgpu' },
    selfTest: { status: 'idle' },
    logs: [],
    debug: false,
    settingsOpen: false,

    boot() {
      const url = readUrlSettings(location.search);
      set({ hubChoice: url.hub, backendPreference: url.backend, debug: url.debug, urlProblem: url.problem });
      void findOfflineHub();
      if (url.hub.kind === 'real') void probeRealHub();
      get().startCompute(url.backend);
    },

    chooseHub(choice) {
      set({ hubChoice: choice, selectedModel: undefined, selectedDataset: undefined });
      rememberInUrl();
      if (choice.kind === 'real') void probeRealHub();
    },

    setToken(token) {
      set({ token });
    },

    startCompute(preference) {
      worker?.close();
      const client = WorkerClient.startWorker();
      worker = client;
      const current = () => worker === client;
      set({ compute: { status: 'starting', preference: preference ?? 'webgpu' }, selfTest: { status: 'idle' } });
      if (preference !== get().backendPreference) {
        set({ backendPreference: preference });
        rememberInUrl();
      }
      client.on('log', (event) => current() && log(event));
      client.on('error', (event) => current() && log({ type: 'log', level: 'error', message: event.message }));
      client.on('deviceLost', ({ reason, message }) => {
        const { compute } = get();
        if (current() && compute.status === 'ready') set({ compute: { status: 'lost', backend: compute.backend, lost: { reason, message } } });
      });
      client.send({ type: 'init', backend: preference, debug: get().debug }).then(
        ({ backend }) => current() && set({ compute: { status: 'ready', backend } }),
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
      set({ selectedModel: id });
    },

    selectDataset(id) {
      set({ selectedDataset: id });
    },
  };
});

/** The endpoint for the current choice and token, or undefined while the offline Hub's address is unknown. */
export function endpointFor(choice: HubChoice, offlineHubUrl: string | null | undefined, token: string): HubEndpoint | undefined {
  const auth = token ? { token } : {};
  switch (choice.kind) {
    case 'real': return { ...REAL_HUB, ...auth };
    case 'offline': return offlineHubUrl ? { ...offlineHub(offlineHubUrl), ...auth } : undefined;
    case 'custom': return { ...offlineHub(choice.url), ...auth };
  }
}

/** The current Hub endpoint (stable between renders while the choice, offline URL and token stay the same). */
export function useEndpoint(): HubEndpoint | undefined {
  const choice = useStudio((s) => s.hubChoice);
  const offlineHubUrl = useStudio((s) => s.offlineHubUrl);
  const token = useStudio((s) => s.token);
  return useMemo(() => endpointFor(choice, offlineHubUrl, token), [choice, offlineHubUrl, token]);
}
