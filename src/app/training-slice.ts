/**
 * The Adapter, Train and Try it steps' state: the adapter choice and training settings (mirrored in the URL), the
 * current run as the charts show it, the run a reload can resume, the active adapter and its predictions.
 */
import { IndexedDbCheckpointStore } from '../core/train/checkpoint.ts';
import type { TrainEvent } from '../core/train/events.ts';
import type { EvalMetrics } from '../core/train/metrics.ts';
import { DEFAULT_TRAINING_SETTINGS, type TrainingSettings } from '../core/train/training-settings.ts';
import type { ActiveAdapterInfo, AdapterChoice, FusionInfo, FusionSetup } from '../core/vocabulary/adapter.ts';
import type { TrainSetup } from '../core/vocabulary/run.ts';
import type { AdapterDescriptionEvent, AnsweredEvent, DescribeAdapterCommand, PredictedEvent, RankedChoicesEvent, TaggedEvent, TrainCommand, TrainingEvent } from '../worker/protocol.ts';
import { type SavedRun, atCheckpoint, historyUpTo, readSavedRun, runHistory, writeSavedRun } from './saved-run.ts';
import { type DataSource, type Failure, type StoreContext, type StudioState, dataRefOf, failureOf } from './store-state.ts';
import { EMPTY_VIEW, type TrainingView, foldTraining } from './training-view.ts';

/** Where a run is, as the Train step shows it. */
export type RunStatus =
  /** Sent; the worker reads the data and builds the adapter. */
  | 'starting' | 'running'
  /** Pause asked; the step in flight finishes and a checkpoint is written. */
  | 'pausing' | 'paused'
  | 'cancelling'
  | 'done' | 'cancelled'
  /** Stopped on an error (NaN for too many steps, the data failing...). */
  | 'failed'
  /** The GPU device was lost or the worker restarted under it; a checkpoint may continue it. */
  | 'interrupted';

export interface TrainingRun {
  setup: TrainSetup;
  status: RunStatus;
  view: TrainingView;
  /** Continued from a checkpoint. */
  resumed: boolean;
  failure?: Failure;
  /** After a failure: the adapter is active with the weights of the last good step. */
  weightsKept?: boolean;
}

export type PredictionState =
  | { status: 'idle' }
  | { status: 'running' }
  | { status: 'done'; texts: string[]; pairs?: string[]; result: Omit<PredictedEvent, 'type' | 'replyTo'> }
  | { status: 'failed'; failure: Failure };

export type EvaluationState =
  | { status: 'idle' }
  | { status: 'running' }
  | { status: 'done'; split: string; metrics: EvalMetrics }
  | { status: 'failed'; failure: Failure };

export interface TrainingSlice {
  /** The method and knobs of the adapter to train; mirrored in the URL. */
  adapterChoice: AdapterChoice;
  /** Adapter name; undefined: named after the dataset. Mirrored in the URL. */
  adapterName?: string;
  /** Training settings the user changed from the defaults; mirrored in the URL. */
  trainSettings: Partial<TrainingSettings>;
  /** The current or last run of this page. */
  training?: TrainingRun;
  /** A run with a checkpoint that a reload interrupted, offered for resuming. */
  savedRun?: SavedRun;
  /** The adapter the worker holds (trained or imported). */
  activeAdapter?: ActiveAdapterInfo;
  prediction: PredictionState;
  evaluation: EvaluationState;

