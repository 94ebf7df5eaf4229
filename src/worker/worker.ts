/// <reference lib="webworker" />
// The compute worker's entry: everything that touches tensors runs here, off the page's thread.
import { browserWasmPaths } from '../core/backend/wasm-paths.ts';
import { createCommandHandler, errorEvent } from './handler.ts';
import type { Command, WorkerEvent } from './protocol.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (event: WorkerEvent) => scope.postMessage(event);
const handle = createCommandHandler(post, { wasmPaths: browserWasmPaths });

scope.addEventListener('message', (event: MessageEvent<Command>) => void handle(event.data));
scope.addEventListener('unhandledrejection', (event: PromiseRejectionEvent) => post(errorEvent(event.reason)));
