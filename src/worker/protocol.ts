/**
 * Every message between the page and the compute worker, in one place. Commands go page → worker and carry a
 * request `id`; the worker answers each with exactly one event whose `replyTo` is that id (the reply kind listed in
 * `ReplyKind`, or `error`). Other events (log, deviceLost, later progress and metrics) arrive unasked.
 * Types only: the page imports this file without pulling in tfjs.
 */
import type { BackendInfo, BackendName, DeviceLostInfo } from '../core/backend/backend-info.ts';
import type { SelfTestReport } from '../core/kernels/self-test-report.ts';

// ---- page → worker ----

/** Start (or restart) the compute backend; the worker answers `ready`. */
export interface InitCommand {
  type: 'init';
  id: number;
  /** Backend to try first; slower ones follow if it cannot start. Default webgpu. */
  backend?: BackendName;
  /** Honour debug commands (the page URL has `?debug=1`). */
  debug?: boolean;
}

/** Check our kernels and tfjs ops on the active backend against the cpu backend; answered by `selfTestResult`. */
export interface SelfTestCommand {
  type: 'selfTest';
  id: number;
}

/** Debug only: destroy the WebGPU device as a driver reset would, so the page's device-lost path can be tested. */
export interface DebugLoseDeviceCommand {
  type: 'debugLoseDevice';
  id: number;
}

export type Command = InitCommand | SelfTestCommand | DebugLoseDeviceCommand;

// ---- worker → page ----

export interface ReadyEvent {
  type: 'ready';
  replyTo: number;
  backend: BackendInfo;
}

export interface SelfTestResultEvent {
  type: 'selfTestResult';
  replyTo: number;
  report: SelfTestReport;
}

/** A command that returns nothing finished. */
export interface AckEvent {
  type: 'ack';
  replyTo: number;
}

export interface LogEvent {
  type: 'log';
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

/** A command failed (`replyTo` set), or something failed outside any command. */
export interface WorkerErrorEvent {
  type: 'error';
  replyTo?: number;
  /** What failed, for which input, and what to do. */
  message: string;
  /** The underlying error's message, when there was one. */
  cause?: string;
  /** Machine-readable kind, e.g. the error class name ("BackendError") or a HubError code. */
  code?: string;
}

/** The WebGPU device stopped working; the worker's backend is unusable until it is restarted. */
export interface DeviceLostEvent extends DeviceLostInfo {
  type: 'deviceLost';
}

export type WorkerEvent = ReadyEvent | SelfTestResultEvent | AckEvent | LogEvent | WorkerErrorEvent | DeviceLostEvent;

// ---- pairing commands with replies ----

/** The event kind that answers each command kind. */
export interface ReplyKind {
  init: 'ready';
  selfTest: 'selfTestResult';
  debugLoseDevice: 'ack';
}

export type CommandType = Command['type'];
export type EventType = WorkerEvent['type'];
export type EventOf<T extends EventType> = Extract<WorkerEvent, { type: T }>;
/** A command as the caller writes it; the client assigns the id. */
export type CommandRequest = Command extends infer C ? C extends Command ? Omit<C, 'id'> : never : never;
export type ReplyTo<T extends CommandType> = EventOf<ReplyKind[T]>;
