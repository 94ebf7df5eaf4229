import { afterEach, describe, expect, it } from 'vitest';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { WorkerClient, WorkerError } from './client.ts';
import { createCommandHandler } from './handler.ts';
import type { Command, WorkerEvent } from './protocol.ts';

// The page's client and the worker's handler, joined by a real MessageChannel (structured clone both ways).
const ports: MessagePort[] = [];

function connect(): WorkerClient {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  const handle = createCommandHandler((event: WorkerEvent) => port2.postMessage(event));
  port2.on('message', (command: Command) => void handle(command));
  const client = new WorkerClient({
    postMessage: (message) => port1.postMessage(message),
    addEventListener: (_type, listener) => port1.on('message', (data) => listener({ data } as MessageEvent)),
  });
  return client;
}

afterEach(() => {
  for (const port of ports.splice(0)) port.close();
});

describe('worker protocol', () => {
  it('answers init with ready and the backend, and logs it', async () => {
    const client = connect();
    const logs: string[] = [];
    client.on('log', (event) => logs.push(event.message));
    const ready = await client.send({ type: 'init', backend: 'cpu' });
    expect(ready.type).toBe('ready');
    expect(ready.backend).toEqual({ name: 'cpu' });
    expect(logs).toContain('Compute backend: cpu');
  });

  it('runs the self-test on the active backend and returns its report', async () => {
    const client = connect();
    await client.send({ type: 'init', backend: 'cpu' });
    const { report } = await client.send({ type: 'selfTest' });
    expect(report.backend).toBe('cpu');
    expect(report.checks.map((c) => c.name)).toEqual([
      'linear 7×37×19 forward', 'linear 7×37×19 dx', 'linear 7×37×19 dW', 'linear 7×37×19 db',
      'linear 1×33×64×48 forward', 'linear 1×33×64×48 dx', 'linear 1×33×64×48 dW', 'linear 1×33×64×48 db',
      'matMul 64×48×40',
    ]);
    expect(report.checks.filter((c) => c.name.startsWith('linear')).every((c) => c.path === 'composed')).toBe(true);
    expect(report.passed).toBe(true);
  });

  it('rejects a command sent before init with the worker\'s error', async () => {
    const client = connect();
    const failure = client.send({ type: 'selfTest' });
    await expect(failure).rejects.toBeInstanceOf(WorkerError);
    await expect(failure).rejects.toMatchObject({ code: 'NotInitialised', message: expect.stringMatching(/send "init" before "selfTest"/) });
  });

  it('refuses debug commands unless init asked for debug', async () => {
    const client = connect();
    await client.send({ type: 'init', backend: 'cpu' });
    await expect(client.send({ type: 'debugLoseDevice' })).rejects.toMatchObject({ code: 'DebugDisabled' });
    await client.send({ type: 'init', backend: 'cpu', debug: true });
    await expect(client.send({ type: 'debugLoseDevice' })).rejects.toMatchObject({
      code: 'BackendError', message: 'There is no WebGPU device to lose: the active backend is cpu.',
    });
  });

  it('pairs replies with requests when several are in flight', async () => {
    const client = connect();
    const [ready, test] = await Promise.all([client.send({ type: 'init', backend: 'cpu' }), client.send({ type: 'selfTest' })]);
    expect(ready.type).toBe('ready');
    expect(test.type).toBe('selfTestResult');
  });
});