  setAdapterChoice(choice: AdapterChoice): void;
  setAdapterName(name: string | undefined): void;
  /** Sets one training setting (undefined: back to the default). */
  setTrainSetting<K extends keyof TrainingSettings>(key: K, value: TrainingSettings[K] | undefined): void;
  /** Asks the worker for the config, summary and PEFT fit of an adapter choice (no tensors). */
  describeAdapter(request: Omit<DescribeAdapterCommand, 'type' | 'id'>): Promise<AdapterDescriptionEvent>;
  /** The AdapterFusion trained over shelved adapters (Try it's shelf), once its run ended. */
  fusion?: FusionInfo;
  /** Starts a run of an AdapterFusion of shelved adapters with a new head, on the chosen data and settings. */
  startFusionTraining(fusion: FusionSetup): Promise<void>;
  /** Starts a run: a new adapter of the choice, or (`continueActive`) the active adapter trained further. */
  startTraining(options?: { continueActive?: boolean; debugNonFinite?: TrainCommand['debugNonFinite'] }): Promise<void>;
  pauseTraining(): Promise<void>;
  resumeTraining(): Promise<void>;
  cancelTraining(): Promise<void>;
  /** Restores the saved run's setup, loads its model and data, and continues it from its checkpoint. */
  resumeSavedRun(): Promise<void>;
  /** After a lost GPU device: restarts the worker on wasm and continues the run (from its checkpoint, else afresh). */
  continueOnWasm(): Promise<void>;
  /** Forgets the saved run and deletes its checkpoints. */
  discardSavedRun(): Promise<void>;
  /** Reads the saved run from storage (at boot). */
  restoreSavedRun(): void;
  predict(texts: string[], pairs?: string[]): Promise<void>;
  /** The active question-answering adapter's best answers to a question about a paragraph (Try it keeps them). */
  askQuestion(question: string, context: string): Promise<Omit<AnsweredEvent, 'type' | 'replyTo'>>;
  /** The active tagging adapter's tag for each word of a text and the entities (Try it keeps them). */
  tagText(text: string): Promise<Omit<TaggedEvent, 'type' | 'replyTo'>>;
  /** The active multiple-choice adapter's ranking of a context's choices (Try it keeps it). */
  rankChoices(context: string, header: string, choices: string[]): Promise<Omit<RankedChoicesEvent, 'type' | 'replyTo'>>;
  /** Evaluates the active adapter on the chosen data's validation part. */
  evaluateActive(): Promise<void>;
  /** A training event from the worker. */
  receiveTraining(event: TrainingEvent): void;
  /** The GPU device was lost: a running training is interrupted. */
  deviceLost(message: string): void;
  /** A new worker starts: it holds no adapter, and a running training is gone. */
  computeRestarted(): void;
}

/** How often buffered training events are drawn. */
const DRAW_INTERVAL_MS = 150;

/** The adapter name a dataset suggests: its last path part or file name, in letters, digits, "_" and "-". */
export function defaultAdapterName(source: DataSource | undefined): string {
  const base = !source ? 'adapter' : source.kind === 'hub' ? source.id.split('/').pop()! : source.name.replace(/\.[^.]+$/, '');
  return base.replace(/[^A-Za-z0-9_-]/g, '_') || 'adapter';
}

/** The settings a run uses: the defaults with the user's changes. */
export function effectiveSettings(changes: Partial<TrainingSettings>): TrainingSettings {
  return { ...DEFAULT_TRAINING_SETTINGS, ...changes };
}

const ACTIVE: readonly RunStatus[] = ['starting', 'running', 'pausing', 'paused', 'cancelling'];

/** Whether a run holds the worker (started and not ended). */
export function isActive(run: TrainingRun | undefined): boolean {
  return run !== undefined && ACTIVE.includes(run.status);
}

