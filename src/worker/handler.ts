import { initBackend, loseDeviceForTesting, type WasmPaths } from '../core/backend/init-backend.ts';
import { runKernelSelfTest } from '../core/kernels/self-test.ts';
import { DataSession } from './data-session.ts';
import { ModelSession } from './model-session.ts';
import type { Command, WorkerErrorEvent, WorkerEvent } from './protocol.ts';

export interface HandlerOptions {
  /** Where the wasm backend fetches its binaries (browser); omit in Node. */
  wasmPaths?: WasmPaths;
}

/** A command the worker cannot carry out in its current state. */
export class CommandError extends Error {
  constructor(message: string, readonly code: 'NotInitialised' | 'DebugDisabled') {
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

/** Commands that only read data (no tensors): they run at once, beside whatever the compute queue is doing. */
type DataCommand = Extract<Command, { type: 'inspectDataset' | 'inspectLocalFile' }>;
const isDataCommand = (command: Command): command is DataCommand => command.type === 'inspectDataset' || command.type === 'inspectLocalFile';

/**
 * The worker's behaviour without the worker: takes commands and posts exactly one reply (or error) per command
 * plus unasked events (log, deviceLost, modelProgress). Tensor work (init, selfTest, loadModel, embed) runs one
 * command at a time in arrival order; dataset inspections run at once, so reading a dataset never waits for a
 * model download. A loadModel cancels the one still running.
 */
export function createCommandHandler(post: (event: WorkerEvent) => void, options: HandlerOptions = {}): (command: Command) => Promise<void> {
  let started = false;
  let debug = false;
  let queue = Promise.resolve();
  const model = new ModelSession();
  const data = new DataSession();
  /** The newest loadModel's cancel switch. */
  let loading: { repoId: string; cancel: AbortController } | undefined;
  const neverCancelled = new AbortController().signal;

  function requireStarted(command: Command): void {
    if (!started) throw new CommandError(`The compute backend is not started yet: send "init" before "${command.type}".`, 'NotInitialised');
  }

  /** Runs a tensor command; `signal` cancels a loadModel. */
  async function compute(command: Exclude<Command, DataCommand>, signal: AbortSignal): Promise<void> {
    switch (command.type) {
      case 'init': {
        debug = command.debug === true;
        model.release();
        const backend = await initBackend(command.backend ?? 'webgpu', {
          wasmPaths: options.wasmPaths,
          onDeviceLost: (lost) => post({ type: 'deviceLost', ...lost }),
          onGpuError: (message) => post({ type: 'log', level: 'error', message: `GPU error: ${message}` }),
        });
        started = true;
        post({ type: 'log', level: 'info', message: `Compute backend: ${backend.name}${backend.fallbackReason ? ` (${backend.fallbackReason})` : ''}` });
        post({ type: 'ready', replyTo: command.id, backend });
        return;
      }
      case 'selfTest': {
        requireStarted(command);
        post({ type: 'selfTestResult', replyTo: command.id, report: await runKernelSelfTest() });
        return;
      }
      case 'debugLoseDevice': {
        if (!debug) throw new CommandError('debugLoseDevice is a debug command: open the studio with ?debug=1 to use it.', 'DebugDisabled');
        loseDeviceForTesting();
        post({ type: 'ack', replyTo: command.id });
        return;
      }
      case 'loadModel': {
        requireStarted(command);
        signal.throwIfAborted();
        const start = performance.now();
        const info = await model.load(command.endpoint, command.repoId, post, signal).catch((err: unknown) => {
          throw signal.aborted ? signal.reason : err;
        });
        const seconds = ((performance.now() - start) / 1000).toFixed(1);
        post({ type: 'log', level: 'info', message: `Model ${info.repoId} ready on ${info.backend} in ${seconds} s (${info.networkBytes} bytes downloaded)` });
        post({ type: 'modelReady', replyTo: command.id, info });
        return;
      }
      case 'embed': {
        requireStarted(command);
        post({ type: 'embedded', replyTo: command.id, ...(await model.embed(command)) });
        return;
      }
    }
  }

  async function read(command: DataCommand): Promise<void> {
    const report = command.type === 'inspectDataset' ? await data.inspectHub(command) : await data.inspectLocal(command);
    post({ type: 'datasetReport', replyTo: command.id, ...report });
  }

  return (command) => {
    const fail = (err: unknown) => post(errorEvent(err, command.id));
    if (isDataCommand(command)) return read(command).catch(fail);
    let signal = neverCancelled;
    if (command.type === 'loadModel') {
      loading?.cancel.abort(new LoadCancelledError(loading.repoId));
      loading = { repoId: command.repoId, cancel: new AbortController() };
      signal = loading.cancel.signal;
    }
    queue = queue.then(() => compute(command, signal)).catch(fail);
    return queue;
  };
}

/** An error as an event: its message, the message of its cause, and its code (a `code` or `reason` field, else its class name). */
export function errorEvent(err: unknown, replyTo?: number): WorkerErrorEvent {
  const error = err instanceof Error ? err : new Error(String(err));
  const cause = error.cause === undefined ? undefined : error.cause instanceof Error ? error.cause.message : String(error.cause);
  const fields = error as { code?: unknown; reason?: unknown };
  const code = typeof fields.code === 'string' ? fields.code : typeof fields.reason === 'string' ? fields.reason : error.name;
  return { type: 'error', replyTo, message: error.message, cause, code };
}
