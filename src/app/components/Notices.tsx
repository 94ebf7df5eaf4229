import { adapterName } from '../backend-label.ts';
import { isolationState } from '../cross-origin-isolation.ts';
import { useStudio } from '../store.ts';
import { isActive } from '../training-slice.ts';

/** The technical reason WebGPU is not used, said for anyone: the reason itself stays behind "Details". */
function plainFallback(reason: string): string {
  if (/navigator\.gpu is undefined|no WebGPU/i.test(reason)) return 'This browser does not offer WebGPU, the way web pages use the graphics card.';
  if (/requestAdapter|no GPU adapter/i.test(reason)) return 'This browser has WebGPU, but no graphics card it may use (it is blocked, or there is none).';
  if (/limit/i.test(reason)) return 'The graphics card here is too small for this model on WebGPU.';
  return 'WebGPU, the way web pages use the graphics card, is not available here.';
}

/** Things the user should know before going on, each with the action that fixes it. */
export function Notices() {
  const state = useStudio();
  const { hubChoice, realHub, offlineHubUrl, compute, urlProblem } = state;
  const switchToOffline = () => state.chooseHub({ kind: 'offline' });
  const isolation = isolationState();
  return (
    <div className="notices">
      {urlProblem && <p className="notice warn" role="alert">{urlProblem}</p>}

      {state.savedRun && !isActive(state.training) && state.training?.setup.runId !== state.savedRun.setup.runId && (
        <p className="notice info" role="note">
          <strong>A training run was interrupted</strong> ({state.savedRun.setup.model}, checkpoint at step {state.savedRun.step}).{' '}
          <a href="#step-train">Resume or discard it in the Train step.</a>
        </p>
      )}

      {hubChoice.kind === 'real' && realHub === 'unreachable' && (
        // The one message about it: the searches below stay quiet (see RepoSearch) so the page does not raise three alarms.
        <div className="notice info hub-unreachable" role="alert">
          <p><strong>The Hugging Face Hub can't be reached from here.</strong>{' '}
            {offlineHubUrl
              ? 'This server has an offline demo Hub with small models and datasets: everything in the studio works with it.'
              : 'Check the connection, or choose another Hub in Settings.'}
          </p>
          {offlineHubUrl && <button type="button" className="button primary" onClick={switchToOffline}>Use the offline demo Hub</button>}
        </div>
      )}

      {hubChoice.kind === 'offline' && offlineHubUrl === null && (
        <div className="notice warn" role="alert">
          <p><strong>This server has no offline demo Hub</strong> (it does not answer /offline-hub.json).</p>
          <button type="button" className="button" onClick={() => state.chooseHub({ kind: 'real' })}>Use the Hugging Face Hub</button>
        </div>
      )}

      {compute.status === 'ready' && compute.backend.fallbackReason && (
        <div className="notice info" role="note">
          <p><strong>{plainFallback(compute.backend.fallbackReason)}</strong> The studio computes on {compute.backend.name} instead: everything works, only
            slower than on a graphics card.</p>
          <details className="details"><summary>Details</summary><p>{compute.backend.fallbackReason}.</p></details>
        </div>
      )}

      {compute.status === 'ready' && compute.backend.wasm?.threads === 1 && !isolation.isolated && (
        <p className="notice info" role="note" data-testid="single-thread-notice">
          <strong>wasm runs on one thread here</strong>: the page is not cross-origin isolated ({isolation.reason}), and
          browsers give wasm threads only to isolated pages. Training works, only slower.
        </p>
      )}

      {compute.status === 'ready' && compute.backend.adapter?.isSoftware && (
        <div className="notice info" role="note">
          <p><strong>WebGPU runs on a software adapter ({adapterName(compute.backend.adapter)}) here</strong>, i.e. on the CPU, so
            training will be slow. The wasm backend is usually much faster on such a machine.</p>
          <button type="button" className="button" onClick={() => state.startCompute('wasm')}>Use wasm instead</button>
        </div>
      )}

      {compute.status === 'lost' && (
        <div className="notice error" role="alert">
          <p><strong>The GPU device was lost</strong> ({compute.lost.reason}{compute.lost.message ? `: ${compute.lost.message}` : ''}).
            Work on the GPU has stopped. Restart the compute backend to go on.</p>
          <button type="button" className="button primary" onClick={() => state.startCompute('wasm')}>Restart on wasm</button>{' '}
          <button type="button" className="button" onClick={() => state.startCompute('webgpu')}>Retry WebGPU</button>
        </div>
      )}

      {compute.status === 'failed' && (
        <div className="notice error" role="alert">
          <p><strong>The compute backend could not start.</strong> {compute.message}</p>
          <button type="button" className="button" onClick={() => state.startCompute('cpu')}>Try the cpu backend</button>
        </div>
      )}
    </div>
  );
}
