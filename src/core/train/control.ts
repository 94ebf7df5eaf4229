/**
 * Pause, resume and cancel for a running training: the page (through the worker) flips the request, the trainer
 * reads it between optimizer steps, so each takes effect before the next step starts.
 */

/** What the trainer is asked to do. */
export type ControlRequest = 'run' | 'pause' | 'cancel';

export class TrainingControl {
  private current: ControlRequest = 'run';
  private waiters: (() => void)[] = [];

  /** The latest request. */
  get request(): ControlRequest {
    return this.current;
  }

  /** Pauses after the current step (the trainer checkpoints, then waits for resume or cancel). */
  pause(): void {
    if (this.current !== 'run') return;
    this.current = 'pause';
    this.wake();
  }

  /** Continues a paused run. */
  resume(): void {
    if (this.current !== 'pause') return;
    this.current = 'run';
    this.wake();
  }

  /** Stops after the current step (or evaluation batch); a paused run stops at once. */
  cancel(): void {
    this.current = 'cancel';
    this.wake();
  }

  /** Resolves with the request that ends a pause: `run` or `cancel`. */
  async untilResumed(): Promise<'run' | 'cancel'> {
    while (this.current === 'pause') await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.current as 'run' | 'cancel';
  }

  /** Resolves after `ms`, or sooner when a request changes (a resume, pause or cancel), with the request then. */
  async waitFor(ms: number): Promise<ControlRequest> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
    return this.current;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
