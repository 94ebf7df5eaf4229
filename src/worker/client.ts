import type { CommandRequest, EventOf, EventType, ReplyKind, ReplyTo, WorkerEvent } from './protocol.ts';

/** The page's end of the channel: a Worker, or a MessagePort in tests. */
export interface WorkerEndpoint {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

/** A command the worker answered with an error event, or that could not be answered because the worker stopped. */
export class WorkerError extends Error {
  constructor(message: string, readonly code?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WorkerError';
  }
}

interface Pending {
  expected: EventType;
  resolve: (event: WorkerEvent) => void;
  reject: (error: WorkerError) => void;
}

const REPLY_KIND: ReplyKind = {
  init: 'ready',
  selfTest: 'selfTestResult',
  debugLoseDevice: 'ack',
  loadModel: 'modelReady',
  embed: 'embedded',
  inspectDataset: 'datasetReport',
  inspectLocalFile: 'datasetReport',
  describeAdapter: 'adapterDescription',
  train: 'trained',
  pause: 'ack',
  resume: 'ack',
  cancel: 'ack',
  discardRun: 'ack',
  predict: 'predicted',
  evaluate: 'evaluated',
  exportAdapter: 'exported',
  importAdapter: 'adapterReady',
  activeAdapter: 'adapterReady',
  pushAdapter: 'pushed',
  shelveAdapter: 'shelf',
  unshelveAdapter: 'shelf',
  predictComposed: 'composedPredicted',
  trainFusion: 'fusionTrained',
  exportFusion: 'exported',
  fusionAttention: 'fusionAttention',
  answerQuestion: 'answered',
  tagText: 'tagged',
  rankChoices: 'rankedChoices',
};

/**
 * Typed page-side wrapper of the compute worker. `send` resolves with the command's reply event, or rejects with
 * a WorkerError when the worker answers `error`. Events that answer no pending command go to `on` listeners.
 */
export class WorkerClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<EventType, Set<(event: WorkerEvent) => void>>();

  constructor(private readonly endpoint: WorkerEndpoint, private readonly stop: () => void = () => {}) {
    endpoint.addEventListener('message', (event) => this.receive(event.data as WorkerEvent));
  }

  /** Starts the compute worker (src/worker/worker.ts) as a module worker. */
  static startWorker(): WorkerClient {
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'adapter-studio-compute' });
    const client = new WorkerClient(worker, () => worker.terminate());
    worker.addEventListener('error', (event) => client.fail(`The compute worker crashed: ${event.message || 'its script could not be loaded'}. Reload the page.`));
    worker.addEventListener('messageerror', () => client.fail('A message from the compute worker could not be read. Reload the page.'));
    return client;
  }

  /** Sends a command; `transfer` lists buffers of the command to move to the worker instead of copying them. */
  send<C extends CommandRequest>(command: C, transfer: Transferable[] = []): Promise<ReplyTo<C['type']>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { expected: REPLY_KIND[command.type], resolve: resolve as (event: WorkerEvent) => void, reject });
      this.endpoint.postMessage({ ...command, id }, transfer);
    });
  }

  /** Listens to unasked events of one kind; returns the function that stops listening. */
  on<T extends EventType>(type: T, listener: (event: EventOf<T>) => void): () => void {
    const set = this.listeners.get(type) ?? new Set();
    set.add(listener as (event: WorkerEvent) => void);
    this.listeners.set(type, set);
    return () => set.delete(listener as (event: WorkerEvent) => void);
  }

  /** Stops the worker; pending commands reject. */
  close(): void {
    this.stop();
    this.rejectAll(new WorkerError('The compute worker was stopped before it answered.', 'Stopped'));
  }

  private receive(event: WorkerEvent): void {
    const replyTo = 'replyTo' in event ? event.replyTo : undefined;
    const pending = replyTo === undefined ? undefined : this.pending.get(replyTo);
    if (replyTo === undefined || !pending) {
      this.emit(event);
      return;
    }
    this.pending.delete(replyTo);
    if (event.type === 'error') {
      pending.reject(new WorkerError(event.message, event.code, event.cause === undefined ? undefined : { cause: event.cause }));
    } else if (event.type !== pending.expected) {
      pending.reject(new WorkerError(`The compute worker answered "${event.type}" where "${pending.expected}" was expected.`, 'ProtocolError'));
    } else {
      pending.resolve(event);
    }
  }

  private emit(event: WorkerEvent): void {
    for (const listener of this.listeners.get(event.type) ?? []) listener(event);
  }

  private fail(message: string): void {
    this.emit({ type: 'error', message, code: 'WorkerCrashed' });
    this.rejectAll(new WorkerError(message, 'WorkerCrashed'));
  }

  private rejectAll(error: WorkerError): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
