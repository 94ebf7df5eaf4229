import { initBackend, loseDeviceForTesting, type WasmPaths } from '../core/backend/init-backend.ts';
import { runKernelSelfTest } from '../core/kernels/self-test.ts';
import { IndexedDbCheckpointStore } from '../core/train/checkpoint.ts';
import type { ExportedFile } from '../core/vocabulary/files.ts';
import { describeAdapter } from './adapter-choice.ts';
import { DataSession } from './data-session.ts';
import { ModelSession } from './model-session.ts';
import type { Command, WorkerErrorEvent, WorkerEvent } from './protocol.ts';
import { ShelfSession } from './shelf-session.ts';
import { type OpenCheckpointStore, TrainingSession } from './training-session.ts';

export interface HandlerOptions {
  /** Where the wasm backend fetches its binaries (browser); omit in Node. */
  wasmPaths?: WasmPaths;
  /** Where runs keep their checkpoints; default IndexedDB (the browser's, or a global `indexedDB` in tests). */
  openCheckpointStore?: OpenCheckpointStore;
}

/** A command the worker cannot carry out in its current state. */
export class CommandError extends Error {
  constructor(message: string, readonly code: 'NotInitialised' | 'DebugDisabled' | 'TrainingActive') {
    super(message);
    this.name = 'CommandError';
  }
}

/** A loadModel that a newer loadModel replaced before it finished. */
export class LoadCancelledError extends Error {
  readonly code = 'Cancelled';

  constructor(repoId: string) {
    super(`Loading "${repoId}" was cancelled: another model was chosen.`);
    this.name = 'LoadCancelledError';
  }
}

/**
 * Commands that run at once, beside whatever the compute queue is doing: dataset inspections and adapter
 * descriptions (no tensors), the controls of a running training, and the debug device loss (which must reach a
 * training that holds the queue).
 */
type ImmediateCommand = Extract<Command, { type: 'inspectDataset' | 'inspectLocalFile' | 'describeAdapter' | 'pause' | 'resume' | 'cancel' | 'discardRun' | 'debugLoseDevice' }>;
const IMMEDIATE = new Set<Command['type']>(['inspectDataset', 'inspectLocalFile', 'describeAdapter', 'pause', 'resume', 'cancel', 'discardRun', 'debugLoseDevice']);
const isImmediate = (command: Command): command is ImmediateCommand => IMMEDIATE.has(command.type);

/** Export files as the protocol carries them. */
function exportedFiles(files: Map<string, Uint8Array>): ExportedFile[] {
  return [...files].map(([path, bytes]) => ({ path, bytes }));
}

/** Takes one command; `dispose` cancels a running training and frees the adapter and the encoder. */
export type CommandHandler = ((command: Command) => Promise<void>) & { dispose(): Promise<void> };

/**
 * The worker's behaviour without the worker: takes commands and posts exactly one reply (or error) per command
 * plus unasked events (log, deviceLost, modelProgress, training, pushProgress). Tensor work (init, selfTest,
 * loadModel, embed, train, predict, evaluate, export, import, push) runs one command at a time in arrival order;
 * while a training holds the queue, other tensor commands are refused rather than left waiting. A loadModel cancels
 * the one still running.
 */
