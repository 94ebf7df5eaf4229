import { currentToken } from '../hub-endpoints.ts';
import { useStudio } from '../store.ts';

/** Failure codes that a (better) access token fixes: models' NeedsToken, datasets' TokenRequired / TokenRejected. */
const TOKEN_CODES = new Set(['NeedsToken', 'TokenRequired', 'TokenRejected', 'GatedRepo', 'Unauthorized']);

export function needsToken(code: string | undefined): boolean {
  return code !== undefined && TOKEN_CODES.has(code);
}

/** A button that opens Settings at the access token field. */
export function TokenPrompt() {
  const toggleSettings = useStudio((s) => s.toggleSettings);
  const token = useStudio(currentToken);
  const open = () => {
    toggleSettings(true);
    requestAnimationFrame(() => {
      const field = document.getElementById('hub-token');
      field?.scrollIntoView({ block: 'center' });
      field?.focus();
    });
  };
  return (
    <button type="button" className="button primary" onClick={open}>
      {token ? 'Change the access token in Settings' : 'Enter an access token in Settings'}
    </button>
  );
}
