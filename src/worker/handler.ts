import { initBackend, loseDeviceForTesting, type WasmPaths } from '../core/backend/init-backend.ts';
import { runKernelSelfTest } from '../core/kernels/self-test.ts';
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

/**
 * The worker's behaviour without the worker: takes commands, runs them one at a time in arrival order, and
 * posts exactly one reply (or error) per command plus unasked events (log, deviceLost).
 */
export function createCommandHandler(post: (event: WorkerEvent) => void, options: HandlerOptions = {}): (command: Command) => Promise<void> {
  let started = false;
  let debug = false;
  let queue = Promise.resolve();

  async function run(command: Command): Promise<void> {
    switch (command.type) {
      case 'init': {
        debug = command.debug === true;
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
        if (!started) throw new CommandError('The compute backend is not started yet: send "init" before "selfTest".', 'NotInitialised');
        post({ type: 'selfTestResult', replyTo: command.id, report: await runKernelSelfTest() });
        return;
      }
      case 'debugLoseDevice': {
        if (!debug) throw new CommandError('debugLoseDevice is a debug command: open the studio with ?debug=1 to use it.', 'DebugDisabled');
        loseDeviceForTesting();
        post({ type: 'ack', replyTo: command.id });
        return;
      }
    }
  }

  return (command) => {
    queue = queue.then(() => run(command)).catch((err: unknown) => post(errorEvent(err, command.id)));
    return queue;
  };
}

/** An error as an event: its message, the message of its cause, and its code (or class name). */
export function errorEvent(err: unknown, replyTo?: number): WorkerErrorEvent {
  const error = err instanceof Error ? err : new Error(String(err));
  const cause = error.cause === undefined ? undefined : error.cause instanceof Error ? error.cause.message : String(error.cause);
  const code = (error as { code?: unknown }).code;
  return { type: 'error', replyTo, message: error.message, cause, code: typeof code === 'string' ? code : error.name };
}
