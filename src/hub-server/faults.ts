import { HubHttpError, badRequest } from './http-error.ts';
import type { HubFaults, HubStats, PathStats } from './types.ts';

/** What the fault injector decided for one request. */
export interface FaultPlan {
  /** Milliseconds to wait before answering. */
  delayMs: number;
  /** When set, answer with this error instead of the real answer. */
  failure?: HubHttpError;
  /** When set, drop the connection after this many body bytes. */
  cutAfterBytes?: number;
}

const FAIL_STATUSES = [500, 503, 429];

/** Checks a faults object from `POST /__faults` or the options, so a typo fails loudly instead of injecting nothing. */
export function parseFaults(value: unknown): HubFaults {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest('Faults must be a JSON object such as {"failEveryN": 3, "failStatus": 503}; {} clears them.');
  }
  const known = ['latencyMs', 'failEveryN', 'failStatus', 'retryAfterSeconds', 'cutAfterBytes', 'pathPattern'];
  const faults = value as Record<string, unknown>;
  for (const [key, v] of Object.entries(faults)) {
    if (!known.includes(key)) throw badRequest(`Unknown fault "${key}"; known faults: ${known.join(', ')}.`);
    if (key === 'pathPattern') {
      if (typeof v !== 'string') throw badRequest('Fault "pathPattern" must be a regular expression string.');
      try {
        new RegExp(v);
      } catch (err) {
        throw new HubHttpError(400, `Fault "pathPattern" is not a valid regular expression: ${(err as Error).message}.`, undefined, {}, { cause: err });
      }
    } else if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw badRequest(`Fault "${key}" must be a non-negative number.`);
    }
  }
  if (faults.failStatus !== undefined && !FAIL_STATUSES.includes(faults.failStatus as number)) {
    throw badRequest(`Fault "failStatus" must be one of ${FAIL_STATUSES.join(', ')}.`);
  }
  if (faults.failEveryN !== undefined && (!Number.isInteger(faults.failEveryN) || (faults.failEveryN as number) < 1)) {
    throw badRequest('Fault "failEveryN" must be a whole number of at least 1.');
  }
  return { ...faults } as HubFaults;
}

/** Holds the faults in force and counts matching requests for `failEveryN`. */
export class FaultInjector {
  private config: HubFaults = {};
  private pattern?: RegExp;
  private matched = 0;

  constructor(faults: HubFaults = {}) {
    this.faults = faults;
  }

  get faults(): HubFaults {
    return { ...this.config };
  }

  set faults(faults: HubFaults) {
    this.config = parseFaults(faults);
    this.pattern = this.config.pathPattern === undefined ? undefined : new RegExp(this.config.pathPattern);
    this.matched = 0;
  }

  /** Decides the faults of one request; `path` is the request path with its query. */
  plan(path: string): FaultPlan {
    const f = this.config;
    if (this.pattern && !this.pattern.test(path)) return { delayMs: 0 };
    this.matched += 1;
    const everyN = f.failEveryN ?? (f.failStatus === undefined ? undefined : 1);
    if (everyN !== undefined && this.matched % everyN === 0) {
      const status = f.failStatus ?? 500;
      const headers: Record<string, string> = {};
      if (status === 429 || (status === 503 && f.retryAfterSeconds !== undefined)) {
        headers['Retry-After'] = String(f.retryAfterSeconds ?? 1);
      }
      const message = `Injected fault: HTTP ${status} for request ${this.matched} (failEveryN=${everyN}).`;
      return { delayMs: f.latencyMs ?? 0, failure: new HubHttpError(status, message, undefined, headers) };
    }
    return { delayMs: f.latencyMs ?? 0, cutAfterBytes: f.cutAfterBytes };
  }
}

/** Request and byte counters for `GET /__stats`. */
export class StatsRecorder {
  private stats: HubStats = { requests: 0, bytesServed: 0, byPath: {} };

  /** Counts a request as it arrives. */
  request(pathname: string): void {
    this.stats.requests += 1;
    this.entry(pathname).requests += 1;
  }

  /** Counts body bytes as they are handed to the socket. */
  bytes(pathname: string, count: number): void {
    this.stats.bytesServed += count;
    this.entry(pathname).bytes += count;
  }

  private entry(pathname: string): PathStats {
    return this.stats.byPath[pathname] ??= { requests: 0, bytes: 0 };
  }

  snapshot(): HubStats {
    return structuredClone(this.stats);
  }

  reset(): void {
    this.stats = { requests: 0, bytesServed: 0, byPath: {} };
  }
}
