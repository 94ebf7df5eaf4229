import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { WorkerClient } from './client.ts';
import { createCommandHandler } from './handler.ts';
import type { Command, WorkerEvent } from './protocol.ts';

/** The page's client and the worker's handler joined by a real MessageChannel (structured clone and transfer both ways). */
export interface TestChannel {
  client: WorkerClient;
  /** Every event the handler posted, in order (replies included). */
  events: WorkerEvent[];
  /** Cancels a running training, frees the handler's adapter and encoder (tf variables are global), and closes the ports. */
  close(): Promise<void>;
}

export function connectHandler(): TestChannel {
  const { port1, port2 } = new MessageChannel();
  const events: WorkerEvent[] = [];
  const handle = createCommandHandler((event: WorkerEvent) => {
    events.push(event);
    port2.postMessage(event);
  });
  port2.on('message', (command: Command) => void handle(command));
  const client = new WorkerClient({
    postMessage: (message, transfer) => port1.postMessage(message, transfer as Parameters<MessagePort['postMessage']>[1]),
    addEventListener: (_type, listener) => port1.on('message', (data) => listener({ data } as MessageEvent)),
  });
  const ports: MessagePort[] = [port1, port2];
  return {
    client,
    events,
    async close() {
      await handle.dispose();
      ports.forEach((p) => p.close());
    },
  };
}
