import { useStudio } from '../store.ts';

/** The kernel parity checks of the last self-test: active backend against tfjs's cpu backend. */
export function SelfTestResults() {
  const selfTest = useStudio((s) => s.selfTest);
  switch (selfTest.status) {
    case 'idle':
      return <p className="help">The self-test runs our kernels on this backend and compares them with the cpu backend.</p>;
    case 'running':
      return <p className="help" role="status">Running the self-test… (on a software GPU this takes a while)</p>;
    case 'failed':
      return <p className="error" role="alert">The self-test could not run: {selfTest.message}</p>;
    case 'done': {
      const { report, ms } = selfTest;
      const failed = report.checks.filter((c) => !c.passed).length;
      return (
        <table className="self-test" data-passed={report.passed}>
          <caption role="status">
            Self-test on {report.backend}: {failed === 0 ? `all ${report.checks.length} checks passed` : `${failed} of ${report.checks.length} checks failed`} in {(ms / 1000).toFixed(1)} s
          </caption>
          <thead>
            <tr><th scope="col">Check</th><th scope="col">Path</th><th scope="col">Max |error|</th><th scope="col">Tolerance</th><th scope="col">Result</th></tr>
          </thead>
          <tbody>
            {report.checks.map((check) => (
              <tr key={check.name} data-check={check.name} data-path={check.path} data-error={check.maxAbsError} data-passed={check.passed}>
                <th scope="row">{check.name}</th>
                <td>{check.path}</td>
                <td>{check.maxAbsError.toExponential(1)}</td>
                <td>{check.tolerance.toExponential(0)}</td>
                <td>{check.passed ? 'pass' : 'FAIL'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      );
    }
  }
}