export function createCommandHandler(post: (event: WorkerEvent) => void, options: HandlerOptions = {}): CommandHandler {
  let started = false;
  let debug = false;
  let queue = Promise.resolve();
  const model = new ModelSession();
  const data = new DataSession();
  const adapters = new TrainingSession();
  const shelf = new ShelfSession();
  const openStore = options.openCheckpointStore ?? ((runId: string) => IndexedDbCheckpointStore.open(runId));
  /** The newest loadModel's cancel switch. */
  let loading: { repoId: string; cancel: AbortController } | undefined;
  const neverCancelled = new AbortController().signal;

  function requireStarted(command: Command): void {
    if (!started) throw new CommandError(`The compute backend is not started yet: send "init" before "${command.type}".`, 'NotInitialised');
  }

  /** Runs a tensor command; `signal` cancels a loadModel. */
  async function compute(command: Exclude<Command, ImmediateCommand>, signal: AbortSignal): Promise<void> {
    if (command.type !== 'init') requireStarted(command);
    switch (command.type) {
      case 'init': {
        debug = command.debug === true;
        adapters.release();
        shelf.release();
        model.release();
        const backend = await initBackend(command.backend ?? 'webgpu', {
          wasmPaths: options.wasmPaths,
          onDeviceLost: (lost) => {
            adapters.deviceLost(`${lost.reason}${lost.message ? `: ${lost.message}` : ''}`);
            post({ type: 'deviceLost', ...lost });
          },
          onGpuError: (message) => post({ type: 'log', level: 'error', message: `GPU error: ${message}` }),
        });
        started = true;
        post({ type: 'log', level: 'info', message: `Compute backend: ${backend.name}${backend.fallbackReason ? ` (${backend.fallbackReason})` : ''}` });
        post({ type: 'ready', replyTo: command.id, backend });
        return;
      }
      case 'selfTest': {
        post({ type: 'selfTestResult', replyTo: command.id, report: await runKernelSelfTest() });
        return;
      }
      case 'loadModel': {
        signal.throwIfAborted();
        const start = performance.now();
        const info = await model.load(command.endpoint, { repoId: command.repoId, revision: command.revision }, post, signal).catch((err: unknown) => {
          throw signal.aborted ? signal.reason : err;
        });
        // An adapter belongs to the encoder it was built for.
        if (adapters.modelName !== info.repoId) adapters.release();
        shelf.release();
        const seconds = ((performance.now() - start) / 1000).toFixed(1);
        post({ type: 'log', level: 'info', message: `Model ${info.repoId} ready on ${info.backend} in ${seconds} s (${info.networkBytes} bytes downloaded)` });
        post({ type: 'modelReady', replyTo: command.id, info });
        return;
      }
      case 'embed': {
        post({ type: 'embedded', replyTo: command.id, ...(await model.embed(command)) });
        return;
      }
      case 'train': {
        const encoder = model.current('training an adapter');
        const result = await adapters.train(command, encoder, data, post, openStore, debug);
        post({ type: 'trained', replyTo: command.id, result, adapter: adapters.requireInfo() });
        return;
      }
      case 'predict': {
        post({ type: 'predicted', replyTo: command.id, ...(await adapters.predict(model.current('predicting'), command.texts, command.pairs)) });
        return;
      }
      case 'answerQuestion': {
        post({ type: 'answered', replyTo: command.id, ...(await adapters.answer(model.current('answering'), command.question, command.context)) });
        return;
      }
      case 'tagText': {
        post({ type: 'tagged', replyTo: command.id, ...(await adapters.tag(model.current('tagging'), command.text)) });
        return;
      }
      case 'rankChoices': {
        post({ type: 'rankedChoices', replyTo: command.id, ...(await adapters.rank(model.current('ranking choices'), command)) });
        return;
      }
      case 'evaluate': {
        post({ type: 'evaluated', replyTo: command.id, ...(await adapters.evaluate(command, model.current('evaluating'), data)) });
        return;
      }
      case 'exportAdapter': {
        const { name, files } = adapters.exportFiles(command.format, { data });
        post({ type: 'exported', replyTo: command.id, format: command.format, name, files: exportedFiles(files) });
        return;
      }
      case 'importAdapter': {
        await adapters.import(command.source, model.current('importing an adapter (it must fit the base model)'));
        post({ type: 'adapterReady', replyTo: command.id, adapter: adapters.requireInfo() });
        return;
      }
      case 'activeAdapter': {
        post({ type: 'adapterReady', replyTo: command.id, adapter: adapters.requireInfo() });
        return;
      }
      case 'pushAdapter': {
        post({ type: 'pushed', replyTo: command.id, ...(await adapters.push(command, post)) });
        return;
      }
      case 'shelveAdapter': {
        const adapterList = await shelf.add(command.source, model.current('putting an adapter on the shelf (it must fit the base model)'), () => adapters.activeModel());
        post({ type: 'shelf', replyTo: command.id, adapters: adapterList });
        return;
      }
      case 'unshelveAdapter': {
        post({ type: 'shelf', replyTo: command.id, adapters: shelf.remove(command.name) });
        return;
      }
      case 'predictComposed': {
        post({ type: 'composedPredicted', replyTo: command.id, ...(await shelf.predict(model.current('predicting'), command.setup, command.texts, command.pairs)) });
        return;
      }
      case 'trainFusion': {
        post({ type: 'fusionTrained', replyTo: command.id, ...(await adapters.trainFusion(command, model.current('training a fusion'), data, shelf, post, openStore)) });
        return;
      }
      case 'exportFusion': {
        const { name, files } = shelf.fusionFiles();
        post({ type: 'exported', replyTo: command.id, format: 'adapterhub', name, files: exportedFiles(files) });
        return;
      }
      case 'fusionAttention': {
        post({ type: 'fusionAttention', replyTo: command.id, ...shelf.fusionAttention(model.current('showing the fusion attention'), command.text, command.pair) });
      }
    }
  }

  async function immediate(command: ImmediateCommand): Promise<void> {
    switch (command.type) {
      case 'inspectDataset':
        post({ type: 'datasetReport', replyTo: command.id, ...(await data.inspectHub(command)) });
        return;
      case 'inspectLocalFile':
        post({ type: 'datasetReport', replyTo: command.id, ...(await data.inspectLocal(command)) });
        return;
      case 'describeAdapter':
        post({ type: 'adapterDescription', replyTo: command.id, ...describeAdapter(command) });
        return;
      case 'pause':
      case 'resume':
      case 'cancel':
        adapters[command.type]();
        break;
      case 'discardRun': {
        const store = await openStore(command.runId);
        try {
          await store.clear();
        } finally {
          store.close?.();
        }
        break;
      }
      case 'debugLoseDevice':
        if (!debug) throw new CommandError('debugLoseDevice is a debug command: open the studio with ?debug=1 to use it.', 'DebugDisabled');
        loseDeviceForTesting();
        break;
    }
    post({ type: 'ack', replyTo: command.id });
  }

  const handle = (command: Command): Promise<void> => {
    const fail = (err: unknown) => post(errorEvent(err, command.id));
    if (isImmediate(command)) return immediate(command).catch(fail);
    if (adapters.training) {
      fail(new CommandError(`The compute worker is training: "${command.type}" can run once the training ends. Wait for it, or cancel it.`, 'TrainingActive'));
      return Promise.resolve();
    }
    let signal = neverCancelled;
    if (command.type === 'loadModel') {
      loading?.cancel.abort(new LoadCancelledError(loading.repoId));
      loading = { repoId: command.repoId, cancel: new AbortController() };
      signal = loading.cancel.signal;
    }
    queue = queue.then(() => compute(command, signal)).catch(fail);
    return queue;
  };
  const dispose = async () => {
    if (adapters.training) adapters.cancel();
    await queue;
    adapters.release();
    shelf.release();
    model.release();
  };
  return Object.assign(handle, { dispose });
}

/**
 * An error as an event: its message, the message of its cause, and its code (a `code`, `reason` or `problem` field,
 * else its class name).
 */
export function errorEvent(err: unknown, replyTo?: number): WorkerErrorEvent {
  const error = err instanceof Error ? err : new Error(String(err));
  const cause = error.cause === undefined ? undefined : error.cause instanceof Error ? error.cause.message : String(error.cause);
  const fields = error as { code?: unknown; reason?: unknown; problem?: unknown };
  const code = [fields.code, fields.reason, fields.problem].find((value): value is string => typeof value === 'string') ?? error.name;
  return { type: 'error', replyTo, message: error.message, cause, code };
}