export function createTrainingSlice(ctx: StoreContext): TrainingSlice {
  const { set, get } = ctx;
  /** Training events not drawn yet. */
  let pending: TrainEvent[] = [];
  let drawTimer: ReturnType<typeof setTimeout> | undefined;

  function updateRun(runId: string, change: (run: TrainingRun) => Partial<TrainingRun>): void {
    const run = get().training;
    if (run?.setup.runId === runId) set({ training: { ...run, ...change(run) } });
  }

  function draw(): void {
    clearTimeout(drawTimer);
    drawTimer = undefined;
    const run = get().training;
    const events = pending;
    pending = [];
    if (run && events.length) set({ training: { ...run, view: foldTraining(run.view, events) } });
  }

  function saveRun(run: SavedRun | undefined): void {
    writeSavedRun(run);
    set({ savedRun: run });
  }

  /** Ends the run's resume offer and deletes its checkpoints. */
  async function forget(runId: string): Promise<void> {
    if (get().savedRun?.setup.runId === runId) saveRun(undefined);
    await ctx.worker()?.send({ type: 'discardRun', runId }).catch(() => undefined);
  }

  async function refreshActiveAdapter(): Promise<void> {
    const adapter = await ctx.worker()?.send({ type: 'activeAdapter' }).then((reply) => reply.adapter, () => undefined);
    set({ activeAdapter: adapter });
  }

  async function run(setup: TrainSetup, options: { resume: boolean; history?: SavedRun['history']; debugNonFinite?: TrainCommand['debugNonFinite'] }): Promise<void> {
    const worker = ctx.worker();
    if (!worker) return;
    const previous = get().savedRun;
    if (previous && previous.setup.runId !== setup.runId) await forget(previous.setup.runId);
    draw();
    // A resumed run's curves start with what was drawn before the reload, so its charts show the whole run.
    const view = options.history ? { ...EMPTY_VIEW, ...options.history } : EMPTY_VIEW;
    set({ training: { setup, status: 'starting', view, resumed: options.resume }, prediction: { status: 'idle' }, evaluation: { status: 'idle' } });
    const endpoint = setup.data.kind === 'hub' ? ctx.endpoint() : undefined;
    try {
      if (setup.adapter.kind === 'fuse') {
        // A fusion's run: the same progress events and charts; the shelf keeps the fusion, the active adapter stays.
        const { adapter: fuse, ...rest } = setup;
        set({ fusion: undefined });
        const { result, fusion } = await worker.send({ type: 'trainFusion', setup: { ...rest, fusion: fuse.fusion }, ...(endpoint ? { endpoint } : {}) });
        draw();
        set({ fusion });
        updateRun(setup.runId, () => ({ status: result.stopReason === 'cancelled' ? 'cancelled' : 'done' }));
        if (result.steps > 0) await get().keepFusion();
        await forget(setup.runId);
        return;
      }
      const { result, adapter } = await worker.send({
        type: 'train', setup, ...(endpoint ? { endpoint } : {}), resume: options.resume,
        ...(options.debugNonFinite ? { debugNonFinite: options.debugNonFinite } : {}),
      });
      draw();
      set({ activeAdapter: adapter });
      updateRun(setup.runId, () => ({ status: result.stopReason === 'cancelled' ? 'cancelled' : 'done' }));
      if (result.steps > 0) await get().keepActiveAdapter();
      await forgetUnlessUnkept(setup.runId);
    } catch (err) {
      draw();
      const failure = failureOf(err);
      if (failure.code === 'Stopped' || failure.code === 'WorkerCrashed' || get().training?.status === 'interrupted') return;
      if (failure.code === 'DeviceLost') {
        updateRun(setup.runId, () => ({ status: 'interrupted', failure }));
        return;
      }
      if (setup.adapter.kind === 'fuse') {
        updateRun(setup.runId, () => ({ status: 'failed', failure }));
        await forget(setup.runId);
        return;
      }
      const startedTraining = (get().training?.view.points.length ?? 0) > 0;
      updateRun(setup.runId, () => ({ status: 'failed', failure, weightsKept: startedTraining }));
      if (startedTraining) {
        await refreshActiveAdapter();
        await get().keepActiveAdapter();
      }
      await forgetUnlessUnkept(setup.runId);
    }
  }

  /** Drops the run's checkpoint once its adapter is kept; while keeping failed, the checkpoint is the only copy left. */
  async function forgetUnlessUnkept(runId: string): Promise<void> {
    if (!get().unsavedAdapter) await forget(runId);
  }

  async function control(type: 'pause' | 'resume' | 'cancel', status: RunStatus): Promise<void> {
    const training = get().training;
    const worker = ctx.worker();
    if (!training || !worker || !isActive(training)) return;
    draw();
    const before = training.status;
    updateRun(training.setup.runId, () => ({ status }));
    try {
      await worker.send({ type });
    } catch (err) {
      updateRun(training.setup.runId, () => ({ status: before, failure: failureOf(err) }));
    }
  }

  return {
    adapterChoice: { method: 'seq_bn' },
    trainSettings: {},
    prediction: { status: 'idle' },
    evaluation: { status: 'idle' },

    setAdapterChoice(choice) {
      set({ adapterChoice: choice });
      ctx.rememberInUrl();
    },

    setAdapterName(name) {
      set({ adapterName: name || undefined });
      ctx.rememberInUrl();
    },

    setTrainSetting(key, value) {
      const next = { ...get().trainSettings };
      if (value === undefined || value === DEFAULT_TRAINING_SETTINGS[key]) delete next[key];
      else next[key] = value;
      set({ trainSettings: next });
      ctx.rememberInUrl();
    },

    async describeAdapter(request) {
      const worker = ctx.worker();
      if (!worker) throw new Error('The compute worker is not running.');
      return worker.send({ type: 'describeAdapter', ...request });
    },

    async startTraining(options = {}) {
      const state = get();
      if (state.modelLoad.status !== 'ready' || !state.dataSource || isActive(state.training)) return;
      const setup: TrainSetup = {
        runId: crypto.randomUUID(),
        model: state.modelLoad.info.repoId,
        data: dataRefOf(state.dataSource, state.dataChoice),
        adapter: options.continueActive ? { kind: 'active' } : { kind: 'new', choice: state.adapterChoice, name: state.adapterName ?? defaultAdapterName(state.dataSource) },
        settings: effectiveSettings(state.trainSettings),
      };
      await run(setup, { resume: false, debugNonFinite: options.debugNonFinite });
    },

    async startFusionTraining(fusion) {
      const state = get();
      if (state.modelLoad.status !== 'ready' || !state.dataSource || isActive(state.training)) return;
      await run({
        runId: crypto.randomUUID(),
        model: state.modelLoad.info.repoId,
        data: dataRefOf(state.dataSource, state.dataChoice),
        adapter: { kind: 'fuse', fusion },
        settings: effectiveSettings(state.trainSettings),
      }, { resume: false });
    },

    pauseTraining: () => control('pause', 'pausing'),
    resumeTraining: () => control('resume', 'running'),
    cancelTraining: () => control('cancel', 'cancelling'),

    async resumeSavedRun() {
      const saved = get().savedRun;
      if (!saved || isActive(get().training)) return;
      const { setup } = saved;
      const data = setup.data;
      const state = get();
      if (data.kind === 'local' && !(state.dataSource?.kind === 'local' && state.dataSource.name === data.name)) {
        set({ training: { setup, status: 'failed', view: EMPTY_VIEW, resumed: true, failure: { message: `The run trained on the local file "${data.name}": open it again in the Data step, then resume.`, code: 'NoLocalFile' } } });
        return;
      }
      set({
        hubChoice: saved.hub,
        selectedModel: setup.model,
        ...(data.kind === 'hub'
          ? { dataSource: { kind: 'hub' as const, id: data.dataset }, dataChoice: { config: data.config, split: data.split, overrides: data.overrides ?? {}, maxTrainExamples: data.maxTrainExamples } }
          : {}),
        ...(setup.adapter.kind === 'new' ? { adapterChoice: setup.adapter.choice, adapterName: setup.adapter.name } : {}),
        trainSettings: setup.settings,
      });
      ctx.rememberInUrl();
      await ctx.until((s) => s.compute.status === 'ready' || s.compute.status === 'failed');
      if (get().compute.status !== 'ready') return;
      await ctx.until((s) => s.modelLoad.status !== 'loading');
      const loaded = get().modelLoad;
      if (!(loaded.status === 'ready' && loaded.info.repoId === setup.model)) await get().loadModel();
      if (get().modelLoad.status !== 'ready') return;
      if (data.kind === 'hub') await ctx.inspectData();
      await run(setup, { resume: true, history: historyUpTo(saved) });
    },

    async continueOnWasm() {
      const run = get().training;
      get().startCompute('wasm');
      if (get().savedRun) {
        await get().resumeSavedRun();
        return;
      }
      await ctx.until((s) => s.compute.status === 'ready' || s.compute.status === 'failed');
      await ctx.until((s) => s.modelLoad.status !== 'loading' && s.dataReport.status !== 'loading');
      if (run?.setup.adapter.kind === 'new' && get().modelLoad.status === 'ready') await get().startTraining();
    },

    async discardSavedRun() {
      const saved = get().savedRun;
      if (saved) await forget(saved.setup.runId);
    },

    restoreSavedRun() {
      const saved = readSavedRun();
      set({ savedRun: saved });
      if (saved) void checkpointed(saved).then((latest) => { if (latest && get().savedRun === saved) saveRun(latest); });
    },

    async predict(texts, pairs) {
      const worker = ctx.worker();
      if (!worker) return;
      set({ prediction: { status: 'running' } });
      try {
        const { type: _type, replyTo: _replyTo, ...result } = await worker.send({ type: 'predict', texts, ...(pairs ? { pairs } : {}) });
        set({ prediction: { status: 'done', texts, ...(pairs ? { pairs } : {}), result } });
      } catch (err) {
        set({ prediction: { status: 'failed', failure: failureOf(err) } });
      }
    },

    async askQuestion(question, context) {
      const worker = ctx.worker();
      if (!worker) throw new Error('The compute worker is not running.');
      const { type: _type, replyTo: _replyTo, ...result } = await worker.send({ type: 'answerQuestion', question, context });
      return result;
    },

    async tagText(text) {
      const worker = ctx.worker();
      if (!worker) throw new Error('The compute worker is not running.');
      const { type: _type, replyTo: _replyTo, ...result } = await worker.send({ type: 'tagText', text });
      return result;
    },

    async rankChoices(context, header, choices) {
      const worker = ctx.worker();
      if (!worker) throw new Error('The compute worker is not running.');
      const { type: _type, replyTo: _replyTo, ...result } = await worker.send({ type: 'rankChoices', context, ...(header.trim() ? { header } : {}), choices });
      return result;
    },

    async evaluateActive() {
      const worker = ctx.worker();
      const { dataSource, dataChoice, activeAdapter } = get();
      if (!worker || !dataSource || !activeAdapter) return;
      set({ evaluation: { status: 'running' } });
      const data = dataRefOf(dataSource, dataChoice);
      const endpoint = data.kind === 'hub' ? ctx.endpoint() : undefined;
      try {
        const { split, metrics } = await worker.send({ type: 'evaluate', data, ...(endpoint ? { endpoint } : {}) });
        set({ evaluation: { status: 'done', split, metrics } });
      } catch (err) {
        set({ evaluation: { status: 'failed', failure: failureOf(err) } });
      }
    },

    receiveTraining({ runId, event }) {
      const run = get().training;
      if (run?.setup.runId !== runId) return;
      if (event.kind === 'progress' && run.status === 'starting') updateRun(runId, () => ({ status: 'running' }));
      if (event.kind === 'state') updateRun(runId, () => ({ status: event.state === 'paused' ? 'paused' : 'running' }));
      // A fusion's checkpoints are not offered after a reload: its adapters are gone from the shelf then.
      if (event.kind === 'checkpoint' && event.reason !== 'stop' && run.setup.adapter.kind !== 'fuse') {
        const latest = pending.filter((e) => e.kind === 'progress').at(-1) ?? run.view.latest;
        const epoch = latest?.kind === 'progress' ? latest.epoch : 0;
        const drawn = foldTraining(run.view, pending);
        saveRun({
          setup: run.setup, hub: get().hubChoice, step: event.step, totalSteps: latest?.kind === 'progress' ? latest.totalSteps : undefined, epoch, savedAt: Date.now(),
          history: runHistory(drawn),
        });
      }
      pending.push(event);
      // An evaluation pass is drawn as it starts: a short one would otherwise begin and end between two draws.
      if (event.kind === 'state' || event.kind === 'done' || event.kind === 'error' || (event.kind === 'evalProgress' && event.batches === 1)) draw();
      else drawTimer ??= setTimeout(draw, DRAW_INTERVAL_MS);
    },

    deviceLost(message) {
      const run = get().training;
      if (!run || !isActive(run)) return;
      draw();
      const checkpoint = get().savedRun?.setup.runId === run.setup.runId ? get().savedRun : undefined;
      const kept = checkpoint ? `The checkpoint of step ${checkpoint.step} is kept.` : 'No checkpoint was written yet (the first comes after a minute of training, or at the end of epoch 1).';
      updateRun(run.setup.runId, () => ({ status: 'interrupted', failure: { message: `The GPU device was lost (${message}), so training stopped. ${kept}`, code: 'DeviceLost' } }));
    },

    computeRestarted() {
      draw();
      const run = get().training;
      if (run && isActive(run)) {
        updateRun(run.setup.runId, () => ({ status: 'interrupted', failure: run.failure ?? { message: 'The compute worker restarted, so training stopped.', code: 'Stopped' } }));
      }
      set({ activeAdapter: undefined, activeSavedId: undefined, unsavedAdapter: false, prediction: { status: 'idle' }, evaluation: { status: 'idle' } });
    },
  };
}

/**
 * The saved run with the position of its newest checkpoint in IndexedDB: a reload can cut off the page's record of a
 * checkpoint the worker had just written. Undefined when the record is current or the checkpoint cannot be read.
 */
async function checkpointed(saved: SavedRun): Promise<SavedRun | undefined> {
  try {
    const store = await IndexedDbCheckpointStore.open(saved.setup.runId);
    try {
      const state = (await store.load('latest'))?.state;
      if (!state || state.step <= saved.step) return undefined;
      return atCheckpoint(saved, state);
    } finally {
      store.close();
    }
  } catch {
    return undefined;
  }
}

/** The state a component reads to know whether a step can start: the loaded model and mapped data. */
export function canTrain(state: StudioState): boolean {
  return state.modelLoad.status === 'ready' && state.dataReport.status === 'done' && state.dataReport.result.inspection.status === 'ok' && !isActive(state.training);
}
