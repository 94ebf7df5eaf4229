/** Results of the kernel parity self-test; plain data (no tfjs) so the page can show it. */
import type { BackendName } from '../backend/backend-info.ts';

/** One comparison of a computation on the active backend against tfjs's cpu backend. */
export interface ParityCheck {
  /** What was compared, e.g. "linear 7×37×19 dW". */
  name: string;
  /** Which implementation ran on the active backend: our WGSL kernel, composed tfjs ops, or a tfjs built-in op. */
  path: 'wgsl' | 'composed' | 'tfjs';
  /** Largest |active − cpu| over all elements. */
  maxAbsError: number;
  /** The check passes when maxAbsError ≤ tolerance. */
  tolerance: number;
  passed: boolean;
  /** Wall time on the active backend including reading results back, in ms (linear: forward and backward together). */
  ms: number;
}

export interface SelfTestReport {
  /** The backend that was tested against cpu. */
  backend: BackendName;
  checks: ParityCheck[];
  /** True when every check passed. */
  passed: boolean;
}
